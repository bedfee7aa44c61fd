# Copyright (c) mmvidseg contributors. All rights reserved.
"""Offline STQ: KITTI-STEP PNG folders or the VIPSeg submission layout.

``python tools/analysis_tools/eval_offline.py --metric stq --gt GT
--pred PRED``

* ``--stq-format kitti_step`` (default): ``GT`` = ``panoptic_maps/val`` with
  one folder per sequence of RGB PNGs (R = semantic, G * 256 + B =
  instance), ``PRED`` = the same layout (``Ali2500/TarViS:
  eval/kitti_step/main.py``). Frames are the sorted GT PNG names.
* ``--stq-format vipseg``: ``GT`` = ``VIPSeg_720P/panomasksRGB``, ``--gt-json``
  = ``panoptic_gt_VIPSeg_val.json``, ``PRED`` = folder with ``pred.json`` +
  ``pan_pred/`` (``VIPSeg-Dataset: ClipPanoFCN/eval_stq_vspw.py``), keeping
  its renumbering quirk (first listed segment of a video = instance 0 =
  crowd when it is a thing).
"""
import argparse
import multiprocessing
import os
import os.path as osp
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from functools import partial
from typing import Callable, Iterator, List, Sequence

import numpy as np

from mmvidseg.evaluation.functional.panoptic_io import (load_json,
                                                         read_rgb_png, rgb2id,
                                                         vipseg_layout)
from mmvidseg.evaluation.functional.stq import STQuality
from mmvidseg.evaluation.validation.panoptic import (
    validate_kitti_step_folder, validate_vipseg)
from ._args import add_once

_SHIFT = 16


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the STQ options."""
    group = parser.add_argument_group('stq')
    add_once(group, parser, '--stq-format', choices=['kitti_step', 'vipseg'],
             default='kitti_step', help='input layout')
    add_once(group, parser, '--gt-json', default=None,
             help='GT JSON (VIPSeg: panoptic_gt_VIPSeg_val.json)')
    add_once(group, parser, '--num-classes', type=int, default=None,
             help='default 19 (KITTI-STEP) / 124 (VIPSeg)')
    add_once(group, parser, '--things', type=int, nargs='*', default=None,
             help='thing class ids (KITTI-STEP default: 11 13; VIPSeg: '
             'categories[].isthing)')
    add_once(group, parser, '--ignore-label', type=int, default=255)
    add_once(group, parser, '--sequences', nargs='*', default=None,
             help='sequences to score (default: all GT sequences)')


def _find_gt_json(gt: str, args: argparse.Namespace) -> str:
    if getattr(args, 'gt_json', None):
        return args.gt_json
    candidate = osp.join(osp.dirname(osp.abspath(gt)),
                         'panoptic_gt_VIPSeg_val.json')
    if osp.isfile(candidate):
        return candidate
    raise ValueError('--gt-json is required for this layout (e.g. '
                     'VIPSeg_720P/panoptic_gt_VIPSeg_val.json)')


def _workers() -> int:
    """CPU cores this process may use (at most 8)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def _kitti_parts(path: str) -> tuple:
    """KITTI-STEP PNG -> (uint8 semantic, uint16 instance) maps."""
    rgb = read_rgb_png(path)
    inst = (rgb[..., 1].astype(np.uint16) << 8) | rgb[..., 2]
    return rgb[..., 0], inst


def prefetch(fn: Callable, items: Sequence, depth: int = 16) -> Iterator:
    """``map(fn, items)`` in threads, in order, at most ``depth`` ahead."""
    with ThreadPoolExecutor(_workers()) as pool:
        futures: deque = deque()
        for item in items:
            futures.append(pool.submit(fn, item))
            if len(futures) >= depth:
                yield futures.popleft().result()
        while futures:
            yield futures.popleft().result()


def _sequence_stats(metric: STQuality, items: List[tuple]) -> list:
    """Decode and reduce the frames of one sequence, in order (a worker
    process of :func:`evaluate_kitti_step`)."""
    return [_frame_stats(metric, item)[1] for item in items]


def _frame_stats(metric: STQuality, item: tuple) -> tuple:
    seq, name, gt_png, pred_png = item
    g, p = _kitti_parts(gt_png), _kitti_parts(pred_png)
    if g[0].shape != p[0].shape:
        raise ValueError(f'sequence {seq} frame {name}: prediction size '
                         f'{p[0].shape} != GT {g[0].shape} ({pred_png})')
    return seq, metric.frame_statistics_parts(
        *g, *p, where=f'sequence {seq} frame {name}')


