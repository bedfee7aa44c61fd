# Copyright (c) mmvidseg contributors. All rights reserved.
"""Video panoptic segmentation datasets read from their official files.

* **KITTI-STEP** (``google-research/deeplab2: g3doc/setup/kitti_step.md``)::

      images/{train,val,test}/<seq %04d>/<frame %06d>.png
      panoptic_maps/{train,val}/<seq>/<frame>.png   R = semantic id,
                                                   G * 256 + B = instance id

* **Cityscapes-VPS** (``mcahny/vps: docs/DATASET.md``): a COCO-panoptic JSON
  (``panoptic_gt_{train,val}_city_vps.json``, written with the
  ``panoptic_video`` PNGs by ``create_panoptic_video_labels.py``:
  ``images``, ``annotations[{image_id, file_name, segments_info}]``,
  ``categories``) with images ``<video %04d>_<frame %04d>_<city name>
  _newImg8bit.png`` and RGB PNGs (id = R + 256 G + 256^2 B), or an
  ``im_all_info_*.json`` (images only) for inference.
* **VIPSeg** (``VIPSeg-Dataset/VIPSeg-Dataset``, 720p release)::

      images/<video>/<frame>.jpg   panomasksRGB/<video>/<frame>.png
      panoptic_gt_VIPSeg_{train,val}.json  {videos, annotations, categories}

One item per video (mmdet ``BaseVideoDataset``). ``video_id`` is the
official video / sequence name (a ``str``: ``'0002'``, VIPSeg's YouTube-style
names), so that the STQ / VPQ metrics write their submission files into the
official folders (``<prefix>/0002/000000.png``, ``pan_pred/<video>/``).
Each frame info holds
``img_path``, ``seg_map_path`` (None without ground truth),
``panoptic_format`` (``'kitti_step'`` / ``'coco_rgb'``), ``segments_info``
(coco_rgb: ``[{id, label, iscrowd, instance_id}]``), ``num_classes``,
``thing_labels``, ``instance_id_base`` and ``has_things``; the panoptic PNG
is decoded in the pipeline by :class:`LoadVideoPanopticAnnotations`. Labels
are the 0-based positions in ``metainfo['classes']`` (stuff and things in
the official order); the dataset-wide ``instance_id`` of a thing is
``instance_id_base + local key`` (>= 1, unique over the dataset).
"""
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

import mmengine
from .base_video_dataset import BaseVideoDataset
from ._paths import contained_join
from mmengine.logging import print_log
from PIL import Image

from mmvidseg.registry import DATASETS
from ._instance_utils import DatasetFormatError

CITYSCAPES_19_CLASSES = (
    'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
    'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
    'truck', 'bus', 'train', 'motorcycle', 'bicycle')
KITTI_STEP_THING_CLASSES = ('person', 'car')  # ids 11, 13 (deeplab2 STQ)
CITYSCAPES_VPS_THING_CLASSES = CITYSCAPES_19_CLASSES[11:]  # ids 11-18
KITTI_STEP_VAL_SEQS = ('0002', '0006', '0007', '0008', '0010', '0013',
                       '0014', '0016', '0018')
