# Copyright (c) mmvidseg contributors. All rights reserved.
"""Clip-level Hungarian assigner of TeViT: one match per clip."""
from typing import List, Sequence, Union

import torch
from mmdet.models.task_modules.assigners import (AssignResult, BBoxL1Cost,
                                                  ClassificationCost,
                                                  FocalLossCost, IoUCost)
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from mmvidseg.registry import TASK_UTILS

# match costs whose value for a (prediction, GT) pair uses that pair only
_PAIRWISE_COSTS = (FocalLossCost, BBoxL1Cost, IoUCost, ClassificationCost)

DEFAULT_MATCH_COSTS = (
    dict(type='FocalLossCost', weight=2.0),
    dict(type='BBoxL1Cost', weight=5.0, box_format='xyxy'),
    dict(type='IoUCost', iou_mode='giou', weight=2.0),
)


@TASK_UTILS.register_module()
class TeViTHungarianAssigner:
    """One Hungarian matching per clip, shared by all its frames.

    Re-implements ``TeViTHungarianAssigner`` of "Temporally Efficient Vision
    Transformer for Video Instance Segmentation" (Yang et al., CVPR 2022),
    official file
    ``hustvl/TeViT: mmdet/core/bbox/assigners/tevit_hungarian_assigner.py``.

    For frame t the query-to-GT cost is the sum of the ``match_costs``
    (mmdet 3 match costs, evaluated per frame). The clip's identities are the
    sorted unique ``instances_ids`` of all its frames; identity k's cost is
    the average of the per-frame costs over the frames where k is present
    (frames without k get weight 0). ``linear_sum_assignment`` on that
    ``(num_queries, num_identities)`` matrix pairs query q with identity k;
    in frame t, q is positive for k if k is present in t, else background.

    Parity quirks kept on purpose: every frame's costs are normalised with
    the image size of the clip's *first* frame (``img_meta``); when an
    identity appears twice in one frame its first occurrence is used.
    Deviation: a frame with no GT contributes nothing instead of raising an
    ``IndexError`` as the official code does.

    Args:
        match_costs (Sequence[dict]): Match cost configs (``TASK_UTILS``).
            Defaults to focal (2.0) + normalised L1 on xyxy boxes (5.0) +
            GIoU (2.0), as the official config.
    """

    def __init__(self,
                 match_costs: Union[Sequence[Union[dict, ConfigDict]],
                                    dict] = DEFAULT_MATCH_COSTS) -> None:
        if isinstance(match_costs, dict):
            match_costs = [match_costs]
        self.match_costs = [TASK_UTILS.build(cfg) for cfg in match_costs]

    def _frame_cost(self, pred: InstanceData, gt: InstanceData,
                    img_meta: dict) -> Tensor:
        """``(num_queries, num_gts)`` summed match cost of one frame."""
        costs = [
            cost(pred_instances=pred, gt_instances=gt, img_meta=img_meta)
            for cost in self.match_costs
        ]
        return torch.stack(costs).sum(0)

    def _frame_costs(self, pred_instances: List[InstanceData],
                     gt_instances: List[InstanceData],
                     img_meta: dict) -> List[Tensor]:
        """``(P, n_t)`` match cost of every frame of the clip.

        The built-in costs of a pair depend on that prediction and that GT
        only (and on ``img_meta``, the first frame's for every frame), so
        they are evaluated once on all frames' predictions against all
        frames' GTs and each frame takes its diagonal block: the same
        values as frame-by-frame calls, with one call per cost instead of
        T. Other match costs run frame by frame.
        """
        if not all(type(cost) in _PAIRWISE_COSTS and
                   not getattr(cost, 'binary_input', False)
                   for cost in self.match_costs):
            return [
                self._frame_cost(pred, gt, img_meta) if len(gt) else None
                for pred, gt in zip(pred_instances, gt_instances)
            ]
        preds = InstanceData(
            bboxes=torch.cat([pred.bboxes for pred in pred_instances]),
            scores=torch.cat([pred.scores for pred in pred_instances]))
        gts = InstanceData(
            bboxes=torch.cat([gt.bboxes for gt in gt_instances]),
            labels=torch.cat([gt.labels for gt in gt_instances]))
        full = self._frame_cost(preds, gts, img_meta)  # (T*P, sum n_t)
        costs, row, col = [], 0, 0
        for pred, gt in zip(pred_instances, gt_instances):
            num_preds, num_gts = len(pred.bboxes), len(gt.bboxes)
            costs.append(full[row:row + num_preds, col:col + num_gts])
            row, col = row + num_preds, col + num_gts
        return costs

    def assign(self, pred_instances: List[InstanceData],
               gt_instances: List[InstanceData],
               img_meta: dict) -> List[AssignResult]:
        """Assign the queries of one clip.

        Args:
            pred_instances (list[InstanceData]): T frames, each with
                ``bboxes (P, 4)`` (xyxy, image pixels) and ``scores (P, K)``
                (classification logits).
            gt_instances (list[InstanceData]): T frames, each with
                ``bboxes``, ``labels`` and ``instances_ids``.
            img_meta (dict): Meta information of the clip's first frame.

        Returns:
            list[AssignResult]: One per frame; ``gt_inds`` are 1-based
            indices into that frame's GT, 0 for background.
        """
        if len(pred_instances) != len(gt_instances):
            raise ValueError(f'{len(pred_instances)} predicted frames but '
                             f'{len(gt_instances)} GT frames in one clip.')
        for t, gt in enumerate(gt_instances):
            if 'instances_ids' not in gt:
                raise KeyError(
                    f'gt_instances of frame {t} have no `instances_ids`; '
                    'TeViT matches identities across the clip: load '
                    'annotations with `LoadTrackAnnotations` and pack them '
                    'with `PackTrackInputs`.')
        num_preds = pred_instances[0].bboxes.shape[0]
        device = pred_instances[0].bboxes.device
        frame_ids = [gt.instances_ids.to(device) for gt in gt_instances]
        clip_ids = torch.unique(torch.cat(frame_ids))  # (K,) sorted
        num_ids = clip_ids.numel()

        if num_ids == 0 or num_preds == 0:
            fill = 0 if num_ids == 0 else -1
            return [
                AssignResult(
                    num_gts=len(gt),
                    gt_inds=torch.full((num_preds, ),
                                       fill,
                                       dtype=torch.long,
                                       device=device),
                    max_overlaps=None,
                    labels=torch.full((num_preds, ),
                                      -1,
                                      dtype=torch.long,
                                      device=device)) for gt in gt_instances
            ]

        frame_costs = self._frame_costs(pred_instances, gt_instances,
                                        img_meta)
        cost = pred_instances[0].bboxes.new_zeros(num_preds, num_ids)
        weight = cost.new_zeros(num_ids)
        presents, firsts = [], []
        for frame_cost, ids in zip(frame_costs, frame_ids):
            match = ids[None, :] == clip_ids[:, None]  # (K, n_t)
            present = match.any(1)  # (K,)
            first = match.float().argmax(1) if len(ids) else \
                present.long()  # (K,) first occurrence in the frame
            presents.append(present)
            firsts.append(first)
            if len(ids) == 0:
                continue
            cost = cost + torch.where(present[None, :], frame_cost[:, first],
                                      cost.new_zeros(()))
            weight = weight + present.float()
        cost = cost / weight[None, :]  # (P, K) per-identity frame average

        rows, cols = linear_sum_assignment(cost.detach().cpu().numpy())
        rows = torch.from_numpy(rows).to(device)
        cols = torch.from_numpy(cols).to(device)

        results = []
        for gt, present, first in zip(gt_instances, presents, firsts):
            gt_inds = torch.zeros(num_preds, dtype=torch.long, device=device)
            labels = torch.full((num_preds, ),
                                -1,
                                dtype=torch.long,
                                device=device)
            keep = present[cols]
            frame_rows, frame_cols = rows[keep], first[cols[keep]]
            gt_inds[frame_rows] = frame_cols + 1
            labels[frame_rows] = gt.labels.to(device)[frame_cols]
            results.append(
                AssignResult(
                    num_gts=len(gt),
                    gt_inds=gt_inds,
                    max_overlaps=None,
                    labels=labels))
        return results
