# Copyright (c) mmvidseg contributors. All rights reserved.
"""COCO-Videos metrics of Video-TTT (test-time training on video streams).

Protocol (``renwang435/video-ttt-release``:
``mask2former/evaluation/coco_videos_{instance,panoptic}_evaluation.py``,
``mask2former/utils/tabulate_results_cv.py``):

* every evaluated (annotated) frame is scored on its own: instance
  segmentation by COCO mask AP (``pycocotools`` ``COCOeval``, ``segm``,
  stats[0]) and panoptic segmentation by PQ (panopticapi, single frame);
  detectron2 reports both in percent, and so do these functions;
* per video: the mean of its per-frame values;
* overall: the mean of the per-video values weighted by the number of
  evaluated frames of each video. The official table hard-codes the weights
  (:data:`OFFICIAL_WEIGHTS`, bangkok ... tokyo); ``weights='official'`` uses
  them, the default uses the actual frame counts.

The official column is labelled "mIoU" although it holds AP or PQ.
"""
import contextlib
import copy
import io
from typing import Dict, Mapping, Optional, Sequence, Union

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from .vpq import frame_stats, pq_average, video_pq_stats

OFFICIAL_WEIGHTS = dict(
    bangkok=310, bar=196, berkeley=380, havana=325, house=338, irvine=340,
    paris=331, restaurant=305, school=304, tokyo=301)


def frame_mask_ap(gt: dict, predictions: Sequence[dict]) -> Dict[int, float]:
    """COCO mask AP (percent) of every image of ``gt``; NaN for a frame
    without predictions or ground truth, as detectron2's COCOEvaluator.

    Args:
        gt (dict): COCO instance ground truth of the evaluated frames.
        predictions (Sequence[dict]): COCO results ``{image_id,
            category_id, segmentation, score}``.

    Returns:
        dict[int, float]: image id -> AP in percent (detectron2 scale).
    """
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = copy.deepcopy(gt)
        coco_gt.createIndex()
        by_image: Dict[int, list] = {}
        for i, pred in enumerate(predictions):
            if pred['image_id'] not in coco_gt.imgs:
                raise KeyError(f'predictions[{i}]: image_id '
                               f'{pred["image_id"]!r} is not a ground-truth '
                               'frame.')
            by_image.setdefault(pred['image_id'], []).append(pred)
        out = {}
        for image_id in sorted(coco_gt.getImgIds()):
            preds = by_image.get(image_id, [])
            if not preds:  # detectron2: "No predictions from the model!"
                out[image_id] = float('nan')
                continue
            coco_dt = coco_gt.loadRes(copy.deepcopy(preds))
            evaluator = COCOeval(coco_gt, coco_dt, iouType='segm')
            evaluator.params.imgIds = [image_id]
            evaluator.evaluate()
            evaluator.accumulate()
            evaluator.summarize()
            ap = evaluator.stats[0]
            out[image_id] = float(ap * 100) if ap >= 0 else float('nan')
    return out


def frame_pq(gt_ids: np.ndarray, pred_ids: np.ndarray,
             gt_segments: Sequence[Mapping], pred_segments: Sequence[Mapping],
             categories: Mapping[int, Mapping], where: str = '') -> float:
    """Panoptic quality (percent) of one frame, panopticapi definition.

    Args:
        gt_ids, pred_ids (np.ndarray): (H, W) segment ids (0 = void).
        gt_segments, pred_segments: ``segments_info`` lists.
        categories: category id -> {isthing, ...}.
        where (str): Frame name for error messages.
    """
    stats = frame_stats(gt_ids, pred_ids, gt_segments, pred_segments,
                        categories, where)
    result, _ = pq_average(video_pq_stats([stats], 1, where=where),
                           categories, None)
    return float(result['pq'] * 100)


def coco_videos_summary(per_video: Mapping[str, Sequence[float]],
                        weights: Union[None, str, Mapping[str, float]] = None
                        ) -> Dict:
    """Per-video means and the frame-weighted overall mean.

    Args:
        per_video (Mapping[str, Sequence[float]]): Video -> per-frame values.
        weights (None | 'official' | Mapping): None: number of evaluated
            frames; ``'official'``: :data:`OFFICIAL_WEIGHTS`; or a mapping.

    Returns:
        dict: ``overall``, ``num_frames`` and ``per_video`` {video: mean}.
    """
    means = {v: float(np.mean(vals)) for v, vals in per_video.items()}
    if weights == 'official':
        missing = set(means) - set(OFFICIAL_WEIGHTS)
        if missing:
            raise KeyError(f'videos {sorted(missing)} have no official '
                           f'weight (known: {sorted(OFFICIAL_WEIGHTS)})')
        weights = OFFICIAL_WEIGHTS
    w: Optional[Mapping[str, float]] = weights if isinstance(
        weights, Mapping) else {v: len(vals) for v, vals in per_video.items()}
    names = list(means)
    wt = np.array([w[v] for v in names], dtype=np.float64)
    vals = np.array([means[v] for v in names])
    overall = float(np.sum(wt * vals) / np.sum(wt)) if names else 0.0
    return dict(overall=overall,
                num_frames=int(sum(len(v) for v in per_video.values())),
                per_video=means)
