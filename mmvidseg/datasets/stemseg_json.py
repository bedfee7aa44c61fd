# Copyright (c) mmvidseg contributors. All rights reserved.
"""STEm-Seg's generic video JSON format: reader, writer and dataset.

Schema (``sabarim/STEm-Seg: stemseg/data/generic_video_dataset_parser.py``;
the official files ``davis_*.json``, ``youtube_vis_*.json``,
``kittimots_*.json`` use it)::

    {"meta": {"category_labels": {"<cat_id>": name}},
     "sequences": [{"id", "height", "width",
                    "image_paths": [paths relative to the base dir],
                    "categories": {"<instance_id>": cat_id},
                    "segmentations": [{"<instance_id>": "<RLE counts>"}
                                      per frame]}]}

``categories`` / ``segmentations`` may be absent (inference sets); the RLE
size is the sequence's ``(height, width)``. The official code ships no
converter (issues #12, #14, #26): :func:`videos_to_stemseg_json` writes the
format from any dataset item list of this package (DAVIS, KITTI-MOTS,
YouTube-VIS), see ``tools/dataset_converters/stemseg_json.py``.
"""
import json
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence

from .base_video_dataset import BaseVideoDataset
from ._paths import contained_join

from mmvidseg.registry import DATASETS
from mmvidseg.structures.masks import check_rle_counts, to_json_rle
from ._instance_utils import (DatasetFormatError, InstanceIdMap,
                              check_mask_format, drop_empty_frames,
                              make_instance, split_videos)

# category id of ignore regions in STEm-Seg's kittimots_*.json
STEMSEG_KITTI_IGNORE_CAT_ID = 3


def load_stemseg_json(path: str) -> dict:
    """Read and check a STEm-Seg video JSON; ids are cast to int.

    Returns:
        dict: ``{'category_labels': {int: str}, 'sequences': [...]}`` with
        ``categories`` ``{int: int}`` and ``segmentations`` ``[{int: str}]``
        (None when the file has no annotations).

    Raises:
        DatasetFormatError: naming the file, sequence and frame at fault.
    """
    try:
        with open(path) as f:
            raw = json.load(f)
    except json.JSONDecodeError as e:
        raise DatasetFormatError(f'{path}: not a valid JSON file ({e})') \
            from None
    for key in ('meta', 'sequences'):
        if key not in raw:
            raise DatasetFormatError(
                f'{path}: missing top-level key "{key}"; a STEm-Seg video '
                'JSON has "meta" (with "category_labels") and "sequences"')
    labels = raw['meta'].get('category_labels')
    if not isinstance(labels, dict):
        raise DatasetFormatError(f'{path}: "meta" needs a "category_labels" '
                                 'dict {"<cat_id>": name}')
    labels = {int(k): v for k, v in labels.items()}
    return dict(category_labels=labels,
                sequences=[_check_sequence(s, path, labels)
                           for s in raw['sequences']])


def _check_sequence(seq: dict, path: str, labels: Dict[int, str]) -> dict:
    where = f'{path}: sequence {seq.get("id", "?")!r}'
    for key in ('id', 'height', 'width', 'image_paths'):
        if key not in seq:
            raise DatasetFormatError(f'{where}: missing field "{key}"')
    seq = dict(seq, categories=None, segmentations=None) if \
        'segmentations' not in seq else dict(seq)
    if seq['segmentations'] is None:
        return seq
    if 'categories' not in seq or seq['categories'] is None:
        raise DatasetFormatError(f'{where}: has "segmentations" but no '
                                 '"categories"')
    cats = {int(k): int(v) for k, v in seq['categories'].items()}
    unknown = sorted(set(cats.values()) - set(labels))
    if unknown:
        raise DatasetFormatError(
            f'{where}: category ids {unknown} are not in meta.'
            f'category_labels {sorted(labels)}')
    segs = seq['segmentations']
    if len(segs) != len(seq['image_paths']):
        raise DatasetFormatError(
            f'{where}: {len(segs)} "segmentations" entries but '
            f'{len(seq["image_paths"])} "image_paths"')
    segs = [{int(k): v for k, v in seg_t.items()} for seg_t in segs]
    seg_ids = set(i for seg_t in segs for i in seg_t)
    if seg_ids != set(cats):
        raise DatasetFormatError(
            f'{where}: instance ids in "segmentations" {sorted(seg_ids)} '
            f'differ from those in "categories" {sorted(cats)}')
    for t, seg_t in enumerate(segs):
        for iid, counts in seg_t.items():
            if not isinstance(counts, str):
                raise DatasetFormatError(
                    f'{where}: frame {t} instance {iid}: segmentations hold '
                    f'RLE counts strings, got {type(counts).__name__}')
            check_rle_counts(counts, seq['height'], seq['width'],
                             f'{where}: frame {t} instance {iid}',
                             DatasetFormatError)
    return dict(seq, categories=cats, segmentations=segs)


