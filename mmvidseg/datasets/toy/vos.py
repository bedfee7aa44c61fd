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
    ref_youtube_vos/meta_expressions/train_all/meta_expressions.json
                                   toy-only: every unique expression of
                                   every kind (an alternative training set)
    ref_youtube_vos/valid_gt/kinds/<kind>[_decisive].json
                                   toy-only: the valid expressions of one
                                   kind (per-kind evaluation)

Expression ids count from ``'0'`` per video; ``obj_id`` is the
``local_id`` as a string. Frames are consecutive, not 1-in-5.
"""
import os.path as osp
from typing import Dict, List

from .encoding import (FrameCache, encode_palette_png, write_bytes,
                       write_json, write_lines)
from .expressions import EXPRESSION_KINDS, unique_expressions
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


def kind_keys() -> List[str]:
    """Names of the per-kind files: ``'class'``, ..., ``'class_decisive'``,
    ..."""
    return list(EXPRESSION_KINDS) + [f'{k}_decisive' for k in EXPRESSION_KINDS]


def unique_meta_expressions(videos: list, key: str = 'all') -> dict:
    """``meta_expressions`` (with ``obj_id``) of the expressions of
    :func:`~.expressions.unique_expressions`: all of them (``key='all'``),
    one kind (``'colour'``) or one kind where it decides
    (``'colour_decisive'``). Videos without such an expression are left
    out.

    Args:
        videos (list): :class:`ToyVideo` s, or objects with ``name``,
            ``num_frames`` and ``objects`` (``local_id``, ``colour``,
            ``class_name``, ``direction``).
        key (str): ``'all'`` or one of :func:`kind_keys`.
    """
    if key != 'all' and key not in kind_keys():
        raise ValueError(f'unknown key {key!r}; choose "all" or one of '
                         f'{kind_keys()}')
    kind, decisive_only = key.split('_')[0], key.endswith('_decisive')
    out = {}
    for video in videos:
        chosen = [(obj, text) for obj, k, text, decisive in
                  unique_expressions(video.objects)
                  if key == 'all' or (k == kind and
                                      (decisive or not decisive_only))]
        if not chosen:
            continue
        out[video.name] = {
            'expressions': {
                str(i): {'exp': text, 'obj_id': str(obj.local_id)}
                for i, (obj, text) in enumerate(chosen)
            },
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
        'train_all_meta_expressions': osp.join(meta_dir, 'train_all',
                                               'meta_expressions.json'),
    }
    for key in kind_keys():
        paths[f'valid_gt_{key}_meta_expressions'] = osp.join(
            out_dir, 'valid_gt', 'kinds', f'{key}.json')
    write_json(paths['train_meta_expressions'],
               _meta_expressions(by_split['train'], True))
    write_json(paths['valid_meta_expressions'],
               _meta_expressions(by_split['valid'], False))
    write_json(paths['valid_gt_meta_expressions'],
               _meta_expressions(by_split['valid'], True))
    write_json(paths['train_all_meta_expressions'],
               unique_meta_expressions(by_split['train']))
    for key in kind_keys():
        write_json(paths[f'valid_gt_{key}_meta_expressions'],
                   unique_meta_expressions(by_split['valid'], key))
    write_json(paths['train_meta'], _meta(by_split['train']))
    write_json(paths['valid_gt_meta'], _meta(by_split['valid']))
    return paths