# VIPSeg ``panoVIPSeg_categories.json`` (ids 0..123), as in
# Ali2500/TarViS: tarvis/inference/dataset_parser/vipseg.py
VIPSEG_CLASSES = (
    'wall', 'ceiling', 'door', 'stair', 'ladder', 'escalator',
    'Playground_slide', 'handrail_or_fence', 'window', 'rail', 'goal',
    'pillar', 'pole', 'floor', 'ground', 'grass', 'sand', 'athletic_field',
    'road', 'path', 'crosswalk', 'building', 'house', 'bridge', 'tower',
    'windmill', 'well_or_well_lid', 'other_construction', 'sky', 'mountain',
    'stone', 'wood', 'ice', 'snowfield', 'grandstand', 'sea', 'river', 'lake',
    'waterfall', 'water', 'billboard_or_Bulletin_Board', 'sculpture',
    'pipeline', 'flag', 'parasol_or_umbrella', 'cushion_or_carpet', 'tent',
    'roadblock', 'car', 'bus', 'truck', 'bicycle', 'motorcycle',
    'wheeled_machine', 'ship_or_boat', 'raft', 'airplane', 'tyre',
    'traffic_light', 'lamp', 'person', 'cat', 'dog', 'horse', 'cattle',
    'other_animal', 'tree', 'flower', 'other_plant', 'toy', 'ball_net',
    'backboard', 'skateboard', 'bat', 'ball',
    'cupboard_or_showcase_or_storage_rack', 'box',
    'traveling_case_or_trolley_case', 'basket', 'bag_or_package',
    'trash_can', 'cage', 'plate', 'tub_or_bowl_or_pot', 'bottle_or_cup',
    'barrel', 'fishbowl', 'bed', 'pillow', 'table_or_desk', 'chair_or_seat',
    'bench', 'sofa', 'shelf', 'bathtub', 'gun', 'commode', 'roaster',
    'other_machine', 'refrigerator', 'washing_machine', 'Microwave_oven',
    'fan', 'curtain', 'textiles', 'clothes', 'painting_or_poster', 'mirror',
    'flower_pot_or_vase', 'clock', 'book', 'tool', 'blackboard', 'tissue',
    'screen_or_television', 'computer', 'printer', 'Mobile_phone',
    'keyboard', 'other_electronic_product', 'fruit', 'food', 'instrument',
    'train')
VIPSEG_THING_IDS = (
    2, 4, 8, 10, 41, 43, 44, 46, 47, 48, 49, 50, 51, 52, 54, 55, 56, 60, 61,
    62, 63, 64, 65, 72, 74, 76, 77, 78, 79, 82, 83, 84, 85, 86, 87, 88, 89,
    90, 91, 92, 95, 96, 97, 99, 100, 101, 102, 106, 107, 108, 109, 114, 115,
    116, 117, 118, 122, 123)
VIPSEG_THING_CLASSES = tuple(VIPSEG_CLASSES[i] for i in VIPSEG_THING_IDS)

IGNORE_LABEL = 255
_VIDEO_ID_SHIFT = 24  # instance_id = (video index + 1) << 24 + local key


class VideoPanopticDataset(BaseVideoDataset):
    """Base of the VPS datasets: metainfo, thing labels, frame infos.

    ``metainfo`` may give ``classes`` and the things either as
    ``thing_classes`` (names) or ``thing_ids`` (labels); the other is
    filled in, plus ``stuff_classes`` and ``ignore_label`` (255).
    """

    METAINFO = dict(classes=CITYSCAPES_19_CLASSES,
                    thing_classes=KITTI_STEP_THING_CLASSES)

    def full_init(self) -> None:
        self._setup_things()
        super().full_init()

    def _setup_things(self) -> None:
        meta = self._metainfo
        classes = tuple(meta['classes'])
        if 'thing_ids' in meta and meta.get('thing_ids') is not None and \
                meta.get('thing_classes') in (None, self.METAINFO.get(
                    'thing_classes')):
            ids = [int(i) for i in meta['thing_ids']]
            bad = [i for i in ids if not 0 <= i < len(classes)]
            if bad:
                raise ValueError(f'metainfo thing_ids {bad} are not labels '
                                 f'of the {len(classes)} classes')
            meta['thing_classes'] = tuple(classes[i] for i in ids)
        unknown = [c for c in meta['thing_classes'] if c not in classes]
        if unknown:
            raise ValueError(f'thing_classes {unknown} are not in classes '
                             f'{classes}; give metainfo=dict(classes=..., '
                             'thing_classes=...) that match')
        meta['thing_ids'] = tuple(classes.index(c)
                                  for c in meta['thing_classes'])
        meta['stuff_classes'] = tuple(c for c in classes
                                      if c not in meta['thing_classes'])
        meta['ignore_label'] = IGNORE_LABEL
        self.thing_labels = meta['thing_ids']
        self.num_classes = len(classes)

    def _frame(self, video_index: int, video_name: str, frame_id: int,
               img_path: str, seg_map_path: Optional[str], height: int,
               width: int, panoptic_format: str,
               segments_info: Optional[list] = None,
               has_things: Optional[bool] = None) -> dict:
        return dict(
            img_path=img_path, seg_map_path=seg_map_path,
            img_id=video_index * 100000 + frame_id, frame_id=frame_id,
            video_id=video_name, video_name=video_name, height=height,
            width=width, instances=[], panoptic_format=panoptic_format,
            segments_info=segments_info, num_classes=self.num_classes,
            thing_labels=self.thing_labels,
            instance_id_base=(video_index + 1) << _VIDEO_ID_SHIFT,
            has_things=has_things)

    @staticmethod
    def _video(video_index: int, name: str, frames: List[dict]) -> dict:
        return dict(video_id=name, video_name=name,
                    video_length=len(frames), images=frames)

    def filter_data(self) -> List[dict]:
        """Training keeps videos with a frame known to hold a thing (the
        official loaders drop videos without instances); test mode keeps
        everything."""
        if self.test_mode:
            return self.data_list
        kept = [v for v in self.data_list
                if any(f['has_things'] is not False for f in v['images'])]
        if len(kept) < len(self.data_list):
            print_log(f'{type(self).__name__}: skipped '
                      f'{len(self.data_list) - len(kept)} video(s) without '
                      'thing instances', 'current')
        if not kept:
            raise DatasetFormatError(
                f'{type(self).__name__} ({self.data_root}): no video has a '
                'thing instance; nothing to train on')
        return kept

    def get_cat_ids(self, index) -> List[int]:
        return []  # instances are read from the PNGs in the pipeline