def evaluate_kitti_step(gt: str, pred: str,
                        args: argparse.Namespace) -> dict:
    num_classes = getattr(args, 'num_classes', None) or 19
    things = getattr(args, 'things', None)
    things = [11, 13] if things is None else things
    metric = STQuality(num_classes, things, getattr(args, 'ignore_label',
                                                    255), _SHIFT, 1 << 24)
    if not osp.isdir(gt):
        raise FileNotFoundError(f'GT folder not found: {gt}')
    sequences = getattr(args, 'sequences', None) or sorted(
        d for d in os.listdir(gt) if osp.isdir(osp.join(gt, d)))
    validate_kitti_step_folder(pred, gt, sequences)
    pairs = []
    for seq in sequences:
        gt_dir, pred_dir = osp.join(gt, seq), osp.join(pred, seq)
        if not osp.isdir(pred_dir):
            raise FileNotFoundError(f'sequence {seq}: prediction folder '
                                    f'{pred_dir} not found')
        names = sorted(x for x in os.listdir(gt_dir) if x.endswith('.png'))
        pairs += [(seq, name, osp.join(gt_dir, name),
                   osp.join(pred_dir, name)) for name in names]
    # each PNG is decoded once (panoptic_io.png_backend(): the fastest
    # reader installed) and reduced to small per-frame statistics at once.
    # With several cores and sequences, one process per sequence (decoding
    # and numpy hold the GIL part of the time); else threads over frames.
    # Statistics are added in sequence and frame order either way, so the
    # numbers do not depend on the parallelism.
    by_seq: dict = {}
    for item in pairs:
        by_seq.setdefault(item[0], []).append(item)
    workers = min(_workers(), len(by_seq))
    if workers > 1:
        context = multiprocessing.get_context(
            'fork' if sys.platform.startswith('linux') else 'spawn')
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            results = pool.map(partial(_sequence_stats, metric),
                               by_seq.values())
            for seq, frame_stats in zip(by_seq, results):
                for stats in frame_stats:
                    metric.add_statistics(stats, seq)
    else:
        for seq, stats in prefetch(partial(_frame_stats, metric), pairs):
            metric.add_statistics(stats, seq)
    return _format(metric.result())


def _vipseg_labels(ids: np.ndarray, infos, renumber: dict) -> np.ndarray:
    """Segment ids -> ``(semantic << 16) + instance``, void = 255 / 255."""
    known = [el['id'] for el in infos]
    sem = np.full(len(known) + 1, 255, np.int64)
    inst = np.full(len(known) + 1, 255, np.int64)
    for i, el in enumerate(infos):
        sem[i] = el['category_id']
        inst[i] = renumber[el['id']]
    order = np.argsort(known, kind='stable')
    sorted_ids = np.asarray(known, np.int64)[order]
    if len(known):
        pos = np.clip(np.searchsorted(sorted_ids, ids), 0, len(known) - 1)
        hit = sorted_ids[pos] == ids
        # the last listed duplicate wins, as upstream's sequential writes
        last = {k: i for i, k in enumerate(known)}
        idx_of_sorted = np.array([last[k] for k in sorted_ids.tolist()])
        index = np.where(hit, idx_of_sorted[pos], len(known))
    else:
        index = np.full(ids.shape, 0)
    return (sem[index] << _SHIFT) + inst[index]


def evaluate_vipseg(gt: str, pred: str, args: argparse.Namespace) -> dict:
    gt_json = _find_gt_json(gt, args)
    validate_vipseg(pred, gt, load_json(gt_json))
    categories = load_json(gt_json)['categories']
    things = getattr(args, 'things', None)
    if things is None:
        things = [c['id'] for c in categories if c['isthing']]
    num_classes = getattr(args, 'num_classes', None) or 124
    metric = STQuality(num_classes, things, getattr(args, 'ignore_label',
                                                    255), _SHIFT, 1 << 24)
    for vid, frames in vipseg_layout(gt, gt_json, pred):
        renumber = []
        for side in (2, 3):
            order = {}
            for frame in frames:
                for el in frame[side]:
                    order.setdefault(el['id'], len(order))
            renumber.append(order)
        for gt_png, pred_png, g_info, p_info in frames:
            g_ids = rgb2id(read_rgb_png(gt_png)).astype(np.int64)
            p_ids = rgb2id(read_rgb_png(pred_png)).astype(np.int64)
            if g_ids.shape != p_ids.shape:
                raise ValueError(f'video {vid!r} frame {osp.basename(gt_png)}'
                                 f': prediction size {p_ids.shape} != GT '
                                 f'{g_ids.shape}')
            metric.update(_vipseg_labels(g_ids, g_info, renumber[0]),
                          _vipseg_labels(p_ids, p_info, renumber[1]), vid)
    return _format(metric.result())


def _format(result: dict) -> dict:
    out = {k: float(result[k]) for k in ('STQ', 'AQ', 'IoU')}
    out['SQ'] = out['IoU']
    out['per_sequence'] = {
        str(seq): dict(STQ=s, AQ=a, IoU=i, num_frames=n)
        for seq, s, a, i, n in zip(result['ID_per_seq'],
                                   result['STQ_per_seq'],
                                   result['AQ_per_seq'],
                                   result['IoU_per_seq'],
                                   result['Length_per_seq'])
    }
    return out


def evaluate(gt: str, pred: str, args: argparse.Namespace) -> dict:
    """Scores official-format STQ predictions; values in [0, 1]."""
    if getattr(args, 'stq_format', 'kitti_step') == 'vipseg':
        return evaluate_vipseg(gt, pred, args)
    return evaluate_kitti_step(gt, pred, args)
