# Copyright (c) mmvidseg contributors. All rights reserved.
"""COCO-Videos (Video-TTT) as frame streams, instance or panoptic.

Layout (``renwang435/video-ttt-release: mask2former/data/datasets/
register_in_train_loop_coco_videos*.py``)::

    <data_root>/raw_images/<video>/*_<idx>.png
    <data_root>/annotations/<ann_split>/<video>.json
    <data_root>/panoptic_images/<video>/<annotation file_name>

The per-video JSON is COCO-panoptic style: ``images[{id, file_name,
height, width}]`` and ``annotations[{image_id, file_name,
segments_info[{id, category_id, bbox (xywh), iscrowd, segmentation}]}]``.
Categories are always detectron2's ``COCO_CATEGORIES`` (80 things + 53
stuff, :data:`COCO_VIDEOS_CATEGORIES`), whatever the JSON lists, as the
official loaders force. Frames at stream positions ``0, 10, 20, ...``
(``eval_interval``) that have an annotation are evaluated.
"""
import json
import os.path as osp
from typing import Dict, Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.datasets import CocoPanopticDataset
from PIL import Image

from mmvidseg.registry import DATASETS, TRANSFORMS
from .frame_stream import FrameStreamDataset

COCO_VIDEOS = ('bangkok', 'bar', 'berkeley', 'havana', 'house', 'irvine',
               'paris', 'restaurant', 'school', 'tokyo')
_THING_IDS = tuple(i for i in range(1, 91) if i not in (
    12, 26, 29, 30, 45, 66, 68, 69, 71, 83))
_STUFF_IDS = (92, 93, 95, 100, 107, 109, 112, 118, 119, 122, 125, 128, 130,
              133, 138, 141, 144, 145, 147, 148, 149, 151, 154, 155, 156,
              159, 161, 166, 168, 171, 175, 176, 177, 178, 180, 181, 184,
              185, 186, 187, 188, 189, 190, 191, 192, 193, 194, 195, 196,
              197, 198, 199, 200)
_META = CocoPanopticDataset.METAINFO
# detectron2 COCO_CATEGORIES: (id, name, isthing), things then stuff, ids
# ascending within each (the contiguous label = position).
COCO_VIDEOS_CATEGORIES = tuple(
    [dict(id=i, name=n, isthing=1)
     for i, n in zip(_THING_IDS, _META['thing_classes'])] +
    [dict(id=i, name=n, isthing=0)
     for i, n in zip(_STUFF_IDS, _META['stuff_classes'])])
INSTANCE_OFFSET = 1000  # mmdet's panoptic encoding label + id * offset


