# Copyright (c) mmvidseg contributors. All rights reserved.
"""MTTR set criterion: instance-sequence Hungarian matching + losses."""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from mmvidseg.registry import MODELS


def referred_targets(num_frames: int, num_instances: int, referred: int,
                     visible: Optional[Tensor], device) -> Tensor:
    """(T, K, 2) one-hot targets: [1, 0] for the referred instance in frames
    where it is visible (all frames if ``visible`` is None), else [0, 1]."""
    target = torch.zeros(num_frames, num_instances, 2, device=device)
    target[..., 1] = 1.
    frames = torch.arange(num_frames, device=device) if visible is None \
        else visible.nonzero().flatten()
    target[frames, referred] = torch.tensor([1., 0.], device=device)
    return target


def sequence_dice_coef(pred_logits: Tensor, gt_masks: Tensor,
                       smooth: float = 1.) -> Tensor:
    """(T, Q, H, W) logits, (T, K, H, W) masks -> (Q, K) time-mean dice."""
    pred = pred_logits.sigmoid().flatten(2).unsqueeze(2)  # (T, Q, 1, HW)
    gt = gt_masks.flatten(2).unsqueeze(1)  # (T, 1, K, HW)
    num = 2 * (pred * gt).sum(-1)
    den = pred.sum(-1) + gt.sum(-1)
    return ((num + smooth) / (den + smooth)).mean(0)


@torch.no_grad()
def match_instance_sequences(pred_masks: Tensor, pred_is_referred: Tensor,
                             gt_masks: Tensor, referred: int,
                             visible: Optional[Tensor],
                             cost_is_referred: float = 2.,
                             cost_dice: float = 5.) -> Tuple[Tensor, Tensor]:
    """Hungarian matching of query sequences to instance sequences of one
    clip (``mttr2021/MTTR: models/matcher.py::HungarianMatcher``).

    Args:
        pred_masks (Tensor): (T, Q, h, w) logits, up-sampled bilinearly to
            the GT size.
        pred_is_referred (Tensor): (T, Q, 2) logits.
        gt_masks (Tensor): (T, K, H, W) masks (zeros where absent).
        referred (int): index of the referred instance in K.
        visible (Tensor | None): (T,) bool visibility of the referred one.

    Returns:
        tuple[Tensor, Tensor]: matched query and instance indices (sorted by
        query, as ``linear_sum_assignment``).
    """
    t, k = gt_masks.shape[:2]
    pred = F.interpolate(pred_masks, size=gt_masks.shape[-2:],
                         mode='bilinear', align_corners=False)
    target = referred_targets(t, k, referred, visible, pred.device)
    prob = pred_is_referred.softmax(-1)  # (T, Q, 2)
    cost_ref = -(prob.unsqueeze(2) * target.unsqueeze(1)).sum(-1).mean(0)
    cost = cost_is_referred * cost_ref - cost_dice * sequence_dice_coef(
        pred, gt_masks.to(pred))
    rows, cols = linear_sum_assignment(cost.cpu())
    return (torch.as_tensor(rows, dtype=torch.int64, device=pred.device),
            torch.as_tensor(cols, dtype=torch.int64, device=pred.device))


def sigmoid_focal_loss(logits: Tensor, targets: Tensor, num_masks: float,
                       alpha: float = 0.25, gamma: float = 2.) -> Tensor:
    """(N, P) logits / targets: pixel mean per mask, summed / num_masks."""
    prob = logits.sigmoid()
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction='none')
    p_t = prob * targets + (1 - prob) * (1 - targets)
    loss = ce * (1 - p_t)**gamma
    loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return loss.mean(1).sum() / num_masks


def dice_loss(logits: Tensor, targets: Tensor, num_masks: float) -> Tensor:
    """(N, P) logits / targets, smoothing 1, summed / num_masks."""
    prob = logits.sigmoid()
    num = 2 * (prob * targets).sum(1)
    den = prob.sum(-1) + targets.sum(-1)
    return (1 - (num + 1) / (den + 1)).sum() / num_masks


