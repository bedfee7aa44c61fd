# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS clip-level Hungarian matcher and point-sampling helpers."""
from typing import Callable, List, Tuple

import torch
import torch.nn.functional as F
from mmcv.ops import point_sample
from scipy.optimize import linear_sum_assignment
from torch import Tensor


def sample_uncertain_points(logits: Tensor, uncertainty: Callable[[Tensor],
                                                                   Tensor],
                            num_points: int, oversample_ratio: float,
                            importance_sample_ratio: float) -> Tensor:
    """PointRend importance sampling with a free uncertainty function.

    Same maths and random-number order as detectron2's
    ``get_uncertain_point_coords_with_randomness``. mmdet's version (used by
    :class:`TarViSInstanceLoss`) fixes the uncertainty to ``-|logit|`` of
    one class; TarViS' semantic losses rank points by the top-2 class-logit
    gap (and push void pixels away), hence this one.

    Args:
        logits (Tensor): ``(N, C, H, W)``.
        uncertainty (Callable): ``(N, C, P) -> (N, 1, P)``, higher = more
            uncertain.
        num_points (int): Points per row.
        oversample_ratio (float): Candidate points per sampled point.
        importance_sample_ratio (float): Share of points picked by
            uncertainty (the rest uniform).

    Returns:
        Tensor: ``(N, num_points, 2)`` normalised (x, y) in [0, 1].
    """
    num_rows = logits.shape[0]
    num_sampled = int(num_points * oversample_ratio)
    coords = torch.rand(num_rows, num_sampled, 2, device=logits.device)
    point_unc = uncertainty(point_sample(logits, coords,
                                         align_corners=False))
    num_uncertain = int(importance_sample_ratio * num_points)
    idx = torch.topk(point_unc[:, 0, :], k=num_uncertain, dim=1)[1]
    idx = idx + num_sampled * torch.arange(
        num_rows, dtype=torch.long, device=logits.device)[:, None]
    coords = coords.view(-1, 2)[idx.view(-1), :].view(
        num_rows, num_uncertain, 2)
    if num_points - num_uncertain > 0:
        coords = torch.cat([
            coords,
            torch.rand(
                num_rows,
                num_points - num_uncertain,
                2,
                device=logits.device)
        ], 1)
    return coords


def pairwise_sigmoid_ce(inputs: Tensor, targets: Tensor) -> Tensor:
    """``(Q, P) x (N, P) -> (Q, N)`` mean binary CE (official matcher)."""
    pos = F.binary_cross_entropy_with_logits(
        inputs, torch.ones_like(inputs), reduction='none')
    neg = F.binary_cross_entropy_with_logits(
        inputs, torch.zeros_like(inputs), reduction='none')
    loss = torch.einsum('nc,mc->nm', pos, targets) + \
        torch.einsum('nc,mc->nm', neg, 1 - targets)
    return loss / inputs.shape[1]


def pairwise_dice(inputs: Tensor, targets: Tensor) -> Tensor:
    """``(Q, P) x (N, P) -> (Q, N)`` dice cost with +1 smoothing."""
    inputs = inputs.sigmoid()
    numerator = 2 * torch.einsum('nc,mc->nm', inputs, targets)
    denominator = inputs.sum(-1)[:, None] + targets.sum(-1)[None, :]
    return 1 - (numerator + 1) / (denominator + 1)


class TarViSHungarianMatcher:
    """Clip-level Hungarian matching of queries to GT tracks.

    Re-implements ``HungarianMatcher`` of "TarViS" (Athar et al., CVPR
    2023), official file ``Ali2500/TarViS: tarvis/training/
    loss_computation/instance_matcher.py``: cost = ``cost_class * (-p_cls)
    + cost_mask * BCE + cost_dice * dice`` on clip masks ``(T, H, W)``,
    sampled at ONE random set of points shared by all masks and frames.
    Predicted masks are at 1/4 of the GT mask resolution (normalised point
    coordinates make the scales agree).

    Args:
        cost_class (float): Defaults to 2.
        cost_mask (float): Defaults to 5.
        cost_dice (float): Defaults to 5.
        num_points (int): Shared sample points. Defaults to 12544.
    """

    def __init__(self,
                 cost_class: float = 2.0,
                 cost_mask: float = 5.0,
                 cost_dice: float = 5.0,
                 num_points: int = 12544) -> None:
        self.cost_class = cost_class
        self.cost_mask = cost_mask
        self.cost_dice = cost_dice
        self.num_points = num_points

    @torch.no_grad()
    def match_single(self, mask_logits: Tensor, class_logits: Tensor,
                     gt_masks: Tensor,
                     gt_labels: Tensor) -> Tuple[Tensor, Tensor]:
        """Match one clip.

        Args:
            mask_logits (Tensor): ``(Q, T, h, w)``.
            class_logits (Tensor): ``(Q, 1+C)``, background first.
            gt_masks (Tensor): ``(N, T, H, W)`` binary.
            gt_labels (Tensor): ``(N,)`` in ``1..C`` (0 = background).

        Returns:
            tuple[Tensor, Tensor]: query indices and GT indices (int64).
        """
        # drawn before the empty check: same random stream as the official
        coords = torch.rand(1, self.num_points, 2, device=mask_logits.device)
        if gt_masks.shape[0] == 0:
            empty = torch.zeros(0, dtype=torch.int64)
            return empty, empty
        cost_class = -class_logits.softmax(-1)[:, gt_labels]  # (Q, N)
        tgt = point_sample(
            gt_masks.to(mask_logits),
            coords.repeat(gt_masks.shape[0], 1, 1),
            align_corners=False).flatten(1)  # (N, T*P)
        out = point_sample(
            mask_logits,
            coords.repeat(mask_logits.shape[0], 1, 1),
            align_corners=False).flatten(1)  # (Q, T*P)
        out, tgt = out.float(), tgt.float()
        cost = self.cost_mask * pairwise_sigmoid_ce(out, tgt) + \
            self.cost_class * cost_class + \
            self.cost_dice * pairwise_dice(out, tgt)
        rows, cols = linear_sum_assignment(cost.cpu())
        return (torch.as_tensor(rows, dtype=torch.int64),
                torch.as_tensor(cols, dtype=torch.int64))

    def __call__(self, mask_logits: Tensor, class_logits: Tensor,
                 gt_masks: List[Tensor],
                 gt_labels: List[Tensor]) -> List[Tuple[Tensor, Tensor]]:
        """Match a batch: ``(B, Q, T, h, w)``, ``(B, Q, 1+C)``, lists."""
        return [
            self.match_single(mask_logits[b], class_logits[b], gt_masks[b],
                              gt_labels[b])
            for b in range(mask_logits.shape[0])
        ]
