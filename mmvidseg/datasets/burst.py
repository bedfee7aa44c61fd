# Copyright (c) mmvidseg contributors. All rights reserved.
"""BURST read from the official annotation JSONs::

    BURST/frames/<split>/<dataset>/<seq_name>/<frame>.jpg
    BURST/annotations/train/all_classes.json
    BURST/annotations/{val,test}/first_frame_annotations.json  (+ all_classes)

A sequence: ``{id, dataset, seq_name, height, width, fps, all_image_paths,
annotated_image_paths, track_category_ids{track: cat},
segmentations[annotated t]{track: {rle, point?, bbox?, is_gt}}}``.
"""
import json
import os.path as osp
from typing import List, Optional

import numpy as np

from mmvidseg.registry import DATASETS
from mmvidseg.structures.masks import rle_area
from ._instance_utils import (DatasetFormatError, InstanceIdMap,
                              check_mask_format, make_instance)
from .base_video_dataset import BaseVideoDataset

MIN_MASK_AREA = 100  # tarvis/data/format_mappers/burst.py


def sample_burst_frames(num_frames: int, fps: int,
                        num_interleaved: int) -> List[int]:
    """Frame indices TarViS processes at inference: the 1-fps annotated
    frames plus ``num_interleaved`` evenly spaced ones per second.

    Re-implements ``BurstDatasetParser.sample_images`` (``Ali2500/TarViS:
    tarvis/inference/dataset_parser/burst.py``).
    """
    if num_interleaved < 0 or fps < 1:
        raise ValueError(f'num_interleaved ({num_interleaved}) must be >= 0 '
                         f'and fps ({fps}) >= 1')
    num_interleaved = min(num_interleaved, fps - 2)
    rates = np.round(np.linspace(0, fps, num_interleaved + 2)[:-1])
    keep = set(rates.round().astype(int).tolist())
    return [t for t in range(num_frames) if t % fps in keep]


def _point_xy(seg: dict, where: str) -> Optional[List[float]]:
    point = seg.get('point')
    if point is None:
        return None
    if isinstance(point, dict):  # official: {"x": .., "y": ..}
        return [float(point['x']), float(point['y'])]
    if isinstance(point, (list, tuple)) and len(point) == 2:
        return [float(point[0]), float(point[1])]
    raise DatasetFormatError(f'{where}: "point" must be {{"x", "y"}} or '
                             f'[x, y], got {point!r}')


