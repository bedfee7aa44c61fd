# Copyright (c) mmvidseg contributors. All rights reserved.
"""Referring video object segmentation metrics.

* **A2D-Sentences / JHMDB-Sentences** (``mttr2021/MTTR: metrics.py`` and
  ``trainer.py: evaluate_a2d_sentences``): each (annotated frame,
  expression) sample is one COCO "image" with one ground-truth instance.
  mAP@[.5:.95], AP50, AP75, AP_S/M/L come from ``pycocotools`` ``COCOeval``
  (``iouType='segm'``, ``useCats=0``) over all scored predictions; with only
  the top-scoring prediction per sample (the last of the maxima, as
  ``sorted(...)[-1]``): IoU = (I + 1e-6) / (U + 1e-6) **in float32** (as the
  torch code), P@K = fraction of samples with IoU > K for K in 0.5 ... 0.9,
  overall IoU = sum I / sum U, mean IoU = mean of the per-sample IoUs.
* **Refer-YouTube-VOS / Ref-DAVIS J&F** where ground truth exists locally:
  per expression, region J and boundary F per annotated frame with the DAVIS
  definitions (:mod:`mmvidseg.evaluation.functional.davis`), averaged over
  frames, then over expressions; J&F = (J + F) / 2. How the official RVOS
  server averages (per expression or per video) is unconfirmed: expressions
  are weighted equally here.

Deliberate deviations: a sample without any prediction counts as an empty
mask (MTTR raises ``IndexError``); an empty prediction list scores 0
(``COCO.loadRes`` raises).
"""
import contextlib
import copy
import io
from typing import Dict, List, Sequence, Tuple

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from mmvidseg.structures.masks import decode_rle, encode_mask
from .davis import bound_pixels, disk, frame_jf

AP_NAMES = ('mAP', 'AP50', 'AP75', 'AP_S', 'AP_M', 'AP_L')
PREC_THRS = (0.5, 0.6, 0.7, 0.8, 0.9)


def _f32_iou(inter: int, union: int) -> float:
    """``(I + 1e-6) / (U + 1e-6)`` with float32 tensors, as MTTR."""
    eps = np.float32(1e-6)
    return float((np.float32(inter) + eps) / (np.float32(union) + eps))


def refer_a2d_metrics(gt: dict, predictions: List[dict]) -> Dict[str, float]:
    """A2D / JHMDB-Sentences metrics.

    Args:
        gt (dict): COCO-format ground truth (``images``, ``annotations`` with
            RLE ``segmentation``, ``categories``), one instance per image, as
            written by MTTR's ``create_gt_in_coco_format.py``.
        predictions (list[dict]): ``{image_id, category_id, segmentation
            (RLE), score}``; every prediction of a sample is scored by mAP.

    Returns:
        dict[str, float]: mAP, AP50, AP75, AP_S, AP_M, AP_L, P@0.5 ...
        P@0.9, overall_iou, mean_iou.
    """
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        image_ids = set(coco_gt.getImgIds())
        for i, pred in enumerate(predictions):
            if pred['image_id'] not in image_ids:
                raise KeyError(f'predictions[{i}]: image_id '
                               f'{pred["image_id"]!r} is not in the ground '
                               'truth images.')
        out = dict.fromkeys(AP_NAMES, 0.0)
        if predictions:
            coco_pred = coco_gt.loadRes(copy.deepcopy(predictions))
            evaluator = COCOeval(coco_gt, coco_pred, iouType='segm')
            evaluator.params.useCats = 0
            evaluator.evaluate()
            evaluator.accumulate()
            evaluator.summarize()
            out = dict(zip(AP_NAMES, map(float, evaluator.stats[:6])))
    by_image: Dict = {}
    for pred in predictions:
        by_image.setdefault(pred['image_id'], []).append(pred)
    inters, unions, ious = [], [], []
    for image_id in coco_gt.imgs:
        gt_ann = coco_gt.imgToAnns[image_id][0]
        gt_mask = coco_gt.annToMask(gt_ann).astype(bool)
        preds = by_image.get(image_id)
        if preds:
            best = sorted(preds, key=lambda p: p['score'])[-1]
            pred_mask = decode_rle(best['segmentation']).astype(bool)
        else:
            pred_mask = np.zeros_like(gt_mask)
        inter = int(np.count_nonzero(pred_mask & gt_mask))
        union = int(np.count_nonzero(pred_mask | gt_mask))
        inters.append(inter)
        unions.append(union)
        ious.append(_f32_iou(inter, union))
    ious_arr = np.array(ious)
    for k in PREC_THRS:
        out[f'P@{k}'] = float(np.mean(ious_arr > k)) if ious else 0.0
    out['overall_iou'] = float(sum(map(float, inters)) /
                               sum(map(float, unions))) if unions and sum(
                                   unions) else 0.0
    out['mean_iou'] = float(np.mean(ious)) if ious else 0.0
    return out


def expression_jf(gt: np.ndarray, pred: np.ndarray,
                  bound_th: float = 0.008) -> Tuple[np.ndarray, np.ndarray]:
    """Per-frame J and F of one referred object.

    Args:
        gt (np.ndarray): (T, H, W) bool ground-truth masks.
        pred (np.ndarray): (T, H, W) bool predicted masks.

    Returns:
        tuple[np.ndarray, np.ndarray]: (T,) J and (T,) F.
    """
    if gt.shape != pred.shape:
        raise ValueError(f'prediction shape {pred.shape} differs from the '
                         f'ground truth {gt.shape} (T, H, W)')
    kernel = disk(bound_pixels(gt.shape[1:], bound_th))
    j_val, f_val = np.zeros(len(gt)), np.zeros(len(gt))
    for t in range(len(gt)):
        j, f = frame_jf(gt[t].astype(np.uint8), pred[t].astype(np.uint8), 1,
                        1, None, kernel, [(1, 1)])
        j_val[t], f_val[t] = j[0, 0], f[0, 0]
    return j_val, f_val


def refer_jf_summary(
        per_expression: Dict[str, Tuple[np.ndarray, np.ndarray]]) -> Dict:
    """J, F and J&F averaged over frames, then expressions.

    Args:
        per_expression (dict): ``'<video>/<exp_id>'`` -> (J, F) per frame.

    Returns:
        dict: ``J&F``, ``J``, ``F`` and ``per_expression`` {name: {J, F}}.
    """
    js = [float(np.mean(j)) for j, _ in per_expression.values()]
    fs = [float(np.mean(f)) for _, f in per_expression.values()]
    j_mean = float(np.mean(js)) if js else 0.0
    f_mean = float(np.mean(fs)) if fs else 0.0
    return {
        'J&F': (j_mean + f_mean) / 2, 'J': j_mean, 'F': f_mean,
        'per_expression': {k: {'J': j, 'F': f}
                           for k, j, f in zip(per_expression, js, fs)}
    }


def masks_to_coco_predictions(image_ids: Sequence, masks: Sequence[
        np.ndarray], scores: Sequence[Sequence[float]]) -> List[dict]:
    """MTTR-style prediction list from per-sample (Q, H, W) masks."""
    out = []
    for image_id, sample_masks, sample_scores in zip(image_ids, masks,
                                                     scores):
        for mask, score in zip(sample_masks, sample_scores):
            rle = encode_mask(mask)
            out.append(dict(image_id=image_id, category_id=1,
                            segmentation=rle, score=float(score)))
    return out
