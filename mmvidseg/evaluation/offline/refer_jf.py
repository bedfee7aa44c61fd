# Copyright (c) mmvidseg contributors. All rights reserved.
"""Offline Refer-YouTube-VOS / Ref-DAVIS J&F (where ground truth exists).

Refer-YouTube-VOS style: ``python tools/analysis_tools/eval_offline.py
--metric refer_jf --gt GT/Annotations --pred PRED``: both hold
``<video>/<exp_id>/<frame>.png`` single-object 0 / 255 masks (the RVOS
submission layout; ``PRED`` may be the submission folder holding
``Annotations/`` or the zip's extracted root). J&F per expression, averaged
over expressions.

Ref-DAVIS17 (ReferFormer protocol): ``--ref-davis --gt DAVIS_ROOT --pred
PRED`` where ``PRED`` holds ``anno_0`` ... ``anno_3`` (one folder per
annotator) of ``<sequence>/<frame>.png`` id maps; each annotator is scored
with the unsupervised DAVIS-2017 evaluation against
``DAVIS_ROOT/Annotations_unsupervised`` and the numbers are averaged over the
annotators.
"""
import argparse
import os
import os.path as osp
import re
from typing import Dict

from mmvidseg.evaluation.functional.refer_io import (evaluate_ref_davis_folder,
                                                     evaluate_refer_folder)
from mmvidseg.evaluation.validation.davis import validate_davis_results
from mmvidseg.evaluation.validation.refer import (refer_split_from_folder,
                                                  validate_refer_submission)
from mmvidseg.evaluation.validation.splits import split_from_davis
from ._args import add_once


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the referring J&F options."""
    group = parser.add_argument_group('refer_jf')
    add_once(group, parser, '--videos', nargs='*', default=None,
             help='videos to score (default: all ground-truth videos)')
    add_once(group, parser, '--ref-davis', action='store_true',
             help='Ref-DAVIS17: PRED holds anno_<k>/<seq>/<frame>.png id '
             'maps, GT is the DAVIS root; the unsupervised DAVIS J&F is '
             'averaged over the annotators')
    add_once(group, parser, '--davis-set', default='val',
             help='Ref-DAVIS: ImageSets/2017 file (val)')
    add_once(group, parser, '--resolution', default='480p',
             choices=['480p', 'Full-Resolution'])
    add_once(group, parser, '--decay', default='official',
             choices=['official', 'fixed'],
             help='Ref-DAVIS decay bins: official (uint8 wrap) or fixed')


def _annotations_dir(path: str) -> str:
    sub = osp.join(path, 'Annotations')
    return sub if osp.isdir(sub) else path


def evaluate(gt: str, pred: str, args: argparse.Namespace) -> Dict:
    """J&F, J, F and per-expression (or per-annotator) values."""
    videos = getattr(args, 'videos', None)
    if getattr(args, 'ref_davis', False):
        split = split_from_davis(gt, getattr(args, 'davis_set', 'val'),
                                 'unsupervised',
                                 getattr(args, 'resolution', '480p'),
                                 frames_from='annotations',
                                 sequences=videos)
        for name in sorted(os.listdir(pred)) if osp.isdir(pred) else []:
            if re.fullmatch(r'anno_\d+', name):
                validate_davis_results(osp.join(pred, name), split,
                                       'unsupervised')
        return evaluate_ref_davis_folder(
            gt, pred, subset=getattr(args, 'davis_set', 'val'),
            resolution=getattr(args, 'resolution', '480p'),
            sequences=getattr(args, 'videos', None),
            decay=getattr(args, 'decay', 'official'))
    validate_refer_submission(
        pred, refer_split_from_folder(_annotations_dir(gt), videos))
    return evaluate_refer_folder(_annotations_dir(gt), _annotations_dir(pred),
                                 videos=videos)