@DATASETS.register_module()
class BURSTDataset(BaseVideoDataset):
    """BURST (Athar et al., WACV 2023) as TarViS trains and tests on it.

    Training (``test_mode=False``, ``all_classes.json``) follows
    ``Ali2500/TarViS: tarvis/data/format_mappers/burst.py``: the frames are
    the 1-fps annotated frames, masks under 100 pixels are dropped, and
    sequences left without a track are dropped. Inference
    (``first_frame_annotations.json``) follows ``BurstDatasetParser``: the
    frames are :func:`sample_burst_frames` (annotated + ``num_interleaved``
    per second), every annotation is placed at its frame, which holds each
    track's exemplar (mask and, when given, point). Frames carry
    ``is_annotated``; instances ``point`` ``[x, y]`` (original pixels, or
    absent), ``bbox_label`` = index of the track's category in the file's
    ``categories`` list, ``instance_id`` unique over the dataset (>= 1) and
    ``track_id`` (the JSON key).

    Args:
        ann_file (str): Annotation JSON.
        data_prefix (dict): ``img_path`` = the split's frame folder.
        num_interleaved (int): Inference frames per second besides the
            annotated one (reference: 10).
        min_mask_area (int): Training: smaller masks are dropped.
        mask_format (str): ``'rle'`` or ``'bitmap'``.
        exemplar_file (str, optional): With ``ann_file`` = the full ground
            truth (``val/all_classes.json``, for local HOTA), the
            ``first_frame_annotations.json`` whose points are attached to
            the same (frame, track) instances (the full file has no
            points). Relative paths are under ``data_root``.
        **kwargs: ``BaseVideoDataset`` arguments.
    """

    METAINFO = dict(classes=None)

    def __init__(self, num_interleaved: int = 10,
                 min_mask_area: int = MIN_MASK_AREA,
                 mask_format: str = 'rle',
                 exemplar_file: Optional[str] = None, **kwargs) -> None:
        check_mask_format(mask_format)
        self.exemplar_file = exemplar_file
        self.num_interleaved = num_interleaved
        self.min_mask_area = min_mask_area
        self.mask_format = mask_format
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        path = self.ann_file
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: BURST annotation file not found'
                                    ' (annotations/<split>/*.json)')
        with open(path) as f:
            raw = json.load(f)
        if 'sequences' not in raw or 'categories' not in raw:
            raise DatasetFormatError(f'{path}: a BURST file has "sequences" '
                                     'and "categories"')
        cats = [c['id'] for c in raw['categories']]
        self._metainfo['classes'] = tuple(c['name'] for c in
                                          raw['categories'])
        self._metainfo['category_ids'] = tuple(cats)
        ids = InstanceIdMap()
        self._points = self._exemplar_points()
        videos = []
        for seq in raw['sequences']:
            video = self._load_sequence(seq, len(videos), cats, ids, path)
            if video is not None:
                videos.append(video)
        self.cat_ids = list(range(len(cats)))
        if not videos and not self.test_mode:
            raise DatasetFormatError(f'{path}: no sequence has a track; '
                                     'nothing to train on')
        return videos

    def _exemplar_points(self) -> dict:
        """{(sequence, frame file, track): [x, y]} of ``exemplar_file``."""
        if not self.exemplar_file:
            return {}
        path = self.exemplar_file
        if self.data_root and not osp.isabs(path):
            path = osp.join(self.data_root, path)
        with open(path) as f:
            raw = json.load(f)
        points = {}
        for seq in raw['sequences']:
            name = f'{seq["dataset"]}/{seq["seq_name"]}'
            for fname, segs_t in zip(seq['annotated_image_paths'],
                                     seq['segmentations']):
                for track, seg in segs_t.items():
                    xy = _point_xy(seg, f'{path}: {name} {fname} {track}')
                    if xy is not None:
                        points[(name, fname, int(track))] = xy
        return points

    def filter_data(self) -> List[dict]:
        """Nothing more to filter (empty sequences were dropped while
        loading, as the reference)."""
        return self.data_list

    def _load_sequence(self, seq: dict, vid: int, cats: List[int],
                       ids: InstanceIdMap, path: str) -> Optional[dict]:
        name = f'{seq["dataset"]}/{seq["seq_name"]}'
        where = f'{path}: sequence {name}'
        h, w = int(seq['height']), int(seq['width'])
        annotated = seq['annotated_image_paths']
        segs = seq['segmentations']
        if len(segs) != len(annotated):
            raise DatasetFormatError(
                f'{where}: {len(segs)} segmentation entries for '
                f'{len(annotated)} annotated_image_paths')
        if self.test_mode:
            all_paths = seq['all_image_paths']
            files = [all_paths[t] for t in sample_burst_frames(
                len(all_paths), int(seq['fps']), self.num_interleaved)]
        else:
            files = list(annotated)
        position = {f: i for i, f in enumerate(files)}
        frames = [dict(img_path=osp.join(self.data_prefix['img_path'], name,
                                         f),
                       file_name=f'{name}/{f}', frame_id=t, video_id=vid,
                       video_name=name, height=h, width=w,
                       img_id=vid * 100000 + t, is_annotated=False,
                       instances=[]) for t, f in enumerate(files)]
        num_tracks = 0
        for fname, segs_t in zip(annotated, segs):
            if fname not in position:
                raise DatasetFormatError(
                    f'{where}: annotated frame {fname} is not among the '
                    'processed frames (all_image_paths at the sequence fps)')
            frame = frames[position[fname]]
            frame['is_annotated'] = True
            for track, seg in segs_t.items():
                if str(track) not in seq['track_category_ids']:
                    # the reference fails with a bare KeyError here
                    raise DatasetFormatError(
                        f'{where} frame {fname}: a segmentation for track '
                        f'{track}, which track_category_ids does not list '
                        f'(tracks: {sorted(seq["track_category_ids"])}); add '
                        'its category or remove the segmentation')
                rle = dict(size=[h, w], counts=seg['rle'])
                if not self.test_mode and \
                        rle_area(rle) < self.min_mask_area:
                    continue
                cat = seq['track_category_ids'].get(str(track))
                label = cats.index(cat) if cat in cats else -1
                inst = make_instance(rle, label, ids(name, int(track)), False,
                                     self.mask_format)
                if inst is None:
                    continue
                inst['track_id'] = int(track)
                point = _point_xy(seg, f'{where} frame {fname} track {track}'
                                  ) or self._points.get((name, fname,
                                                         int(track)))
                if point is not None:
                    inst['point'] = point
                frame['instances'].append(inst)
                num_tracks += 1
        if num_tracks == 0 and not self.test_mode:
            return None
        if self.test_mode:
            seen = {i['track_id'] for f in frames for i in f['instances']}
            missing = sorted(set(map(int, seq['track_category_ids'])) - seen)
            if missing:
                raise DatasetFormatError(
                    f'{where}: track(s) {missing} have no exemplar frame (no '
                    'segmentation in any annotated frame); exemplar-guided '
                    'inference needs one per track: add the first-frame '
                    'annotation or remove the track from '
                    'track_category_ids')
        return dict(video_id=vid, video_name=name, video_length=len(frames),
                    images=frames)