@DATASETS.register_module()
class StemSegJSONDataset(BaseVideoDataset):
    """A video dataset in STEm-Seg's generic JSON format.

    One item per sequence (``BaseVideoDataset`` layout, see
    :mod:`._instance_utils`); instances with a category of
    ``ignore_category_ids`` (3 in ``kittimots_*.json``) become ignore
    regions (``ignore_flag=1``, ``bbox_label`` -1). Classes: the
    ``category_labels`` in id order without 0 and the ignore ids (or
    ``metainfo=dict(classes=...)``, matched by name). Training drops frames
    without a non-ignore instance, as the reference loaders do, and with
    ``split_gap`` splits sequences at such runs (KITTI-MOTS, 6).

    Args:
        ann_file (str): The JSON file.
        data_prefix (dict): ``img_path`` = the base dir the ``image_paths``
            are relative to (``DAVIS_BASE_DIR`` etc. of the reference).
        ignore_category_ids (Sequence[int]): Ignore-region categories.
        split_gap (int, optional): Empty-frame run that splits sequences in
            training (None: no splitting).
        mask_format (str): ``'rle'`` or ``'bitmap'``.
        check_files (bool): Check that all frames exist at build time.
        min_clip_frames (int): Training: skip videos with fewer frames.
        **kwargs: ``BaseVideoDataset`` arguments.
    """

    def __init__(self,
                 *args,
                 ignore_category_ids: Sequence[int] = (),
                 split_gap: Optional[int] = None,
                 mask_format: str = 'rle',
                 check_files: bool = True,
                 min_clip_frames: int = 1,
                 **kwargs) -> None:
        check_mask_format(mask_format)
        self.ignore_category_ids = {int(c) for c in ignore_category_ids}
        self.split_gap = split_gap
        self.mask_format = mask_format
        self.check_files = check_files
        self.min_clip_frames = min_clip_frames
        super().__init__(*args, **kwargs)

    def load_data_list(self) -> List[dict]:
        data = load_stemseg_json(self.ann_file)
        names = data['category_labels']
        cat_ids = [c for c in sorted(names)
                   if c != 0 and c not in self.ignore_category_ids]
        if self._metainfo.get('classes') is None:
            self._metainfo['classes'] = tuple(names[c] for c in cat_ids)
        else:
            by_name = {names[c]: c for c in cat_ids}
            missing = [n for n in self._metainfo['classes']
                       if n not in by_name]
            if missing:
                raise DatasetFormatError(
                    f'{self.ann_file}: classes {missing} are not in '
                    f'meta.category_labels {names}')
            cat_ids = [by_name[n] for n in self._metainfo['classes']]
        self.cat2label = {c: i for i, c in enumerate(cat_ids)}
        ids = InstanceIdMap()
        videos = [self._video(vid, seq, ids)
                  for vid, seq in enumerate(data['sequences'])]
        if self.test_mode or self.split_gap is None:
            return videos
        return split_videos(videos, self.split_gap)

    def _video(self, vid: int, seq: dict, ids: InstanceIdMap) -> dict:
        name = str(seq['id'])
        prefix = self.data_prefix.get('img_path', '') or ''
        h, w = seq['height'], seq['width']
        images = []
        for t, rel in enumerate(seq['image_paths']):
            img_path = contained_join(
                prefix, rel, f'{self.ann_file}: sequence {name} frame {t}')
            if self.check_files and not osp.isfile(img_path):
                raise DatasetFormatError(
                    f'{self.ann_file}: sequence {name!r} frame {t}: '
                    f'{img_path} does not exist; data_prefix.img_path must '
                    'be the base dir of "image_paths"')
            instances = []
            if seq['segmentations'] is not None:
                for iid, counts in seq['segmentations'][t].items():
                    inst = self._instance(seq['categories'][iid], counts, h,
                                          w, ids(name, iid))
                    if inst is not None:
                        instances.append(inst)
            images.append(dict(img_path=img_path, img_id=vid * 100000 + t,
                               frame_id=t, video_id=vid, video_name=name,
                               height=h, width=w, file_name=rel,
                               instances=instances))
        return dict(video_id=vid, video_name=name, video_length=len(images),
                    images=images)

    def _instance(self, cat_id: int, counts: str, h: int, w: int,
                  instance_id: int) -> Optional[dict]:
        ignore = cat_id in self.ignore_category_ids
        if not ignore and cat_id not in self.cat2label:
            return None  # a category the classes leave out
        label = -1 if ignore else self.cat2label[cat_id]
        return make_instance(dict(size=[h, w], counts=counts), label,
                             instance_id, ignore, self.mask_format)

    def filter_data(self) -> List[dict]:
        """Training drops frames without a non-ignore instance, then videos
        shorter than ``min_clip_frames``; test mode keeps everything."""
        if self.test_mode:
            return self.data_list
        kept = drop_empty_frames(self.data_list, self.min_clip_frames)
        if not kept:
            raise DatasetFormatError(f'{self.ann_file}: no annotated frame '
                                     'to train on')
        return kept


