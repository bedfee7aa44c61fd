# Copyright (c) mmvidseg contributors. All rights reserved.
"""Offline A2D-Sentences / JHMDB-Sentences metrics.

``python tools/analysis_tools/eval_offline.py --metric refer_a2d --gt
GT.json --pred PRED.json``: ``GT.json`` = the COCO-format ground truth of
MTTR's ``datasets/*/create_gt_in_coco_format.py``; ``PRED.json`` = a list of
``{image_id, category_id: 1, segmentation: RLE, score}`` (every query of
every sample). Reproduces ``mttr2021/MTTR: trainer.py`` + ``metrics.py``.
"""
import argparse
import json
from typing import Dict

from mmvidseg.evaluation.functional.refer import refer_a2d_metrics
from mmvidseg.evaluation.validation.refer import validate_a2d_results


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No extra options."""


def evaluate(gt: str, pred: str, args: argparse.Namespace) -> Dict:
    """mAP, AP50, AP75, AP_S/M/L, P@0.5..0.9, overall_iou, mean_iou."""
    with open(gt) as f:
        gt_data = json.load(f)
    return refer_a2d_metrics(gt_data, validate_a2d_results(pred, gt_data))