@MODELS.register_module()
class MTTRCriterion(nn.Module):
    """MTTR loss (``mttr2021/MTTR: models/criterion.py::SetCriterion`` with
    ``models/matcher.py``), "End-to-End Referring Video Object Segmentation
    with Multimodal Transformers" (Botach et al., CVPR 2022).

    Each decoder layer is matched separately; query n over all frames is
    one sequence, matched to one GT instance sequence per clip (all
    annotated instances, not only the referred one) with cost
    ``cost_is_referred * -<softmax(p), target> + cost_dice * -dice``, both
    averaged over time. Losses: log-softmax CE on "is referred" (every query
    defaults to "not referred"; weight 1 for the query matched to the
    referred instance, ``eos_coef`` for all others, summed and divided by
    the number of frame-samples T*B), sigmoid focal (alpha 0.25, gamma 2)
    and dice on all matched pairs in every frame, normalised by the number
    of GT masks T * sum(K_b). Returned losses are already multiplied by
    their weights; aux layers get the suffixes ``_0``, ``_1``, ... as in the
    official ``weight_dict``.

    Deliberate deviation: ``num_masks`` is not all-reduced over processes
    (the official code averages it over GPUs).

    Args:
        cost_is_referred (float): Defaults to 2.
        cost_dice (float): Defaults to 5.
        loss_is_referred (float): weight. Defaults to 2.
        loss_sigmoid_focal (float): weight. Defaults to 2.
        loss_dice (float): weight. Defaults to 5.
        eos_coef (float): Defaults to 0.1.
    """

    def __init__(self,
                 cost_is_referred: float = 2.,
                 cost_dice: float = 5.,
                 loss_is_referred: float = 2.,
                 loss_sigmoid_focal: float = 2.,
                 loss_dice: float = 5.,
                 eos_coef: float = 0.1) -> None:
        super().__init__()
        self.cost_is_referred = cost_is_referred
        self.cost_dice = cost_dice
        self.weights = dict(loss_is_referred=loss_is_referred,
                            loss_sigmoid_focal=loss_sigmoid_focal,
                            loss_dice=loss_dice)
        self.eos_coef = eos_coef

    def forward(self, layer_outputs: Sequence[Dict[str, Tensor]],
                gt_masks: Sequence[Tensor], referred: Sequence[int],
                visible: Optional[Sequence[Optional[Tensor]]] = None
                ) -> Dict[str, Tensor]:
        """Args:
            layer_outputs (list[dict]): per decoder layer (last = final),
                ``pred_masks`` (B, T, Q, h, w), ``pred_is_referred``
                (B, T, Q, 2) (:class:`MTTRHead` output).
            gt_masks (list[Tensor]): per clip (T, K_b, H, W), padded to one
                (H, W) for the batch.
            referred (list[int]): referred instance index per clip.
            visible (list[Tensor | None] | None): per clip (T,) bool.

        Returns:
            dict[str, Tensor]: weighted losses.
        """
        visible = visible or [None] * len(gt_masks)
        losses = self._layer_losses(layer_outputs[-1], gt_masks, referred,
                                    visible)
        for i, out in enumerate(layer_outputs[:-1]):
            aux = self._layer_losses(out, gt_masks, referred, visible)
            losses.update({f'{k}_{i}': v for k, v in aux.items()})
        return losses

    def _layer_losses(self, out: Dict[str, Tensor], gt_masks: Sequence[Tensor],
                      referred: Sequence[int],
                      visible: Sequence[Optional[Tensor]]) -> Dict[str, Tensor]:
        masks, logits = out['pred_masks'], out['pred_is_referred']
        b, t = masks.shape[:2]
        num_masks = max(float(t * sum(g.shape[1] for g in gt_masks)), 1.)
        log_prob = logits.log_softmax(-1)  # (B, T, Q, 2)
        target = torch.zeros_like(log_prob)
        target[..., 1] = 1.
        weight = torch.full(log_prob.shape[:3], self.eos_coef,
                            device=logits.device)
        src, tgt = [], []
        for i in range(b):
            rows, cols = match_instance_sequences(
                masks[i], logits[i], gt_masks[i], referred[i], visible[i],
                self.cost_is_referred, self.cost_dice)
            ref_query = rows[cols == referred[i]]
            if ref_query.numel() != 1:
                raise ValueError(f'MTTRCriterion: clip {i}: referred '
                                 f'instance {referred[i]} is not matched '
                                 f'({gt_masks[i].shape[1]} instances, '
                                 f'{masks.shape[2]} queries)')
            frames = torch.arange(t, device=logits.device) \
                if visible[i] is None else visible[i].nonzero().flatten()
            target[i, frames, ref_query] = torch.tensor(
                [1., 0.], device=logits.device)
            weight[i, :, ref_query] = 1.
            src.append(masks[i][:, rows])  # (T, M, h, w)
            tgt.append(gt_masks[i][:, cols])  # (T, M, H, W)
        loss_ref = (-(log_prob * target).sum(-1) * weight).sum() / (b * t)
        src_masks = torch.cat([s.flatten(0, 1) for s in src])  # (N, h, w)
        tgt_masks = torch.cat([g.flatten(0, 1) for g in tgt]).to(src_masks)
        src_masks = F.interpolate(src_masks[:, None], size=tgt_masks.shape[-2:],
                                  mode='bilinear', align_corners=False)
        src_masks = src_masks.flatten(1)
        tgt_masks = tgt_masks.flatten(1)
        raw = dict(
            loss_is_referred=loss_ref,
            loss_sigmoid_focal=sigmoid_focal_loss(src_masks, tgt_masks,
                                                  num_masks),
            loss_dice=dice_loss(src_masks, tgt_masks, num_masks))
        return {k: v * self.weights[k] for k, v in raw.items()}
