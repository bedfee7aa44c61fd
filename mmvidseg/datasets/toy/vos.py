# Copyright (c) mmvidseg contributors. All rights reserved.
"""DAVIS-2017 and Refer-YouTube-VOS writers of the toy dataset.

DAVIS-2017 (``davisvideochallenge/davis2017-evaluation`` reads it)::

    davis/DAVIS/JPEGImages/480p/<seq>/<%05d>.jpg
    davis/DAVIS/Annotations/480p/<seq>/<%05d>.png              semi-supervised
    davis/DAVIS/Annotations_unsupervised/480p/<seq>/<%05d>.png unsupervised
    davis/DAVIS/ImageSets/2017/{train,val}.txt

Annotation PNGs are indexed ('P' mode) with the DAVIS palette; index = the
object's ``local_id`` (1..K, the order of its YouTube-VIS annotations), 0 =
background. The toy frames are not 480p (the folder name is kept). Unlike
DAVIS, where every object shows in the first frame, a toy object may enter
later; both annotation folders hold all objects of every frame.

Refer-YouTube-VOS (as read by ``mttr2021/MTTR`` and ReferFormer)::

    ref_youtube_vos/{train,valid}/JPEGImages/<video>/<%05d>.jpg
    ref_youtube_vos/train/Annotations/<video>/<%05d>.png   palette, obj ids
    ref_youtube_vos/train/meta.json
    ref_youtube_vos/meta_expressions/{train,valid}/meta_expressions.json
    ref_youtube_vos/valid_gt/...   toy-only held-out ground truth of valid:
                                   Annotations/, meta.json,
                                   meta_expressions.json (with obj_id)

Expression ids count from ``'0'`` per video; ``obj_id`` is the
``local_id`` as a string. Frames are consecutive, not 1-in-5.
"""
import os.path as osp
from typing import Dict, List

from .encoding import (FrameCache, encode_palette_png, write_bytes,
                       write_json, write_lines)
from .metainfo import DAVIS_PALETTE
from .video import ToyVideo
from .ytvis import frame_name

DAVIS_DIR = 'davis'
REF_YTVOS_DIR = 'ref_youtube_vos'
DAVIS_SPLITS = {'train': 'train', 'valid': 'val'}


def _write_palette_masks(video: ToyVideo, folder: str) -> None:
    for t in range(video.num_frames):
        write_bytes(osp.join(folder, f'{frame_name(t)}.png'),
                    encode_palette_png(video.id_maps[t], DAVIS_PALETTE))


def _write_jpegs(video: ToyVideo, folder: str, frames: FrameCache) -> None:
    for t in range(video.num_frames):
        write_bytes(osp.join(folder, f'{frame_name(t)}.jpg'),
                    frames.jpeg(video, t))


def write_davis(videos: List[ToyVideo], out_dir: str,
                frames: FrameCache) -> Dict[str, str]:
    """Write DAVIS-2017 under ``out_dir`` (= ``<root>/davis``)."""
    root = osp.join(out_dir, 'DAVIS')
    for video in videos:
        _write_jpegs(video, osp.join(root, 'JPEGImages', '480p', video.name),
                     frames)
        for ann_dir in ('Annotations', 'Annotations_unsupervised'):
            _write_palette_masks(
                video, osp.join(root, ann_dir, '480p', video.name))
    paths = {'root': root}
    for split, davis_split in DAVIS_SPLITS.items():
        paths[f'{davis_split}_txt'] = osp.join(root, 'ImageSets', '2017',
                                               f'{davis_split}.txt')
        write_lines(paths[f'{davis_split}_txt'],
                    [v.name for v in videos if v.split == split])
    return paths


def _meta_expressions(videos: List[ToyVideo], with_obj_id: bool) -> dict:
    out = {}
    for video in videos:
        expressions, exp_id = {}, 0
        for obj in video.objects:
            for text in obj.expressions:
                entry = {'exp': text}
                if with_obj_id:
                    entry['obj_id'] = str(obj.local_id)
                expressions[str(exp_id)] = entry
                exp_id += 1
        out[video.name] = {
            'expressions': expressions,
            'frames': [frame_name(t) for t in range(video.num_frames)],
        }
    return {'videos': out}


def _meta(videos: List[ToyVideo]) -> dict:
    out = {}
    for video in videos:
        objects = {}
        for obj in video.objects:
            present = video.masks(obj.local_id).any(axis=(1, 2))  # (T,)
            objects[str(obj.local_id)] = {
                'category': obj.class_name,
                'frames': [frame_name(t) for t in range(video.num_frames)
                           if present[t]],
            }
        out[video.name] = {'objects': objects}
    return {'videos': out}


def write_ref_youtube_vos(videos: List[ToyVideo], out_dir: str,
                          frames: FrameCache) -> Dict[str, str]:
    """Write Refer-YouTube-VOS under ``out_dir``."""
    by_split = {s: [v for v in videos if v.split == s]
                for s in ('train', 'valid')}
    for video in videos:
        _write_jpegs(
            video, osp.join(out_dir, video.split, 'JPEGImages', video.name),
            frames)
        ann_root = 'train' if video.split == 'train' else 'valid_gt'
        _write_palette_masks(
            video, osp.join(out_dir, ann_root, 'Annotations', video.name))
    meta_dir = osp.join(out_dir, 'meta_expressions')
    paths = {
        'train_meta_expressions': osp.join(meta_dir, 'train',
                                           'meta_expressions.json'),
        'valid_meta_expressions': osp.join(meta_dir, 'valid',
                                           'meta_expressions.json'),
        'train_meta': osp.join(out_dir, 'train', 'meta.json'),
        'valid_gt_meta_expressions': osp.join(out_dir, 'valid_gt',
                                              'meta_expressions.json'),
        'valid_gt_meta': osp.join(out_dir, 'valid_gt', 'meta.json'),
        'valid_gt_annotations': osp.join(out_dir, 'valid_gt', 'Annotations'),
    }
    write_json(paths['train_meta_expressions'],
               _meta_expressions(by_split['train'], True))
    write_json(paths['valid_meta_expressions'],
               _meta_expressions(by_split['valid'], False))
    write_json(paths['valid_gt_meta_expressions'],
               _meta_expressions(by_split['valid'], True))
    write_json(paths['train_meta'], _meta(by_split['train']))
    write_json(paths['valid_gt_meta'], _meta(by_split['valid']))
    return paths
