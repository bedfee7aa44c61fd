# Copyright (c) mmvidseg contributors. All rights reserved.
"""YouTube-VIS 2019 writer of the toy dataset.

Layout (fixed: configs and the YouTube-VIS dataset class rely on it)::

    youtube_vis/
      train/JPEGImages/<video>/<%05d>.jpg
      valid/JPEGImages/<video>/<%05d>.jpg
      train.json       videos + categories + annotations
      valid.json       videos + categories, no ``annotations`` key
      valid_gt.json    valid.json + the held-out annotations (local scoring)

Schema as the official ``train.json`` read by ``pycocotools.ytvos.YTVOS``
(``youtubevos/cocoapi: PythonAPI/pycocotools/ytvos.py``): one annotation
per object track with ``segmentations`` / ``bboxes`` / ``areas`` lists of
one entry per frame, ``None`` where the object is absent; masks are
compressed RLE with ``str`` counts. Annotation ids are the dataset-wide
instance ids (from 1, unique over train + valid); video ids restart at 1 in
each split, as in the official files.
"""
import os.path as osp
from typing import Dict, List

from mmvidseg.structures.masks import encode_masks, mask_bbox, xyxy_to_xywh
from .encoding import FrameCache, write_bytes, write_json
from .metainfo import YTVIS_CATEGORIES
from .video import ToyVideo

YTVIS_DIR = 'youtube_vis'


def frame_name(t: int) -> str:
    """File stem of frame ``t`` (YouTube-VIS, DAVIS, BURST, Ref-YTVOS)."""
    return f'{t:05d}'


def _video_entry(video: ToyVideo) -> dict:
    return {
        'id': video.video_id,
        'width': video.width,
        'height': video.height,
        'length': video.num_frames,
        'file_names': [f'{video.name}/{frame_name(t)}.jpg'
                       for t in range(video.num_frames)],
        'license': 1,
        'flickr_url': '',
        'coco_url': '',
        'date_captured': '',
    }


def _annotations(video: ToyVideo) -> List[dict]:
    annotations = []
    for obj in video.objects:
        masks = video.masks(obj.local_id)  # (T, H, W)
        rles = encode_masks(masks)
        areas = masks.sum(axis=(1, 2))  # (T,)
        present = areas > 0
        annotations.append({
            'id': obj.instance_id,
            'video_id': video.video_id,
            'category_id': obj.category_id,
            'iscrowd': 0,
            'height': video.height,
            'width': video.width,
            'segmentations': [r if p else None
                              for r, p in zip(rles, present)],
            'bboxes': [xyxy_to_xywh(mask_bbox(m)) if p else None
                       for m, p in zip(masks, present)],
            'areas': [float(a) if p else None for a, p in zip(areas, present)],
        })
    return annotations


def ytvis_json(videos: List[ToyVideo], with_annotations: bool) -> dict:
    """The YouTube-VIS 2019 JSON dict of ``videos`` (one split)."""
    content = {
        'info': {'description': 'mmvidseg toy dataset (YouTube-VIS 2019 '
                                'format)', 'version': '1.0'},
        'licenses': [{'id': 1, 'name': 'CC0', 'url': ''}],
        'videos': [_video_entry(v) for v in videos],
        'categories': [dict(c) for c in YTVIS_CATEGORIES],
    }
    if with_annotations:
        content['annotations'] = [a for v in videos for a in _annotations(v)]
    return content


def write_youtube_vis(videos: List[ToyVideo], out_dir: str,
                      frames: FrameCache) -> Dict[str, str]:
    """Write YouTube-VIS under ``out_dir`` (= ``<root>/youtube_vis``).

    Returns:
        Paths of the JSON files and image folders.
    """
    by_split = {s: [v for v in videos if v.split == s]
                for s in ('train', 'valid')}
    for video in videos:
        for t in range(video.num_frames):
            write_bytes(
                osp.join(out_dir, video.split, 'JPEGImages', video.name,
                         f'{frame_name(t)}.jpg'), frames.jpeg(video, t))
    paths = {
        'train_json': osp.join(out_dir, 'train.json'),
        'valid_json': osp.join(out_dir, 'valid.json'),
        'valid_gt_json': osp.join(out_dir, 'valid_gt.json'),
        'train_images': osp.join(out_dir, 'train', 'JPEGImages'),
        'valid_images': osp.join(out_dir, 'valid', 'JPEGImages'),
    }
    write_json(paths['train_json'], ytvis_json(by_split['train'], True))
    write_json(paths['valid_json'], ytvis_json(by_split['valid'], False))
    write_json(paths['valid_gt_json'], ytvis_json(by_split['valid'], True))
    return paths
