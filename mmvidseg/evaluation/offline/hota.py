# Copyright (c) mmvidseg contributors. All rights reserved.
"""Offline BURST HOTA (``Ali2500/BURST-benchmark: burstapi/eval/run.py``).

``python tools/analysis_tools/eval_offline.py --metric hota --gt GT
--pred PRED.json [--task class_guided|exemplar_guided]``: ``GT`` is the
annotation folder holding ``all_classes.json`` (as ``run.py --gt``) or the
JSON file itself; ``PRED`` is the result JSON in the BURST format.
Values are in percent, as the official table.
"""
import argparse
import os.path as osp

from mmvidseg.evaluation.functional.burst import evaluate_burst
from mmvidseg.evaluation.functional.panoptic_io import load_json
from mmvidseg.evaluation.validation.burst import validate_burst_results
from ._args import add_once


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the BURST options."""
    group = parser.add_argument_group('hota')
    add_once(group, parser, '--task',
             choices=['class_guided', 'exemplar_guided'],
             default='class_guided', help='BURST task')


def evaluate(gt: str, pred: str, args: argparse.Namespace) -> dict:
    """HOTA / DetA / AssA / LocA for all / common / uncommon classes."""
    gt_file = osp.join(gt, 'all_classes.json') if osp.isdir(gt) else gt
    gt_data = load_json(gt_file)
    names = {c['id']: c['name'] for c in gt_data.get('categories', [])
             if 'name' in c}
    exemplar = getattr(args, 'task', '') == 'exemplar_guided'
    return evaluate_burst(
        gt_data, validate_burst_results(pred, gt_data,
                                        exemplar_guided=exemplar),
        exemplar_guided=exemplar, class_names=names)
