# Copyright (c) mmvidseg contributors. All rights reserved.
"""Offline YouTube-VIS / OVIS AP.

``python tools/analysis_tools/eval_offline.py --metric ytvis --gt GT --pred
PRED``: ``GT`` = an official annotation JSON with ``annotations`` (e.g. a
held-out valid split), ``PRED`` = ``results.json`` or the CodaLab
``submission_file.zip``. Numbers equal ``youtubevos/cocoapi:
PythonAPI/pycocotools/ytvoseval.py``; ``--ytvis-version 2022`` reports AP =
(AP_short + AP_long) / 2 with ``--long-video-ids``.
"""
import argparse
import json
from typing import Dict, List

from mmvidseg.evaluation.functional.ytvis_io import (YTVISGroundTruth,
                                                     ytvis_2022_ap, ytvis_ap,
                                                     ytvis_split)
from mmvidseg.evaluation.validation.ytvis import validate_ytvis_results
from ._args import add_once


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the YouTube-VIS options."""
    group = parser.add_argument_group('ytvis')
    add_once(group, parser, '--ytvis-version',
             choices=['2019', '2021', '2022', 'ovis'], default='2019',
             help='2022: AP = mean of AP on short and long videos')
    add_once(group, parser, '--long-video-ids', default=None,
             help='YTVIS-2022: JSON list or text file of long video ids')


def _read_ids(path: str) -> List[int]:
    with open(path) as f:
        text = f.read()
    if path.endswith('.json'):
        return [int(i) for i in json.loads(text)]
    return [int(tok) for tok in text.replace(',', ' ').split()]


def evaluate(gt: str, pred: str, args: argparse.Namespace) -> Dict:
    """AP, AP50, AP75, AP_S/M/L, AR1, AR10, AR100, AR_S/M/L."""
    truth = YTVISGroundTruth(gt)
    if getattr(args, 'ytvis_version', '2019') == '2022' and not getattr(
            args, 'long_video_ids', None):
        raise ValueError('--ytvis-version 2022 needs --long-video-ids '
                         '(the ids of the long videos)')
    # every problem of the file is found before any AP is computed
    results = validate_ytvis_results(pred, ytvis_split(truth))
    if getattr(args, 'ytvis_version', '2019') == '2022':
        return ytvis_2022_ap(truth, results, _read_ids(args.long_video_ids),
                             check=False)
    return ytvis_ap(truth, results, check=False)
