# Copyright (c) mmvidseg contributors. All rights reserved.
"""Offline KITTI-MOTS CLEAR metrics (``mots_tools: mots_eval/eval.py``).

``python tools/analysis_tools/eval_offline.py --metric mots --gt GT_DIR
--pred RESULTS_DIR [--seqmap val.seqmap]``: each folder holds ``<seq>.txt``
(``frame track_id class_id h w rle``) or ``<seq>/<%06d>.png`` per sequence.
Without ``--seqmap`` all GT sequences are scored up to their last GT frame
(the official tool requires a seqmap; pass it for official numbers).
``--mots-hota`` adds TrackEval's KITTI-MOTS HOTA / DetA / AssA / LocA per
class (the ranking metric of the KITTI-MOTS server).
"""
import argparse
import os

from mmvidseg.evaluation.functional.mots import (evaluate_mots,
                                                 load_mots_folder,
                                                 load_seqmap)
from mmvidseg.evaluation.functional.mots_hota import evaluate_mots_hota
from mmvidseg.evaluation.validation.mots import validate_mots_folder
from ._args import add_once


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the KITTI-MOTS options."""
    group = parser.add_argument_group('mots')
    add_once(group, parser, '--seqmap', default=None,
             help='seqmap file (<seq> empty 000000 <last frame> per line)')
    add_once(group, parser, '--mots-hota', action='store_true',
             help='also compute HOTA (TrackEval kitti_mots) per class')


def evaluate(gt: str, pred: str, args: argparse.Namespace) -> dict:
    """sMOTSA, MOTSA, MOTSP, IDS (+ HOTA) per class (fractions, not %)."""
    seqmap = getattr(args, 'seqmap', None)
    if seqmap:
        seqs, max_frames = load_seqmap(seqmap)
    else:
        if not os.path.isdir(gt):
            raise FileNotFoundError(f'GT folder not found: {gt}')
        seqs = sorted(n[:-4] if n.endswith('.txt') else n
                      for n in os.listdir(gt)
                      if n.endswith('.txt') or os.path.isdir(
                          os.path.join(gt, n)))
        max_frames = None
    gt_data = load_mots_folder(gt, seqs)
    sizes = {s: tuple(o['rle']['size']) for s in seqs
             for objs in gt_data[s].values() for o in objs[:1]}
    validate_mots_folder(pred, seqs, sizes, max_frames)
    pred_data = load_mots_folder(pred, seqs)
    if max_frames is None:
        max_frames = {s: max(list(gt_data[s]) + [0]) for s in seqs}
    res = evaluate_mots(gt_data, pred_data, max_frames)
    out = {}
    for cls, values in res.items():
        for key in ('sMOTSA', 'MOTSA', 'MOTSP', 'IDS'):
            out[f'{key}_{cls}'] = values[key]
    out['per_class'] = res
    if getattr(args, 'mots_hota', False):
        hota = evaluate_mots_hota(gt_data, pred_data, max_frames)
        for cls, values in hota.items():
            for key in ('HOTA', 'DetA', 'AssA', 'LocA'):
                out[f'{key}_{cls}'] = values[key]
        out['per_class_hota'] = hota
    return out
