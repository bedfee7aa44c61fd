# Copyright (c) mmvidseg contributors. All rights reserved.
"""Offline Refer-YouTube-VOS / Ref-DAVIS J&F (where ground truth exists).

``python tools/analysis_tools/eval_offline.py --metric refer_jf --gt
GT/Annotations --pred PRED``: both hold ``<video>/<exp_id>/<frame>.png``
single-object 0 / 255 masks (the RVOS submission layout; ``PRED`` may be the
submission folder holding ``Annotations/`` or the zip's extracted root).
"""
import argparse
import os.path as osp
from typing import Dict

from mmvidseg.evaluation.functional.refer_io import evaluate_refer_folder
from ._args import add_once


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the referring J&F options."""
    group = parser.add_argument_group('refer_jf')
    add_once(group, parser, '--videos', nargs='*', default=None,
             help='videos to score (default: all ground-truth videos)')


def _annotations_dir(path: str) -> str:
    sub = osp.join(path, 'Annotations')
    return sub if osp.isdir(sub) else path


def evaluate(gt: str, pred: str, args: argparse.Namespace) -> Dict:
    """J&F, J, F and per-expression values."""
    return evaluate_refer_folder(_annotations_dir(gt), _annotations_dir(pred),
                                 videos=getattr(args, 'videos', None))
