# Copyright (c) mmvidseg contributors. All rights reserved.
"""Offline VPQ: VIPSeg or Cityscapes-VPS submission layouts.

``python tools/analysis_tools/eval_offline.py --metric vpq --gt GT_PNG_DIR
--gt-json GT_JSON --pred SUBMIT_DIR [--vpq-format vipseg|cityscapes_vps]
[--window vipseg|cityscapes_vps]``

* ``vipseg``: ``GT_PNG_DIR`` = ``VIPSeg_720P/panomasksRGB``, ``GT_JSON`` =
  ``panoptic_gt_VIPSeg_val.json``, ``SUBMIT_DIR/{pred.json,pan_pred/}``
  (``VIPSeg-Dataset: ClipPanoFCN/eval_vpq_vspw.py``).
* ``cityscapes_vps``: ``GT_PNG_DIR`` = ``val/panoptic_video``, ``GT_JSON`` =
  ``panoptic_gt_val_city_vps.json``, ``SUBMIT_DIR/{pred.json,pan_pred/}``
  (``mcahny/vps: tools/eval_vpq.py``).

The window convention defaults to the format's own (VIPSeg: nframes 1, 2, 4,
6, 8; Cityscapes-VPS: k = 0, 5, 10, 15) and is named in the output. Values
are in percent, as the official ``vpq-final.txt``.
"""
import argparse
import os.path as osp

from mmvidseg.evaluation.functional.panoptic_io import (
    cityscapes_vps_layout, load_json, read_rgb_png, rgb2id, vipseg_layout)
from mmvidseg.evaluation.functional.vpq import (WINDOW_CONVENTIONS,
                                                compute_vpq, frame_stats)
from mmvidseg.evaluation.validation.panoptic import (
    validate_cityscapes_vps, validate_vipseg)
from ._args import add_once


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the VPQ options."""
    group = parser.add_argument_group('vpq')
    add_once(group, parser, '--vpq-format',
             choices=['vipseg', 'cityscapes_vps'], default='vipseg',
             help='input layout')
    add_once(group, parser, '--window', choices=sorted(WINDOW_CONVENTIONS),
             default=None, help='VPQ window convention (default: the '
             'format\'s own)')
    add_once(group, parser, '--gt-json', default=None,
             help='GT JSON (VIPSeg: panoptic_gt_VIPSeg_val.json)')
    add_once(group, parser, '--frames-per-video', type=int, default=6,
             help='Cityscapes-VPS annotated frames per video')


def _gt_json(gt: str, args: argparse.Namespace, fmt: str) -> str:
    path = getattr(args, 'gt_json', None)
    if path:
        return path
    name = ('panoptic_gt_VIPSeg_val.json' if fmt == 'vipseg' else
            'panoptic_gt_val_city_vps.json')
    for root in (osp.dirname(osp.abspath(gt)),
                 osp.dirname(osp.dirname(osp.abspath(gt)))):
        if osp.isfile(osp.join(root, name)):
            return osp.join(root, name)
    raise ValueError(f'--gt-json is required (e.g. {name})')


def evaluate(gt: str, pred: str, args: argparse.Namespace) -> dict:
    """Scores official-format VPS predictions with VPQ."""
    fmt = getattr(args, 'vpq_format', None) or 'vipseg'
    gt_json = _gt_json(gt, args, fmt)
    gt_data = load_json(gt_json)
    categories = {c['id']: c for c in gt_data['categories']}
    if fmt == 'vipseg':
        validate_vipseg(pred, gt, gt_data)
    else:
        validate_cityscapes_vps(pred, gt_data)
    if fmt == 'vipseg':
        videos = vipseg_layout(gt, gt_json, pred)
    else:
        videos = cityscapes_vps_layout(
            gt, gt_json, pred, getattr(args, 'frames_per_video', 6))
    stats = {}
    for vid, frames in videos:
        stats[vid] = []
        for t, (gt_png, pred_png, g_info, p_info) in enumerate(frames):
            g_ids = rgb2id(read_rgb_png(gt_png))
            p_ids = rgb2id(read_rgb_png(pred_png))
            stats[vid].append(frame_stats(
                g_ids, p_ids, g_info, p_info, categories,
                where=f'video {vid!r} frame {t} '
                f'({osp.basename(pred_png)})'))
    window = getattr(args, 'window', None) or fmt
    return compute_vpq(stats, categories, window)
