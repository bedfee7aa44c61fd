# Copyright (c) mmvidseg contributors. All rights reserved.
"""Offline COCO-Videos (Video-TTT) per-frame AP / PQ.

``python tools/analysis_tools/eval_offline.py --metric coco_videos --gt GT
--pred PRED [--cv-task instance|panoptic]``

* instance: ``GT/<video>.json`` COCO instance ground truth of the evaluated
  frames, ``PRED/<video>.json`` COCO results (``{image_id, category_id,
  segmentation, score}``);
* panoptic: ``GT/<video>.json`` COCO-panoptic JSON (``annotations`` with
  ``file_name`` / ``segments_info``, ``categories``) with its PNGs in
  ``GT/<video>/``, ``PRED/<video>.json`` + ``PRED/<video>/`` alike.

Per video the mean of the per-frame values, overall the frame-weighted mean
(``--cv-weights official`` uses the hard-coded lengths of
``renwang435/video-ttt-release: mask2former/utils/tabulate_results_cv.py``).
Values are in percent, as detectron2 reports them.
"""
import argparse
import json
import os
import os.path as osp
from typing import Dict

import numpy as np
from PIL import Image

from mmvidseg.evaluation.functional.coco_videos import (coco_videos_summary,
                                                        frame_mask_ap,
                                                        frame_pq)
from mmvidseg.evaluation.validation.coco import (coco_images,
                                                 validate_coco_segm_results)
from mmvidseg.evaluation.validation.panoptic import validate_coco_panoptic
from ._args import add_once


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Adds the COCO-Videos options."""
    group = parser.add_argument_group('coco_videos')
    add_once(group, parser, '--cv-task', default='instance',
             choices=['instance', 'panoptic'])
    add_once(group, parser, '--cv-weights', default='frames',
             choices=['frames', 'official'],
             help='overall mean weights: evaluated frames per video, or the '
             "official table's hard-coded video lengths")


def _load(path: str):
    with open(path) as f:
        return json.load(f)


def _ids(path: str) -> np.ndarray:
    with Image.open(path) as img:
        rgb = np.array(img.convert('RGB')).astype(np.int64)
    return rgb[..., 0] + 256 * rgb[..., 1] + 256 * 256 * rgb[..., 2]


def _panoptic_video(gt_dir: str, pred_dir: str, video: str) -> list:
    gt = _load(osp.join(gt_dir, f'{video}.json'))
    validate_coco_panoptic(osp.join(pred_dir, f'{video}.json'),
                           osp.join(pred_dir, video), gt,
                           osp.join(gt_dir, video))
    pred = _load(osp.join(pred_dir, f'{video}.json'))
    cats = {c['id']: c for c in gt['categories']}
    preds = {a['image_id']: a for a in pred['annotations']}
    values = []
    for ann in gt['annotations']:
        if ann['image_id'] not in preds:
            raise KeyError(f'{pred_dir}/{video}.json has no annotation for '
                           f'image_id {ann["image_id"]}')
        pa = preds[ann['image_id']]
        values.append(frame_pq(
            _ids(osp.join(gt_dir, video, ann['file_name'])),
            _ids(osp.join(pred_dir, video, pa['file_name'])),
            ann['segments_info'], pa['segments_info'], cats,
            f'video {video} frame {ann["file_name"]}'))
    return values


def evaluate(gt: str, pred: str, args: argparse.Namespace) -> Dict:
    """Overall (frame-weighted) value and per-video means, in percent."""
    videos = sorted(osp.splitext(f)[0] for f in os.listdir(gt)
                    if f.endswith('.json'))
    per_video = {}
    for video in videos:
        pred_json = osp.join(pred, f'{video}.json')
        if not osp.isfile(pred_json):
            raise FileNotFoundError(f'{pred_json} is missing (one results '
                                    'file per ground-truth video)')
        if getattr(args, 'cv_task', 'instance') == 'panoptic':
            per_video[video] = _panoptic_video(gt, pred, video)
        else:
            gt_data = _load(osp.join(gt, f'{video}.json'))
            per_video[video] = list(frame_mask_ap(
                gt_data, validate_coco_segm_results(
                    pred_json, coco_images(gt_data))).values())
    weights = 'official' if getattr(args, 'cv_weights',
                                    'frames') == 'official' else None
    return coco_videos_summary(per_video, weights)