# ----------------------------------------------------------------- writing
def videos_to_stemseg_json(videos: Sequence[dict], base_dir: str,
                           category_labels: Dict[int, str],
                           label_to_cat: Callable[[int], int],
                           ignore_cat_id: Optional[int] = None,
                           with_annotations: bool = True) -> dict:
    """STEm-Seg JSON dict of dataset items (``BaseVideoDataset`` layout).

    Args:
        videos (Sequence[dict]): Items with ``video_name`` and ``images``
            (``img_path``, ``height``, ``width``, ``instances`` with
            ``mask``, ``bbox_label``, ``instance_id``, ``ignore_flag``).
        base_dir (str): ``image_paths`` are written relative to it.
        category_labels (dict): ``meta.category_labels`` ({id: name}).
        label_to_cat (Callable): ``bbox_label`` -> category id.
        ignore_cat_id (int, optional): Category of ignore regions; None
            drops them.
        with_annotations (bool): Write ``categories`` / ``segmentations``.

    Returns:
        dict: The JSON content; instance ids are renumbered 1..K per
        sequence in order of first appearance.
    """
    sequences = []
    for video in videos:
        frames = video['images']
        name = video.get('video_name', str(video['video_id']))
        h, w = frames[0]['height'], frames[0]['width']
        seq = dict(id=name, height=h, width=w, image_paths=[
            osp.relpath(f['img_path'], base_dir) for f in frames])
        if with_annotations:
            local: Dict[int, int] = {}
            cats: Dict[int, int] = {}
            segs: List[Dict[str, str]] = []
            for f in frames:
                seg_t = {}
                for inst in f['instances']:
                    if inst['ignore_flag'] and ignore_cat_id is None:
                        continue
                    iid = local.setdefault(inst['instance_id'],
                                           len(local) + 1)
                    cats[iid] = ignore_cat_id if inst['ignore_flag'] else \
                        int(label_to_cat(inst['bbox_label']))
                    seg_t[str(iid)] = to_json_rle(inst['mask'], h,
                                                 w)['counts']
                segs.append(seg_t)
            seq.update(categories={str(k): v for k, v in cats.items()},
                       segmentations=segs)
        sequences.append(seq)
    return dict(meta=dict(category_labels={
        str(k): v for k, v in sorted(category_labels.items())}),
        sequences=sequences)
