# Copyright (c) mmvidseg contributors. All rights reserved.
"""Offline DAVIS 2017 J&F (semi-supervised / unsupervised).

``python tools/analysis_tools/eval_offline.py --metric davis --gt
DAVIS_ROOT --pred RESULTS``: ``DAVIS_ROOT`` holds ``Annotations[_unsupervised]
/480p/<seq>/*.png`` and ``ImageSets/2017/<set>.txt``; ``RESULTS`` holds
``<seq>/<frame>.png`` indexed PNGs, as read by
``davisvideochallenge/davis2017-evaluation: evaluation_method.py``.
"""
import argparse
from typing import Dict

from mmvidseg.evaluation.functional.davis_io import evaluate_davis_folder
from mmvidseg.evaluation.validation.davis import validate_davis_results
from mmvidseg.evaluation.validation.splits import split_from_davis
from ._args import add_once


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the DAVIS options."""
    group = parser.add_argument_group('davis')
    add_once(group, parser, '--davis-task', default='semi-supervised',
             choices=['semi-supervised', 'unsupervised'])
    add_once(group, parser, '--davis-set', default='val',
             help='ImageSets file: val, test-dev, ...')
    add_once(group, parser, '--resolution', default='480p',
             choices=['480p', 'Full-Resolution'])
    add_once(group, parser, '--decay', default='official',
             choices=['official', 'fixed'],
             help='official: uint8 decay bin edges as upstream (wrap past '
             '255 frames); fixed: integer edges')
    add_once(group, parser, '--sequences', nargs='*', default=None,
             help='sequences to score (default: the whole set)')


def evaluate(gt: str, pred: str, args: argparse.Namespace) -> Dict:
    """J&F-Mean, J-Mean/Recall/Decay, F-Mean/Recall/Decay, per object."""
    task = getattr(args, 'davis_task', 'semi-supervised')
    split = split_from_davis(gt, getattr(args, 'davis_set', 'val'), task,
                             getattr(args, 'resolution', '480p'),
                             frames_from='annotations',
                             sequences=getattr(args, 'sequences', None))
    validate_davis_results(pred, split, task, scored_only=True)
    return evaluate_davis_folder(
        gt, pred, task=getattr(args, 'davis_task', 'semi-supervised'),
        subset=getattr(args, 'davis_set', 'val'),
        resolution=getattr(args, 'resolution', '480p'),
        sequences=getattr(args, 'sequences', None),
        decay=getattr(args, 'decay', 'official'))
