# Copyright (c) mmvidseg contributors. All rights reserved.
"""YouTube-VIS 2019 / 2021 / 2022 and OVIS read from their official JSON files.

The official files (``train.json`` / ``valid.json`` for 2019,
``{split}/instances.json`` for 2021 / 2022, ``annotations_{split}.json`` for
OVIS) hold one record per video and one annotation per object *track*::

    videos[{id, width, height, length, file_names}]
    annotations[{id, video_id, category_id, iscrowd,
                 segmentations: [RLE | polygon | None per frame],
                 bboxes: [[x, y, w, h] | None per frame], areas}]

mmdet 3.3 needs them converted to a COCO-video file first
(``youtubevis2coco.py``); these classes read them directly and check them on
the way, so a broken file fails at build time with the file, video and field
named instead of deep inside a data loader worker.
"""
import os.path as osp
from typing import Dict, List, Optional

import mmengine
import mmengine.fileio as fileio
from .base_video_dataset import BaseVideoDataset
from ._paths import contained_join
from mmengine.logging import print_log

from mmvidseg.registry import DATASETS

YTVIS_2019_CLASSES = (
    'person', 'giant_panda', 'lizard', 'parrot', 'skateboard', 'sedan', 'ape',
    'dog', 'snake', 'monkey', 'hand', 'rabbit', 'duck', 'cat', 'cow', 'fish',
    'train', 'horse', 'turtle', 'bear', 'motorbike', 'giraffe', 'leopard',
    'fox', 'deer', 'owl', 'surfboard', 'airplane', 'truck', 'zebra', 'tiger',
    'elephant', 'snowboard', 'boat', 'shark', 'mouse', 'frog', 'eagle',
    'earless_seal', 'tennis_racket')
YTVIS_2021_CLASSES = (
    'airplane', 'bear', 'bird', 'boat', 'car', 'cat', 'cow', 'deer', 'dog',
    'duck', 'earless_seal', 'elephant', 'fish', 'flying_disc', 'fox', 'frog',
    'giant_panda', 'giraffe', 'horse', 'leopard', 'lizard', 'monkey',
    'motorbike', 'mouse', 'parrot', 'person', 'rabbit', 'shark', 'skateboard',
    'snake', 'snowboard', 'squirrel', 'surfboard', 'tennis_racket', 'tiger',
    'train', 'truck', 'turtle', 'whale', 'zebra')
OVIS_CLASSES = (
    'Person', 'Bird', 'Cat', 'Dog', 'Horse', 'Sheep', 'Cow', 'Elephant',
    'Bear', 'Zebra', 'Giraffe', 'Poultry', 'Giant_panda', 'Lizard', 'Parrot',
    'Monkey', 'Rabbit', 'Tiger', 'Fish', 'Turtle', 'Bicycle', 'Motorcycle',
    'Airplane', 'Boat', 'Vehicle')

_VERSION_CLASSES = {
    '2019': YTVIS_2019_CLASSES,
    '2021': YTVIS_2021_CLASSES,
    '2022': YTVIS_2021_CLASSES,  # 2022 reuses the 2021 classes and train set
    'ovis': OVIS_CLASSES,
}

_VIDEO_KEYS = ('id', 'width', 'height', 'file_names')
_ANN_KEYS = ('id', 'video_id', 'category_id')


class AnnotationError(ValueError):
    """An annotation file is malformed; the message names file, video, field."""


