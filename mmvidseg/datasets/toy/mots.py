# Copyright (c) mmvidseg contributors. All rights reserved.
"""KITTI-MOTS and BURST (multi-object tracking and segmentation) writers.

KITTI-MOTS (``VisualComputingInstitute/mots_tools: mots_common/io.py``)::

    kitti_mots/training/image_02/<seq %04d>/<frame %06d>.png
    kitti_mots/instances_txt/<seq %04d>.txt
    kitti_mots/instances/<seq %04d>/<frame %06d>.png    16-bit obj_id maps
    kitti_mots/{train,val}.seqmap

txt lines ``frame obj_id class_id img_height img_width rle`` with
``obj_id = class_id * 1000 + local_id`` and the class ids of
``metainfo.KITTI_MOTS_CLASSES`` (toy classes 1..3, not car / pedestrian);
masks never overlap. Sequence names as KITTI-STEP (train ``0000..``, then
valid); both splits live in ``training/`` as in KITTI, the seqmaps
(``<seq> empty 000000 <last frame %06d>``) tell them apart.

BURST (``Ali2500/BURST-benchmark: ANNOTATION_FORMAT.md``)::

    burst/frames/{train,val}/TOY/<video>/<%05d>.jpg
    burst/annotations/train/all_classes.json
    burst/annotations/val/{all_classes,first_frame_annotations}.json
    burst/annotations/info/categories.json

Every ``cfg.burst_annotation_stride``-th frame is annotated; all frames are
listed in ``all_image_paths``. Track ids are the ``local_id`` (str keys);
frames where a track is absent have no entry for it. The annotations are
exhaustive: ``neg_category_ids`` lists the classes absent from a video.
``first_frame_annotations`` keeps each track only in its first annotated
frame, with ``bbox`` and ``point`` (the pixel deepest inside the mask).
"""
import os.path as osp
from typing import Dict, List

import cv2
import numpy as np

from mmvidseg.structures.masks import encode_masks, mask_bbox, xyxy_to_xywh
from .encoding import (FrameCache, encode_png, write_bytes, write_json,
                       write_lines)
from .metainfo import BURST_CATEGORIES, BURST_DATASET_NAME
from .panoptic import KITTI_SPLITS, kitti_sequence_name
from .video import ToyVideo
from .ytvis import frame_name

KITTI_MOTS_DIR = 'kitti_mots'
BURST_DIR = 'burst'
BURST_FPS = 10


def mots_obj_ids(video: ToyVideo) -> np.ndarray:
    """``(T, H, W)`` uint16 KITTI-MOTS obj_id maps (0 = background)."""
    out = np.zeros(video.id_maps.shape, np.uint16)
    for obj in video.objects:
        out[video.id_maps == obj.local_id] = (
            obj.category_id * 1000 + obj.local_id)
    return out


def write_kitti_mots(videos: List[ToyVideo], out_dir: str,
                     frames: FrameCache) -> Dict[str, str]:
    """Write KITTI-MOTS under ``out_dir`` (= ``<root>/kitti_mots``)."""
    num_train = sum(v.split == 'train' for v in videos)
    seqmaps = {'train': [], 'val': []}
    for video in videos:
        seq = kitti_sequence_name(video, num_train)
        obj_ids = mots_obj_ids(video)  # (T, H, W)
        lines = []
        rles = {o.local_id: encode_masks(video.masks(o.local_id))
                for o in video.objects}
        for t in range(video.num_frames):
            name = f'{t:06d}.png'
            write_bytes(osp.join(out_dir, 'training', 'image_02', seq, name),
                        frames.png(video, t))
            write_bytes(osp.join(out_dir, 'instances', seq, name),
                        encode_png(obj_ids[t]))
            for obj in video.objects:
                if not (video.id_maps[t] == obj.local_id).any():
                    continue
                lines.append(
                    f'{t} {obj.category_id * 1000 + obj.local_id} '
                    f'{obj.category_id} {video.height} {video.width} '
                    f'{rles[obj.local_id][t]["counts"]}')
        write_lines(osp.join(out_dir, 'instances_txt', f'{seq}.txt'), lines)
        seqmaps[KITTI_SPLITS[video.split]].append(
            f'{seq} empty 000000 {video.num_frames - 1:06d}')
    paths = {'images': osp.join(out_dir, 'training', 'image_02'),
             'instances_txt': osp.join(out_dir, 'instances_txt'),
             'instances': osp.join(out_dir, 'instances')}
    for split, lines in seqmaps.items():
        paths[f'{split}_seqmap'] = osp.join(out_dir, f'{split}.seqmap')
        write_lines(paths[f'{split}_seqmap'], lines)
    return paths