@DATASETS.register_module()
class KITTISTEPDataset(VideoPanopticDataset):
    """KITTI-STEP (19 Cityscapes classes, things person / car).

    Args:
        data_root (str): KITTI-STEP root (``images/``, ``panoptic_maps/``).
        split (str): ``'train'``, ``'val'`` or ``'test'``.
        sequences (Sequence[str], optional): Sequence folders (default: all
            folders of ``images/<split>``, sorted).
        img_dir (str): Defaults to ``'images'``.
        seg_dir (str): Defaults to ``'panoptic_maps'``; frames without a
            PNG there have no ground truth (allowed in test mode only).
        scan_things (bool, optional): Read every panoptic PNG at build time
            to mark the frames holding a thing (used to pick the reference
            frame of training clips). Defaults to ``not test_mode``.
        **kwargs: ``BaseVideoDataset`` arguments (``metainfo``, ``pipeline``,
            ``test_mode`` ...). ``ann_file`` is unused.
    """

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 sequences: Optional[Sequence[str]] = None,
                 img_dir: str = 'images',
                 seg_dir: str = 'panoptic_maps',
                 scan_things: Optional[bool] = None,
                 **kwargs) -> None:
        self.split = split
        self.sequences = list(sequences) if sequences is not None else None
        self.img_dir, self.seg_dir = img_dir, seg_dir
        self.scan_things = scan_things
        super().__init__(data_root=data_root, ann_file='', **kwargs)

    def load_data_list(self) -> List[dict]:
        img_root = osp.join(self.data_root, self.img_dir, self.split)
        if not osp.isdir(img_root):
            raise DatasetFormatError(f'KITTI-STEP: image folder {img_root} '
                                     'not found; check data_root / split')
        names = self.sequences if self.sequences is not None else sorted(
            d for d in os.listdir(img_root)
            if osp.isdir(osp.join(img_root, d)))
        scan = (not self.test_mode) if self.scan_things is None \
            else self.scan_things
        return [self._load_sequence(i, name, img_root, scan)
                for i, name in enumerate(names)]

    def _load_sequence(self, index: int, name: str, img_root: str,
                       scan: bool) -> dict:
        from .transforms.panoptic_loading import kitti_step_has_things
        seq_dir = osp.join(img_root, name)
        if not osp.isdir(seq_dir):
            raise DatasetFormatError(f'KITTI-STEP sequence {name!r}: folder '
                                     f'{seq_dir} not found')
        files = sorted(f for f in os.listdir(seq_dir)
                       if f.endswith(('.png', '.jpg')))
        if not files:
            raise DatasetFormatError(f'KITTI-STEP sequence {name!r}: no '
                                     f'frames in {seq_dir}')
        with Image.open(osp.join(seq_dir, files[0])) as img:
            width, height = img.size
        frames = []
        for t, file_name in enumerate(files):
            seg = osp.join(self.data_root, self.seg_dir, self.split, name,
                           osp.splitext(file_name)[0] + '.png')
            if not osp.isfile(seg):
                if not self.test_mode:
                    raise DatasetFormatError(
                        f'KITTI-STEP sequence {name!r} frame {file_name}: '
                        f'panoptic map {seg} not found (needed for '
                        'training)')
                seg = None
            has_things = kitti_step_has_things(
                seg, self.thing_labels) if scan and seg else None
            frames.append(self._frame(index, name, t,
                                      osp.join(seq_dir, file_name), seg,
                                      height, width, 'kitti_step',
                                      has_things=has_things))
        return self._video(index, name, frames)


