# Copyright (c) mmvidseg contributors. All rights reserved.
"""KITTI-STEP and VIPSeg (video panoptic) writers of the toy dataset.

KITTI-STEP (``google-research/deeplab2: g3doc/setup/kitti_step.md``)::

    kitti_step/images/{train,val}/<seq %04d>/<frame %06d>.png
    kitti_step/panoptic_maps/{train,val}/<seq %04d>/<frame %06d>.png

Panoptic PNG: R = semantic id of ``metainfo.KITTI_STEP_CLASSES`` (3 stuff
then 3 thing classes, no void pixel), G = id // 256, B = id % 256, id =
the object's ``local_id`` on thing pixels, 0 on stuff. Sequences are
numbered over the whole dataset: train videos ``0000..``, then valid videos.

VIPSeg (``VIPSeg-Dataset/VIPSeg-Dataset``, after ``change2_720p.py``,
``create_panoptic_video_labels.py`` and ``splitjson.py``)::

    vipseg/VIPSeg_720P/images/<video>/<%05d>.jpg
    vipseg/VIPSeg_720P/panomasks/<video>/<%05d>.png      16-bit raw ids
    vipseg/VIPSeg_720P/panomasksRGB/<video>/<%05d>.png   COCO-panoptic RGB
    vipseg/VIPSeg_720P/panoptic_gt_VIPSeg_{train,val}.json
    vipseg/VIPSeg_720P/panoVIPSeg_categories.json
    vipseg/VIPSeg_720P/{train,val}.txt

Raw ids: 0 void, stuff = category_id + 1, thing = (category_id + 1) * 100 +
k (k-th object of that class in the video, from 0). The RGB masks encode
segment id = R + 256 G + 256^2 B; a segment keeps its id in all frames of a
video (stuff: the category colour, things: a jittered category colour, as
panopticapi's ``IdGenerator``). Frames are NOT resized to 720p: the toy
frames keep their size, only the folder name follows the official layout.
"""
import os.path as osp
from typing import Dict, List, Tuple

import numpy as np

from mmvidseg.structures.masks import mask_bbox, xyxy_to_xywh
from .encoding import (FrameCache, encode_png, write_bytes, write_json,
                       write_lines)
from .metainfo import (PANOPTIC_PALETTE, STUFF_CLASSES, VIPSEG_CATEGORIES)
from .video import ToyVideo
from .ytvis import frame_name

KITTI_STEP_DIR = 'kitti_step'
VIPSEG_DIR = 'vipseg'
KITTI_SPLITS = {'train': 'train', 'valid': 'val'}


def kitti_sequence_name(video: ToyVideo, num_train_videos: int) -> str:
    """KITTI sequence name of a toy video (KITTI-STEP and KITTI-MOTS)."""
    offset = 0 if video.split == 'train' else num_train_videos
    return f'{video.index + offset:04d}'