class YouTubeVISDataset(BaseVideoDataset):
    """YouTube-VIS dataset read from the official JSON file.

    Shadows mmdet's ``YouTubeVISDataset`` in the ``mmvidseg`` scope; mmdet's
    class (which reads a converted COCO-video file) stays available as
    ``mmdet.YouTubeVISDataset``.

    One item of ``data_list`` is a video, as in mmdet's ``BaseVideoDataset``:
    ``{video_id, video_length, images: [frame info]}``, each frame info with
    ``img_path``, ``img_id``, ``frame_id``, ``video_id``, ``height``, ``width``
    and ``instances`` = ``[{bbox (xyxy), bbox_label, mask (RLE or polygons),
    instance_id, ignore_flag}]``. ``instance_id`` is the official annotation
    (track) id, unique over the file and >= 1 (mmdet treats 0 as "none").

    Args:
        dataset_version (str, optional): ``'2019'``, ``'2021'``,
            ``'2022'`` or ``'ovis'``; selects the class names unless
            ``metainfo`` gives ``classes``. Class order = official category
            id order. ``None`` takes the classes from the file's
            ``categories`` in id order (custom and toy datasets).
        check_files (bool): Check that every frame file exists when the
            dataset is built. Defaults to True.
        min_clip_frames (int): In training, videos with fewer annotated frames
            than this are skipped (and reported). Defaults to 1.
        **kwargs: ``BaseVideoDataset`` / ``BaseDataset`` arguments
            (``ann_file``, ``data_root``, ``data_prefix=dict(img_path=...)``,
            ``pipeline``, ``test_mode``, ``filter_cfg``, ``metainfo``...).
    """

    def __init__(self,
                 *args,
                 dataset_version: Optional[str] = '2019',
                 check_files: bool = True,
                 min_clip_frames: int = 1,
                 **kwargs) -> None:
        if dataset_version is not None and \
                dataset_version not in _VERSION_CLASSES:
            raise ValueError(
                f'dataset_version must be one of {sorted(_VERSION_CLASSES)} '
                f'or None (classes from the file), got {dataset_version!r}')
        self.dataset_version = dataset_version
        self.check_files = check_files
        self.min_clip_frames = min_clip_frames
        self.METAINFO = dict(
            classes=_VERSION_CLASSES[dataset_version]
            if dataset_version else None)
        super().__init__(*args, **kwargs)

    # ------------------------------------------------------------------ load
    def load_data_list(self) -> List[dict]:
        """Read and check the official JSON; return one dict per video."""
        with fileio.get_local_path(self.ann_file) as local_path:
            try:
                raw = mmengine.load(local_path, file_format='json')
            except ValueError as e:
                raise AnnotationError(
                    f'{self.ann_file}: not a valid JSON file ({e})') from None
        for key in ('videos', 'categories'):
            if key not in raw:
                raise AnnotationError(
                    f'{self.ann_file}: missing top-level key "{key}"; an '
                    'official YouTube-VIS file has "videos", "categories" and '
                    '(for training) "annotations"')
        cat_names = {c['id']: c['name'] for c in raw['categories']}
        if self._metainfo.get('classes') is None:
            self._metainfo['classes'] = tuple(
                cat_names[i] for i in sorted(cat_names))
        classes = list(self._metainfo['classes'])
        self._file_cat_ids = set(cat_names)
        self.cat_ids = self._match_categories(cat_names, classes)
        self.cat2label = {c: i for i, c in enumerate(self.cat_ids)}

        videos: Dict[int, dict] = {}
        for v in raw['videos']:
            video = self._parse_video(v)
            videos[video['video_id']] = video
        anns = raw.get('annotations')
        if anns is None and not self.test_mode:
            raise AnnotationError(
                f'{self.ann_file}: no "annotations" key, so it cannot be '
                'used for training (valid / test files have none); set '
                'test_mode=True or use the training file')
        ann_ids = set()
        for ann in anns or []:
            self._add_annotation(ann, videos, ann_ids)
        return list(videos.values())

    def _match_categories(self, cat_names: Dict[int, str],
                          classes: List[str]) -> List[int]:
        name2id = {n: i for i, n in cat_names.items()}
        missing = [c for c in classes if c not in name2id]
        if missing:
            raise AnnotationError(
                f'{self.ann_file}: classes {missing} of the dataset '
                f'(dataset_version={self.dataset_version!r} or metainfo) are '
                f'not among the file\'s categories {sorted(name2id)}; pass '
                'metainfo=dict(classes=...) that matches the file')
        return [name2id[c] for c in classes]

    def _parse_video(self, v: dict) -> dict:
        where = f'{self.ann_file}: video {v.get("id", "?")}'
        for key in _VIDEO_KEYS:
            if key not in v:
                raise AnnotationError(f'{where}: missing field "{key}"')
        file_names = v['file_names']
        if 'length' in v and v['length'] != len(file_names):
            raise AnnotationError(
                f'{where}: "length" is {v["length"]} but "file_names" lists '
                f'{len(file_names)} frames')
        images = []
        prefix = self.data_prefix.get('img_path', None)
        for frame_id, name in enumerate(file_names):
            img_path = contained_join(prefix, name,
                                      f'{where}: frame {frame_id}',
                                      AnnotationError)
            if self.check_files and not osp.isfile(img_path):
                raise AnnotationError(
                    f'{where}: frame {frame_id} file {img_path!r} does not '
                    'exist; check data_root / data_prefix.img_path')
            images.append(
                dict(
                    img_path=img_path,
                    # unique over the dataset: video id * 10000 + frame
                    img_id=v['id'] * 10000 + frame_id,
                    file_name=name,
                    frame_id=frame_id,
                    video_id=v['id'],
                    height=v['height'],
                    width=v['width'],
                    instances=[]))
        return dict(
            video_id=v['id'],
            video_name=osp.dirname(file_names[0]) if file_names else '',
            video_length=len(images),
            images=images)

    def _add_annotation(self, ann: dict, videos: Dict[int, dict],
                        ann_ids: set) -> None:
        where = f'{self.ann_file}: annotation {ann.get("id", "?")}'
        for key in _ANN_KEYS:
            if key not in ann:
                raise AnnotationError(f'{where}: missing field "{key}"')
        if ann['id'] in ann_ids:
            raise AnnotationError(f'{where}: duplicate annotation id')
        if ann['id'] < 1:
            raise AnnotationError(
                f'{where}: annotation ids must be >= 1 (they are the track '
                'identities, and 0 means "no instance")')
        ann_ids.add(ann['id'])
        video = videos.get(ann['video_id'])
        if video is None:
            raise AnnotationError(
                f'{where}: video_id {ann["video_id"]} is not in "videos"')
        where += f' (video {ann["video_id"]})'
        if ann['category_id'] not in self.cat2label:
            if ann['category_id'] in self._file_cat_ids:
                return  # a category of the file the classes leave out
            raise AnnotationError(
                f'{where}: unknown category_id {ann["category_id"]}; the '
                f'file\'s categories map to labels {self.cat2label}')
        segs = ann.get('segmentations')
        boxes = ann.get('bboxes')
        if segs is None and boxes is None:
            raise AnnotationError(
                f'{where}: needs "segmentations" and/or "bboxes"')
        num_frames = video['video_length']
        for field, values in (('segmentations', segs), ('bboxes', boxes)):
            if values is not None and len(values) != num_frames:
                raise AnnotationError(
                    f'{where}: "{field}" has {len(values)} entries but the '
                    f'video has {num_frames} frames ("file_names")')
        h, w = (video['images'][0]['height'],
                video['images'][0]['width']) if num_frames else (0, 0)
        for t in range(num_frames):
            seg = segs[t] if segs is not None else None
            box = boxes[t] if boxes is not None else None
            if seg is None and box is None:
                continue
            if isinstance(seg, dict):
                size = list(seg.get('size', []))
                if size != [h, w]:
                    raise AnnotationError(
                        f'{where}: frame {t} mask size {size} differs from '
                        f'the video size [{h}, {w}] (height, width)')
            if box is None:
                box = _mask_to_xywh(seg, h, w)
            x, y, bw, bh = box
            if bw < 1 or bh < 1:
                continue
            video['images'][t]['instances'].append(
                dict(
                    bbox=[x, y, x + bw, y + bh],
                    bbox_label=self.cat2label[ann['category_id']],
                    mask=seg,
                    instance_id=ann['id'],
                    ignore_flag=int(bool(ann.get('iscrowd', 0)))))

    # ---------------------------------------------------------------- filter
    def filter_data(self) -> List[dict]:
        """Drop unannotated frames and too-short videos in training.

        Test mode keeps everything. In training, with
        ``filter_cfg.filter_empty_gt`` (default True), frames without a
        (non-ignored) instance are dropped, as the official TeViT / mmdet
        loaders do; videos left with fewer than ``min_clip_frames`` frames are
        skipped and counted in the log.
        """
        if self.test_mode:
            return self.data_list
        filter_cfg = self.filter_cfg or {}
        filter_empty = filter_cfg.get('filter_empty_gt', True)
        min_size = filter_cfg.get('min_size', 0)
        kept, skipped = [], []
        for video in self.data_list:
            frames = [
                f for f in video['images']
                if min(f['width'], f['height']) >= min_size and (
                    not filter_empty or any(
                        i['ignore_flag'] == 0 for i in f['instances']))
            ]
            if len(frames) < self.min_clip_frames:
                skipped.append(video['video_id'])
                continue
            video = dict(video, images=frames, video_length=len(frames))
            kept.append(video)
        if skipped:
            print_log(
                f'{self.ann_file}: skipped {len(skipped)} video(s) with fewer '
                f'than {self.min_clip_frames} annotated frame(s): '
                f'{skipped[:10]}{"..." if len(skipped) > 10 else ""}',
                'current')
        if not kept:
            raise AnnotationError(
                f'{self.ann_file}: no video has {self.min_clip_frames} or '
                'more annotated frames; nothing to train on')
        return kept

    def get_cat_ids(self, index) -> List[int]:
        video_idx = index[0] if isinstance(index, tuple) else index
        frames = self.get_data_info(video_idx)['images']
        if isinstance(index, tuple):
            frames = [frames[index[1]]]
        return [i['bbox_label'] for f in frames for i in f['instances']]


def _mask_to_xywh(seg, h: int, w: int) -> Optional[List[float]]:
    """Box of an RLE / polygon mask, or None for an empty mask."""
    import pycocotools.mask as mask_util
    if isinstance(seg, list):
        rle = mask_util.merge(mask_util.frPyObjects(seg, h, w))
    elif isinstance(seg.get('counts'), list):
        rle = mask_util.frPyObjects(seg, h, w)
    else:
        rle = seg
    return [float(x) for x in mask_util.toBbox(rle)]


@DATASETS.register_module()
class OVISDataset(YouTubeVISDataset):
    """OVIS (Occluded Video Instance Segmentation), 25 classes, YouTube-VIS
    JSON schema (``annotations_{train,valid}.json``)."""

    def __init__(self, *args, dataset_version: str = 'ovis', **kwargs):
        super().__init__(*args, dataset_version=dataset_version, **kwargs)