def _deepest_point(mask: np.ndarray) -> List[int]:
    """``[x, y]`` of the mask pixel farthest from the background."""
    padded = np.pad(mask.astype(np.uint8), 1)
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, 3)[1:-1, 1:-1]
    y, x = np.unravel_index(int(np.argmax(dist)), dist.shape)
    return [int(x), int(y)]


def _burst_sequence(video: ToyVideo, stride: int, first_frame: bool) -> dict:
    annotated = list(range(0, video.num_frames, stride))
    segmentations = [{} for _ in annotated]
    track_categories = {}
    for obj in video.objects:
        masks = video.masks(obj.local_id)  # (T, H, W)
        rles = encode_masks(masks)
        frames_in = [i for i, t in enumerate(annotated) if masks[t].any()]
        if first_frame:
            frames_in = frames_in[:1]
        for i in frames_in:
            t = annotated[i]
            entry = {'rle': rles[t]['counts'], 'is_gt': True, 'score': 1.0}
            if first_frame:
                entry['bbox'] = [int(v) for v in xyxy_to_xywh(
                    mask_bbox(masks[t]))]
                entry['point'] = _deepest_point(masks[t])
            segmentations[i][str(obj.local_id)] = entry
        if frames_in:
            track_categories[str(obj.local_id)] = obj.category_id
    present = set(track_categories.values())
    return {
        'id': video.video_id,
        'width': video.width,
        'height': video.height,
        'seq_name': video.name,
        'dataset': BURST_DATASET_NAME,
        'fps': BURST_FPS,
        'all_image_paths': [f'{frame_name(t)}.jpg'
                            for t in range(video.num_frames)],
        'annotated_image_paths': [f'{frame_name(t)}.jpg' for t in annotated],
        'neg_category_ids': [c['id'] for c in BURST_CATEGORIES
                             if c['id'] not in present],
        'not_exhaustive_category_ids': [],
        'track_category_ids': track_categories,
        'segmentations': segmentations,
    }


def write_burst(videos: List[ToyVideo], out_dir: str, frames: FrameCache,
                stride: int) -> Dict[str, str]:
    """Write BURST under ``out_dir`` (= ``<root>/burst``)."""
    paths = {'frames': osp.join(out_dir, 'frames'),
             'categories': osp.join(out_dir, 'annotations', 'info',
                                    'categories.json')}
    write_json(paths['categories'], BURST_CATEGORIES)
    for split, name in KITTI_SPLITS.items():
        split_videos = [v for v in videos if v.split == split]
        for video in split_videos:
            folder = osp.join(out_dir, 'frames', name, BURST_DATASET_NAME,
                              video.name)
            for t in range(video.num_frames):
                write_bytes(osp.join(folder, f'{frame_name(t)}.jpg'),
                            frames.jpeg(video, t))
        files = {'all_classes': False}
        if name == 'val':
            files['first_frame_annotations'] = True
        for file, first_frame in files.items():
            key = f'{name}_{file}'
            paths[key] = osp.join(out_dir, 'annotations', name, f'{file}.json')
            write_json(paths[key], {
                'split': name,
                'categories': BURST_CATEGORIES,
                'sequences': [_burst_sequence(v, stride, first_frame)
                              for v in split_videos],
            })
    return paths
