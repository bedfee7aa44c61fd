# Copyright (c) mmvidseg contributors. All rights reserved.
"""A2D-Sentences / JHMDB-Sentences metric (mmengine adapter).

:class:`ReferMetric` adapts ``mttr2021/MTTR: trainer.py`` + ``metrics.py``
through :func:`mmvidseg.evaluation.functional.refer.refer_a2d_metrics`.
Data-sample fields are listed in :mod:`mmvidseg.structures.refer_sample`;
in addition the metric reads the metainfo ``exp_id`` (expression id).
"""
from typing import Any, Dict, Optional, Sequence

from mmengine.evaluator import BaseMetric

from mmvidseg.registry import METRICS
from mmvidseg.structures.masks import (encode_masks, merge_rles, rle_area,
                                       rle_bboxes)
from mmvidseg.structures.refer_sample import (as_int_or_str, frame_key,
                                              gt_masks, pred_masks_scores,
                                              shape_of)
from mmvidseg.structures.video_sample import flatten, sample_frames
from ..functional.refer import refer_a2d_metrics


@METRICS.register_module()
class ReferMetric(BaseMetric):
    """A2D-Sentences / JHMDB-Sentences referring segmentation metrics.

    Re-implements the evaluation of MTTR (Botach et al., "End-to-End Referring
    Video Object Segmentation with Multimodal Transformers", CVPR 2022;
    ``mttr2021/MTTR: trainer.py: evaluate_a2d_sentences`` and ``metrics.py``),
    reused by ReferFormer / SgMg / SOC: every annotated (frame, expression)
    is one COCO image with one ground-truth mask; mAP@[.5:.95], AP50, AP75,
    AP_S/M/L from ``COCOeval`` (``segm``, ``useCats=0``) over all predicted
    masks with their scores; with the top-scoring mask only: P@0.5 ... P@0.9
    (IoU > K), overall IoU (sum I / sum U) and mean IoU.

    Per frame it reads ``pred_instances`` (or ``pred_track_instances``)
    ``masks`` (N, H, W) + ``scores`` (N, ) (MTTR scores all its queries), the
    ground truth from ``gt_instances.masks`` / metainfo ``instances`` /
    ``gt_mask`` (several masks are merged; frames without ground truth are
    not annotated and skipped), and the metainfo ``video_id``, ``exp_id``,
    ``frame_id``, ``ori_shape`` and optional ``image_id`` (default
    ``v_<video>_f_<frame>_i_<exp_id>``; repeated ids, e.g. distributed
    padding, are kept once).

    Deviations: a frame without predictions scores an empty mask (MTTR
    raises ``IndexError``).

    Args:
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Metric name prefix. Defaults to ``'refer'``.
    """

    default_prefix: Optional[str] = 'refer'

    def __init__(self, collect_device: str = 'cpu',
                 prefix: Optional[str] = 'refer') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        """Keep RLEs of the ground truth and of every predicted mask."""
        for sample in data_samples:
            records = []
            for i, frame in enumerate(sample_frames(sample)):
                vid, exp, fid = frame_key(frame, i)
                shape = shape_of(frame)
                gt = gt_masks(frame, shape)
                if gt is None or not gt[0]:
                    continue  # not an annotated frame
                masks, scores, _ = pred_masks_scores(frame, shape)
                image_id = frame.get('image_id') or f'v_{vid}_f_{fid}_i_{exp}'
                records.append(dict(
                    image_id=as_int_or_str(image_id), shape=shape,
                    gt=merge_rles(gt[0], *shape), preds=encode_masks(masks),
                    scores=scores.tolist()))
            self.results.append(records)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        gt = dict(images=[], annotations=[],
                  categories=[dict(id=1, name='object')])
        predictions, seen = [], set()
        for rec in flatten(results):
            if rec['image_id'] in seen:
                continue
            seen.add(rec['image_id'])
            h, w = rec['shape']
            gt['images'].append(dict(id=rec['image_id'], height=h, width=w))
            gt['annotations'].append(dict(
                id=len(gt['annotations']) + 1, image_id=rec['image_id'],
                category_id=1, iscrowd=0, segmentation=rec['gt'],
                area=float(rle_area(rec['gt'])),
                bbox=rle_bboxes([rec['gt']])[0].tolist()))
            predictions += [
                dict(image_id=rec['image_id'], category_id=1,
                     segmentation=rle, score=score)
                for rle, score in zip(rec['preds'], rec['scores'])
            ]
        if not gt['images']:
            raise ValueError('ReferMetric got no annotated frame: no data '
                             'sample carried a ground-truth mask')
        return refer_a2d_metrics(gt, predictions)