class _COCOPanopticVideoDataset(VideoPanopticDataset):
    """Shared reading of COCO-panoptic ``segments_info`` per frame."""

    def _category_labels(self, categories: Optional[list]) -> Dict[int, int]:
        """Official category id -> label (ids sorted = classes order)."""
        if not categories:
            return {i: i for i in range(self.num_classes)}
        ids = sorted(int(c['id']) for c in categories)
        if len(ids) != self.num_classes:
            raise DatasetFormatError(
                f'{self.ann_file}: {len(ids)} categories, but the dataset '
                f'has {self.num_classes} classes; pass metainfo=dict('
                'classes=...) that matches the file')
        return {cid: label for label, cid in enumerate(ids)}

    def _segments(self, ann: Optional[dict], cat2label: Dict[int, int],
                  local_ids: Dict[int, int], where: str) -> Optional[list]:
        """``segments_info`` with labels and per-video instance keys."""
        if ann is None:
            return None
        out = []
        for seg in ann.get('segments_info', []):
            cid = int(seg['category_id'])
            if cid not in cat2label:
                raise DatasetFormatError(
                    f'{where}: segment {seg.get("id")} has category_id '
                    f'{cid}, not in the category table ({len(cat2label)} '
                    'categories)')
            label = cat2label[cid]
            is_thing = label in self.thing_labels
            crowd = int(seg.get('iscrowd', 0))
            key = 0
            if is_thing and not crowd:
                key = local_ids.setdefault(int(seg['id']), len(local_ids) + 1)
            out.append(dict(id=int(seg['id']), label=label, iscrowd=crowd,
                            instance_id=key))
        return out


def _cvps_video_frame(image: dict) -> tuple:
    """(video, frame) numbers of a Cityscapes-VPS image record."""
    match = re.match(r'(\d{4})_(\d{4})_', osp.basename(image['file_name']))
    if match:
        return int(match.group(1)), int(match.group(2))
    return int(image['id']) // 10000, int(image['id']) % 10000