@DATASETS.register_module()
class COCOVideosStream(FrameStreamDataset):
    """COCO-Videos frames with instance or panoptic ground truth.

    ``task='instance'``: each frame's ``instances`` (``mask`` = the
    segment's ``segmentation``, RLE or polygon; ``bbox`` xyxy;
    ``bbox_label`` in 0..79; ``ignore_flag`` = iscrowd) for thing segments,
    read by :class:`COCOVideosMetric` from the metainfo. ``task='panoptic'``:
    ``seg_map_path`` + ``segments_info`` (labels in 0..132), turned into
    ``gt_panoptic_seg`` by :class:`LoadCOCOVideosPanoptic`.

    Args:
        task (str): ``'instance'`` or ``'panoptic'``.
        ann_split (str): ``annotations/<ann_split>/`` folder.
        videos (Sequence[str]): Defaults to the 10 official videos.
        eval_interval (int): Defaults to 10 (official ``arange(0, 4000,
            10)``).
    """

    METAINFO = dict(
        classes=tuple(c['name'] for c in COCO_VIDEOS_CATEGORIES),
        thing_classes=tuple(_META['thing_classes']),
        stuff_classes=tuple(_META['stuff_classes']))

    def __init__(self, task: str = 'instance', ann_split: str = 'val',
                 videos: Sequence[str] = COCO_VIDEOS,
                 eval_interval: int = 10, **kwargs) -> None:
        if task not in ('instance', 'panoptic'):
            raise ValueError(f"task must be 'instance' or 'panoptic', got "
                             f'{task!r}')
        self.task = task
        self.ann_split = ann_split
        self._anns: Dict[str, Dict[str, dict]] = {}
        kwargs.setdefault('img_dir', 'raw_images')
        super().__init__(videos=videos, eval_interval=eval_interval,
                         **kwargs)

    def _video_anns(self, video: str) -> Dict[str, dict]:
        if video not in self._anns:
            path = osp.join(self.data_root or '', 'annotations',
                            self.ann_split, f'{video}.json')
            if not osp.isfile(path):
                raise FileNotFoundError(f'{path}: COCO-Videos annotation not '
                                        'found (annotations/<split>/<video>'
                                        '.json)')
            with open(path) as f:
                data = json.load(f)
            images = {im['id']: im for im in data.get('images', [])}
            by_name = {}
            for ann in data.get('annotations', []):
                image = images.get(ann['image_id'], {})
                name = osp.basename(image.get('file_name',
                                              ann.get('file_name', '')))
                by_name[osp.splitext(name)[0]] = dict(ann, image=image)
            self._anns[video] = by_name
        return self._anns[video]

    def frame_annotation(self, video: str, pos: int, number: int,
                         name: str) -> Dict:
        ann = self._video_anns(video).get(osp.splitext(name)[0])
        if ann is None:
            return dict(evaluate=False, instances=[])
        label_of = {c['id']: i for i, c in
                    enumerate(COCO_VIDEOS_CATEGORIES)}
        out: Dict = dict(evaluate=pos % self.eval_interval == 0)
        if self.task == 'instance':
            instances = []
            for seg in ann['segments_info']:
                label = label_of.get(seg['category_id'])
                if label is None or label >= len(_THING_IDS):
                    continue  # stuff (or unknown): not an instance
                x, y, w, h = seg.get('bbox', (0, 0, 0, 0))
                instances.append(dict(
                    mask=seg['segmentation'], bbox=[x, y, x + w, y + h],
                    bbox_label=label, ignore_flag=int(seg.get('iscrowd', 0))))
            out['instances'] = instances
        else:
            png = ann.get('file_name') or name
            out['seg_map_path'] = osp.join(self.data_root or '',
                                           'panoptic_images', video,
                                           osp.basename(png))
            out['segments_info'] = [
                dict(id=s['id'], label=label_of[s['category_id']],
                     is_thing=label_of[s['category_id']] < len(_THING_IDS),
                     iscrowd=int(s.get('iscrowd', 0)))
                for s in ann['segments_info']
                if s['category_id'] in label_of]
        return out


@TRANSFORMS.register_module()
class LoadCOCOVideosPanoptic(BaseTransform):
    """COCO-panoptic PNG (id = R + 256 G + 256^2 B) -> ``gt_panoptic_seg``.

    Writes ``results['gt_panoptic_seg'] = dict(sem_seg=(1, H, W) int64)``
    in mmdet's encoding ``label + instance * 1000`` (things numbered 1.. in
    ``segments_info`` order, stuff instance 0, void = ``num_classes``) at
    the file's resolution; pack it with ``meta_keys`` containing
    ``'gt_panoptic_seg'``.
    """

    def __init__(self, num_classes: int = len(COCO_VIDEOS_CATEGORIES)
                 ) -> None:
        self.num_classes = num_classes

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: panoptic PNG of frame '
                                    f'{results.get("img_path")} not found')
        rgb = np.asarray(Image.open(path).convert('RGB')).astype(np.int64)
        ids = rgb[..., 0] + 256 * rgb[..., 1] + 256**2 * rgb[..., 2]
        pan = np.full(ids.shape, self.num_classes, np.int64)  # (H, W) void
        thing = 0
        for seg in results.get('segments_info', []):
            inst = 0
            if seg['is_thing']:
                thing += 1
                inst = thing
            pan[ids == seg['id']] = seg['label'] + inst * INSTANCE_OFFSET
        results['gt_panoptic_seg'] = dict(sem_seg=pan[None])  # (1, H, W)
        return results