def kitti_step_panoptic(video: ToyVideo) -> np.ndarray:
    """``(T, H, W, 3)`` uint8 KITTI-STEP panoptic maps of a video."""
    semantic = video.semantic_maps()  # (T, H, W)
    ids = video.id_maps.astype(np.int64)  # (T, H, W)
    return np.stack([semantic, ids // 256, ids % 256], axis=-1).astype(
        np.uint8)  # (T, H, W, 3)


def write_kitti_step(videos: List[ToyVideo], out_dir: str,
                     frames: FrameCache) -> Dict[str, str]:
    """Write KITTI-STEP under ``out_dir`` (= ``<root>/kitti_step``)."""
    num_train = sum(v.split == 'train' for v in videos)
    for video in videos:
        split = KITTI_SPLITS[video.split]
        seq = kitti_sequence_name(video, num_train)
        panoptic = kitti_step_panoptic(video)  # (T, H, W, 3)
        for t in range(video.num_frames):
            name = f'{t:06d}.png'
            write_bytes(osp.join(out_dir, 'images', split, seq, name),
                        frames.png(video, t))
            write_bytes(osp.join(out_dir, 'panoptic_maps', split, seq, name),
                        encode_png(panoptic[t]))
    return {'images': osp.join(out_dir, 'images'),
            'panoptic_maps': osp.join(out_dir, 'panoptic_maps')}


def vipseg_raw_ids(video: ToyVideo) -> Tuple[np.ndarray, Dict[int, int]]:
    """``(T, H, W)`` uint16 raw VIPSeg ids and ``{raw id: category_id}``."""
    num_stuff = len(STUFF_CLASSES)
    raw = (video.stuff_map.astype(np.uint16) + 1)[None].repeat(
        video.num_frames, axis=0)
    categories = {int(s) + 1: int(s) for s in np.unique(video.stuff_map)}
    seen: Dict[int, int] = {}
    for obj in video.objects:
        category = num_stuff + obj.category_id - 1
        k = seen.get(category, 0)
        seen[category] = k + 1
        value = (category + 1) * 100 + k
        raw[video.id_maps == obj.local_id] = value
        categories[value] = category
    return raw, categories


def _segment_colours(categories: Dict[int, int], seed: int
                     ) -> Dict[int, Tuple[int, int, int]]:
    """Unique RGB per raw id: the category colour for stuff, a jittered
    category colour for things (as panopticapi's ``IdGenerator``)."""
    rng = np.random.default_rng(seed)
    colours: Dict[int, Tuple[int, int, int]] = {}
    used = {(0, 0, 0)}  # segment id 0 is void
    for raw in sorted(categories):  # stuff (raw < 100) first
        base = np.array(PANOPTIC_PALETTE[categories[raw]])
        colour = tuple(int(c) for c in base)
        if VIPSEG_CATEGORIES[categories[raw]]['isthing']:
            used.add(colour)  # things never take the bare category colour
        while colour in used:
            colour = tuple(
                int(c) for c in np.clip(base + rng.integers(-30, 31, 3), 0,
                                        255))
        colours[raw] = colour
        used.add(colour)
    return colours


def _vipseg_video(video: ToyVideo, out_dir: str, frames: FrameCache
                  ) -> Tuple[dict, dict]:
    raw, categories = vipseg_raw_ids(video)
    colours = _segment_colours(categories, video.index)
    images, annotations = [], []
    for t in range(video.num_frames):
        stem = frame_name(t)
        write_bytes(osp.join(out_dir, 'images', video.name, f'{stem}.jpg'),
                    frames.jpeg(video, t))
        write_bytes(osp.join(out_dir, 'panomasks', video.name, f'{stem}.png'),
                    encode_png(raw[t]))
        rgb = np.zeros((video.height, video.width, 3), np.uint8)
        segments = []
        for value in np.unique(raw[t]):
            colour = colours[int(value)]
            mask = raw[t] == value
            rgb[mask] = colour
            segments.append({
                'id': colour[0] + 256 * colour[1] + 256 * 256 * colour[2],
                'category_id': categories[int(value)],
                'iscrowd': 0,
                'area': int(mask.sum()),
                'bbox': xyxy_to_xywh(mask_bbox(mask)),
            })
        write_bytes(
            osp.join(out_dir, 'panomasksRGB', video.name, f'{stem}.png'),
            encode_png(rgb))
        images.append({'id': stem, 'width': video.width,
                       'height': video.height, 'file_name': f'{stem}.png'})
        annotations.append({'image_id': stem, 'file_name': f'{stem}.png',
                            'segments_info': segments})
    return ({'video_id': video.name, 'images': images},
            {'video_id': video.name, 'annotations': annotations})


def write_vipseg(videos: List[ToyVideo], out_dir: str,
                 frames: FrameCache) -> Dict[str, str]:
    """Write VIPSeg under ``out_dir`` (= ``<root>/vipseg``)."""
    root = osp.join(out_dir, 'VIPSeg_720P')
    paths = {'root': root,
             'categories': osp.join(root, 'panoVIPSeg_categories.json')}
    write_json(paths['categories'], VIPSEG_CATEGORIES)
    for split, name in KITTI_SPLITS.items():
        split_videos = [v for v in videos if v.split == split]
        entries = [_vipseg_video(v, root, frames) for v in split_videos]
        paths[f'{name}_json'] = osp.join(root,
                                         f'panoptic_gt_VIPSeg_{name}.json')
        write_json(paths[f'{name}_json'], {
            'videos': [e[0] for e in entries],
            'annotations': [e[1] for e in entries],
            'categories': VIPSEG_CATEGORIES,
        })
        paths[f'{name}_txt'] = osp.join(root, f'{name}.txt')
        write_lines(paths[f'{name}_txt'], [v.name for v in split_videos])
    return paths