@DATASETS.register_module()
class CityscapesVPSDataset(_COCOPanopticVideoDataset):
    """Cityscapes-VPS (19 classes, things 11-18 = person ... bicycle).

    Args:
        ann_file (str): COCO-panoptic JSON with ``annotations`` (training /
            local evaluation) or an ``im_all_info`` JSON (inference only).
        img_dir (str): Image folder (``train/img``, ``val/img_all``).
        seg_dir (str): Panoptic PNG folder (``val/panoptic_video``).
        sparse_frames (bool): Keep only every 5th frame (the 6 annotated
            frames of a 30-frame snippet), as TarViS inference
            (``SPARSE_FRAMES``). Defaults to True.
        **kwargs: ``BaseVideoDataset`` arguments.
    """

    METAINFO = dict(classes=CITYSCAPES_19_CLASSES,
                    thing_classes=CITYSCAPES_VPS_THING_CLASSES)

    def __init__(self, *args, img_dir: str = 'val/img_all',
                 seg_dir: str = 'val/panoptic_video',
                 sparse_frames: bool = True, **kwargs) -> None:
        self.img_dir, self.seg_dir = img_dir, seg_dir
        self.sparse_frames = sparse_frames
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        raw = mmengine.load(self.ann_file, file_format='json')
        if 'images' not in raw:
            raise DatasetFormatError(f'{self.ann_file}: no "images" list')
        cat2label = self._category_labels(raw.get('categories'))
        anns = {a['image_id']: a for a in raw.get('annotations', [])}
        videos: Dict[int, list] = {}
        for img in raw['images']:
            vid, fno = _cvps_video_frame(img)
            if self.sparse_frames and anns == {} and fno % 5:
                continue
            videos.setdefault(vid, []).append((fno, img))
        data = []
        for index, vid in enumerate(sorted(videos)):
            local_ids: Dict[int, int] = {}
            frames = []
            for t, (_, img) in enumerate(sorted(videos[vid],
                                                key=lambda x: x[0])):
                ann = anns.get(img['id'])
                where = f'{self.ann_file}: image {img["file_name"]}'
                segs = self._segments(ann, cat2label, local_ids, where)
                seg_path = None
                if ann is not None:
                    png = ann.get('file_name') or img['file_name'].replace(
                        '_newImg8bit.png', '_final_mask.png').replace(
                            '_leftImg8bit.png', '_gtFine_color.png')
                    seg_path = contained_join(
                        osp.join(self.data_root, self.seg_dir), png, where)
                frames.append(self._frame(
                    index, f'{vid:04d}', t,
                    contained_join(osp.join(self.data_root, self.img_dir),
                                   img['file_name'], where),
                    seg_path, img['height'], img['width'], 'coco_rgb', segs,
                    _has_things(segs)))
            data.append(self._video(index, f'{vid:04d}', frames))
        return data


def _has_things(segments: Optional[list]) -> Optional[bool]:
    if segments is None:
        return None
    return any(s['instance_id'] > 0 for s in segments)


@DATASETS.register_module()
class VIPSegDataset(_COCOPanopticVideoDataset):
    """VIPSeg (124 classes, 58 things; the 720p release).

    Args:
        ann_file (str): ``panoptic_gt_VIPSeg_{train,val}.json`` (or a
            ``{"videos": [...]}`` file without annotations for inference).
        img_dir (str): Defaults to ``'images'`` (``<video>/<frame>.jpg``).
        seg_dir (str): Defaults to ``'panomasksRGB'``.
        **kwargs: ``BaseVideoDataset`` arguments.
    """

    METAINFO = dict(classes=VIPSEG_CLASSES,
                    thing_classes=VIPSEG_THING_CLASSES)

    def __init__(self, *args, img_dir: str = 'images',
                 seg_dir: str = 'panomasksRGB', **kwargs) -> None:
        self.img_dir, self.seg_dir = img_dir, seg_dir
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        raw = mmengine.load(self.ann_file, file_format='json')
        if 'videos' not in raw:
            raise DatasetFormatError(f'{self.ann_file}: no "videos" list')
        cat2label = self._category_labels(raw.get('categories'))
        anns = {a['video_id']: {f['image_id']: f for f in a['annotations']}
                for a in raw.get('annotations', [])}
        data = []
        for index, video in enumerate(raw['videos']):
            name = str(video['video_id'])
            video_anns = anns.get(video['video_id'], {})
            local_ids: Dict[int, int] = {}
            frames = []
            for t, img in enumerate(video['images']):
                ann = video_anns.get(img.get('id', img['file_name']))
                where = f'{self.ann_file}: video {name} frame ' \
                    f'{img["file_name"]}'
                segs = self._segments(ann, cat2label, local_ids, where)
                stem = osp.splitext(img['file_name'])[0]
                contained_join(name, img['file_name'], where)
                seg_path = osp.join(self.data_root, self.seg_dir, name,
                                    stem + '.png') if ann is not None \
                    else None
                frames.append(self._frame(
                    index, name, t,
                    osp.join(self.data_root, self.img_dir, name,
                             stem + '.jpg'), seg_path, img['height'],
                    img['width'], 'coco_rgb', segs, _has_things(segs)))
            data.append(self._video(index, name, frames))
        return data
