# Copyright (c) mmvidseg contributors. All rights reserved.
"""Per-frame semantic mIoU of Video-TTT's KITTI-STEP protocol.

Each frame is scored on its own with detectron2's ``SemSegEvaluator``
definition (``renwang435/video-ttt-release`` runs it once per frame): a
confusion matrix over ``num_classes`` labels with ``ignore_index`` pixels
dropped; IoU of class c = tp / (gt + pred - tp) for classes present in the
ground truth; mIoU = sum of those IoUs / number of classes present in the
ground truth *or* the prediction (a class only predicted counts as 0), in
percent. Per video: mean over frames; per split: mean of the videos
weighted by their number of frames (``mask2former/utils/tabulate_results.py``
hard-codes the sequence lengths; ``KITTI_STEP_LENGTHS``).
"""
from typing import Dict, Mapping, Optional, Sequence

import numpy as np

# Frames per sequence in the official table (train then val sequences).
KITTI_STEP_LENGTHS = {
    '0000': 154, '0001': 447, '0003': 144, '0004': 314, '0005': 297,
    '0009': 803, '0011': 373, '0012': 78, '0015': 476, '0017': 145,
    '0019': 1059, '0020': 837, '0002': 233, '0006': 270, '0007': 800,
    '0008': 390, '0010': 294, '0013': 340, '0014': 106, '0016': 209,
    '0018': 339}


def frame_miou(gt: np.ndarray, pred: np.ndarray, num_classes: int,
               ignore_index: int = 255, where: str = '') -> float:
    """detectron2 ``SemSegEvaluator`` mIoU (percent) of one frame.

    Args:
        gt, pred (np.ndarray): (H, W) label maps of equal shape.
        num_classes (int): Number of classes; predicted labels outside
            ``[0, num_classes)`` are an error.
        ignore_index (int): Ground-truth label that is not scored.
        where (str): Frame name for error messages.

    Returns:
        float: mIoU in percent; NaN when no class is present.
    """
    gt = np.asarray(gt).astype(np.int64)
    pred = np.asarray(pred).astype(np.int64)
    if gt.shape != pred.shape:
        raise ValueError(f'{where}: prediction {pred.shape} and ground truth '
                         f'{gt.shape} differ in shape; predict at the '
                         'original resolution')
    if pred.size and (pred.min() < 0 or pred.max() >= num_classes):
        raise ValueError(f'{where}: predicted labels must be in [0, '
                         f'{num_classes}), got {pred.min()}..{pred.max()}')
    valid = gt != ignore_index
    if np.any(gt[valid] >= num_classes) or np.any(gt[valid] < 0):
        raise ValueError(f'{where}: ground-truth labels outside [0, '
                         f'{num_classes}) other than {ignore_index}')
    conf = np.bincount(pred[valid] * num_classes + gt[valid],
                       minlength=num_classes**2).reshape(
                           num_classes, num_classes)  # (pred, gt)
    tp = np.diag(conf).astype(np.float64)
    pos_gt = conf.sum(0).astype(np.float64)
    pos_pred = conf.sum(1).astype(np.float64)
    present = pos_gt > 0
    counted = (pos_gt + pos_pred) > 0
    if not counted.any():
        return float('nan')
    iou = tp[present] / (pos_gt + pos_pred - tp)[present]
    return float(iou.sum() / counted.sum() * 100)


def weighted_video_mean(per_video: Mapping[str, Sequence[float]],
                        weights: Optional[Mapping[str, float]] = None
                        ) -> Dict:
    """Per-video means and their weighted mean (weights: frame counts).

    Returns:
        dict: ``overall``, ``num_frames``, ``per_video``.
    """
    means = {v: float(np.mean(x)) for v, x in per_video.items()}
    w = {v: float(weights[v] if weights is not None else len(x))
         for v, x in per_video.items()}
    total = sum(w.values())
    overall = float(sum(w[v] * means[v] for v in means) / total) \
        if total else float('nan')
    return dict(overall=overall,
                num_frames=int(sum(len(x) for x in per_video.values())),
                per_video=means)
