# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS losses: instance (matched), auxiliary semantic, panoptic semantic.

All three take the stacked prediction sets of :class:`TarViSDecoder`
(``L+1`` layers) and return one loss per set; the official trainer sums them
(``compute_loss_scalar``), mmengine sums every ``loss*`` key.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.ops import point_sample
from mmdet.models.utils import get_uncertain_point_coords_with_randomness
from mmdet.utils import reduce_mean
from torch import Tensor

from mmvidseg.registry import MODELS
from .tarvis_matcher import TarViSHungarianMatcher, sample_uncertain_points


def _top2_uncertainty(logits: Tensor) -> Tensor:
    """Negative gap between the two largest class logits, ``(N, 1, P)``."""
    top2 = logits.topk(k=2, dim=1).values
    return (top2[:, 1] - top2[:, 0]).unsqueeze(1)


def _top2_uncertainty_with_ignore(logits: Tensor) -> Tensor:
    """Channel 0 = ignore mask (pushed to -1e3), the rest class logits."""
    ignore, logits = logits.split((1, logits.size(1) - 1), 1)
    unc = _top2_uncertainty(logits)
    return torch.where(ignore.bool(), torch.full_like(unc, -1e3), unc)


def _layer_key(layer: int, num_layers: int, name: str) -> str:
    """mmdet naming: last set plain, auxiliary sets ``d{i}.``."""
    return name if layer == num_layers - 1 else f'd{layer}.{name}'


def suppress_null_classes(logits: Tensor, labels: Tensor) -> Tensor:
    """Official ``eliminate_null_class_logits``: classes absent from the GT
    and from the argmax are set to -1000 (in place, as the official)."""
    num_classes = logits.size(1)
    present = set(labels.unique().tolist())
    absent = [c for c in range(num_classes) if c not in present]
    if not absent:
        return logits
    with torch.no_grad():
        pred = logits.max(1).indices
        counts = torch.stack([(pred == c).sum() for c in absent])
        null = torch.tensor(absent, device=logits.device)[counts == 0]
    if null.numel() > 0:
        logits[:, null] = -1000
    return logits


@MODELS.register_module()
class TarViSInstanceLoss(nn.Module):
    """Matched mask (per-frame point BCE + dice) and class CE losses.

    Re-implements ``InstanceSegLoss`` of "TarViS" (Athar et al., CVPR 2023),
    official file ``Ali2500/TarViS: tarvis/training/loss_computation/
    instance_seg.py``: Hungarian matching per prediction set on clip masks
    (:class:`TarViSHungarianMatcher`); mask losses on uncertainty-sampled
    points of every matched ``(query, frame)`` pair, normalised by
    ``num_gt (averaged over ranks, >= 1) * T``; class CE over ``1+C`` with
    the background class weighted ``bg_weight``.

    Args:
        num_points (int): Points per mask. Defaults to 12544.
        oversample_ratio (float): Defaults to 3.
        importance_sample_ratio (float): Defaults to 0.75.
        bg_weight (float): CE weight of the background class. Defaults to
            0.1.
        loss_weights (dict): ``mask_ce``, ``mask_dice``, ``cls`` weights.
            Defaults to 5, 5, 2.
        matcher_costs (dict): ``cost_class``, ``cost_mask``, ``cost_dice``.
            Defaults to 2, 5, 5.
    """

    def __init__(self,
                 num_points: int = 12544,
                 oversample_ratio: float = 3.0,
                 importance_sample_ratio: float = 0.75,
                 bg_weight: float = 0.1,
                 loss_weights: Optional[dict] = None,
                 matcher_costs: Optional[dict] = None) -> None:
        super().__init__()
        self.num_points = num_points
        self.oversample_ratio = oversample_ratio
        self.importance_sample_ratio = importance_sample_ratio
        self.bg_weight = bg_weight
        self.loss_weights = dict(mask_ce=5.0, mask_dice=5.0, cls=2.0)
        self.loss_weights.update(loss_weights or {})
        self.matcher = TarViSHungarianMatcher(
            num_points=num_points, **(matcher_costs or {}))

    def mask_losses(self, mask_logits: Tensor, gt_masks: List[Tensor],
                    indices: List[Tuple[Tensor, Tensor]],
                    num_masks: float) -> Tuple[Tensor, Tensor]:
        """Point BCE and dice of the matched masks, per frame."""
        src = torch.cat([mask_logits[b, i] for b, (i, _) in
                         enumerate(indices)])  # (M, T, h, w)
        if src.shape[0] == 0:
            zero = mask_logits.sum() * 0
            return zero, zero
        tgt = torch.cat([gt_masks[b][j] for b, (_, j) in
                         enumerate(indices)]).to(src)  # (M, T, H, W)
        src = src.flatten(0, 1)[:, None]  # (M*T, 1, h, w)
        tgt = tgt.flatten(0, 1)[:, None]  # (M*T, 1, H, W)
        with torch.no_grad():
            # mmdet's = detectron2's for one-channel logits (-|logit|)
            coords = get_uncertain_point_coords_with_randomness(
                src, None, self.num_points, self.oversample_ratio,
                self.importance_sample_ratio)
            labels = point_sample(tgt, coords,
                                  align_corners=False).squeeze(1)
        logits = point_sample(src, coords, align_corners=False).squeeze(1)
        loss_ce = F.binary_cross_entropy_with_logits(
            logits, labels, reduction='none').mean(1).sum() / num_masks
        prob = logits.sigmoid()
        dice = 1 - (2 * (prob * labels).sum(-1) + 1) / (
            prob.sum(-1) + labels.sum(-1) + 1)
        return loss_ce, dice.sum() / num_masks

    def class_loss(self, class_logits: Tensor, gt_labels: List[Tensor],
                   indices: List[Tuple[Tensor, Tensor]]) -> Tensor:
        """Weighted CE over ``1+C``; unmatched queries -> class 0."""
        logits = class_logits.float()  # (B, Q, 1+C)
        target = torch.zeros(
            logits.shape[:2], dtype=torch.int64, device=logits.device)
        for b, (i, j) in enumerate(indices):
            target[b, i.to(logits.device)] = gt_labels[b][j]
        weight = logits.new_ones(logits.size(2))
        weight[0] = self.bg_weight
        return F.cross_entropy(logits.transpose(1, 2), target, weight)

    def forward(self, mask_logits: Tensor, class_logits: Tensor,
                gt_masks: List[Tensor],
                gt_labels: List[Tensor]) -> Dict[str, Tensor]:
        """Losses of every prediction set.

        Args:
            mask_logits (Tensor): ``(L, B, Q, T, h, w)``.
            class_logits (Tensor): ``(L, B, Q, 1+C)``, background first.
            gt_masks (list[Tensor]): B tensors ``(N_b, T, H, W)`` with
                ``H = 4h``, ``W = 4w``.
            gt_labels (list[Tensor]): B tensors ``(N_b,)`` in ``1..C``.

        Returns:
            dict[str, Tensor]: Weighted ``loss_mask_ce``, ``loss_mask_dice``,
            ``loss_cls`` of the last set and ``d{i}.`` of the others.
        """
        num_layers, _, _, num_frames = mask_logits.shape[:4]
        for b, m in enumerate(gt_masks):
            if m.dim() != 4 or m.shape[-2:] != (mask_logits.shape[-2] * 4,
                                                mask_logits.shape[-1] * 4):
                raise ValueError(
                    f'clip {b}: GT masks {tuple(m.shape)} must be '
                    f'(N, T, 4h, 4w) for mask logits '
                    f'{tuple(mask_logits.shape[-3:])} (pad masks with the '
                    'images: pad_mask=True in the data preprocessor)')
        num_masks = mask_logits.new_tensor(
            float(sum(len(labels) for labels in gt_labels)))
        num_masks = reduce_mean(num_masks).clamp(min=1).item() * num_frames
        losses = {}
        for layer in range(num_layers):
            indices = self.matcher(mask_logits[layer], class_logits[layer],
                                   gt_masks, gt_labels)
            loss_ce, loss_dice = self.mask_losses(mask_logits[layer],
                                                  gt_masks, indices,
                                                  num_masks)
            loss_cls = self.class_loss(class_logits[layer], gt_labels,
                                       indices)
            w = self.loss_weights
            for name, value in (('loss_mask_ce', w['mask_ce'] * loss_ce),
                                ('loss_mask_dice',
                                 w['mask_dice'] * loss_dice),
                                ('loss_cls', w['cls'] * loss_cls)):
                losses[_layer_key(layer, num_layers, name)] = value
        return losses


def instance_masks_to_semantic(gt_masks: List[Tensor],
                               gt_labels: List[Tensor]) -> Tensor:
    """Rasterise instance masks to ``(B, T, H, W)`` class maps.

    Official ``SemanticSegLoss.instance_masks_to_semantic_masks``: larger
    masks are drawn first so that smaller objects win overlaps; 0 =
    background. Ties in area keep the GT order (stable sort; the official
    sort is unstable).
    """
    out = []
    for masks, labels in zip(gt_masks, gt_labels):
        sem = torch.zeros(masks.shape[1:], dtype=torch.int64,
                          device=masks.device)  # (T, H, W)
        order = masks.flatten(1).sum(1).argsort(descending=True, stable=True)
        for m, c in zip(masks[order].bool(), labels[order]):
            sem = torch.where(m, c, sem)
        out.append(sem)
    return torch.stack(out)


@MODELS.register_module()
class TarViSSemanticLoss(nn.Module):
    """Auxiliary semantic loss on VIS data (and the VPS semantic loss).

    Re-implements ``SemanticSegLoss`` (VIS, file ``Ali2500/TarViS: tarvis/
    training/loss_computation/semantic_seg.py``) and the "sparse" semantic
    part of ``PanopticSegLoss`` (VPS, ``.../panoptic_seg.py``) of "TarViS"
    (Athar et al., CVPR 2023): point CE on ``num_points`` points per frame,
    importance-sampled by the gap of the top-2 class logits.

    * VIS (``ignore_masks=None``): labels = rasterised instance masks
      (:func:`instance_masks_to_semantic`) sampled **bilinearly** and
      truncated to int (official), logits ``[max over bg queries, semantic]``.
    * VPS: labels sampled with ``nearest``; ignore pixels (void) get label
      -100 and the lowest uncertainty; ignore masks are downsampled x4
      (bilinear, > 0.5) for the uncertainty.

    Dice (``w_dice``) of the official code is 0 in every released config and
    not ported.

    Args:
        num_points (int): Points per frame. Defaults to 12544 (VIS); the
            VPS finetune uses 50176.
        loss_weight (float): CE weight (``INSTANCE_SEMANTIC_WEIGHT_CROSS_
            ENTROPY`` / ``PANOPTIC_SEMANTIC_WEIGHT_CROSS_ENTROPY``).
            Defaults to 2.0.
        oversample_ratio (float): Defaults to 3.
        importance_sample_ratio (float): Defaults to 0.75.
        ignore_null_classes (bool): Official ``SEMANTIC_IGNORE_NULL_
            CLASSES``. Defaults to False.
        logit_regularization (bool): Adds ``1e-3 * mean ||logits||_2``
            (``SEMANTIC_REGULARIZATION_LOSS``). Defaults to False.
        loss_name (str): Key prefix. Defaults to ``'loss_sem_ce'``.
    """

    def __init__(self,
                 num_points: int = 12544,
                 loss_weight: float = 2.0,
                 oversample_ratio: float = 3.0,
                 importance_sample_ratio: float = 0.75,
                 ignore_null_classes: bool = False,
                 logit_regularization: bool = False,
                 loss_name: str = 'loss_sem_ce') -> None:
        super().__init__()
        self.num_points = num_points
        self.loss_weight = loss_weight
        self.oversample_ratio = oversample_ratio
        self.importance_sample_ratio = importance_sample_ratio
        self.ignore_null_classes = ignore_null_classes
        self.logit_regularization = logit_regularization
        self.loss_name = loss_name

    def forward(self,
                mask_logits: Tensor,
                gt_semantic: Tensor,
                ignore_masks: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Losses of every prediction set.

        Args:
            mask_logits (Tensor): ``(L, B, K, T, h, w)`` class mask logits.
            gt_semantic (Tensor): ``(B, T, H, W)`` int64 class ids in
                ``0..K-1`` (``H = 4h``).
            ignore_masks (Tensor, optional): ``(B, T, H, W)`` bool (VPS).

        Returns:
            dict[str, Tensor]: Weighted CE (+ regulariser) per set.
        """
        num_layers = mask_logits.shape[0]
        # (L, B, K, T, h, w) -> (L, B*T, K, h, w)
        logits_all = mask_logits.transpose(2, 3).flatten(1, 2)
        gt = gt_semantic.flatten(0, 1)[:, None].float()  # (B*T, 1, H, W)
        ignore = ignore_ds = None
        if ignore_masks is not None:
            ignore = ignore_masks.flatten(0, 1)[:, None].float()
            ignore_ds = (F.interpolate(
                ignore.to(logits_all), scale_factor=0.25, mode='bilinear',
                align_corners=False) > 0.5).to(logits_all)
        losses = {}
        for layer in range(num_layers):
            logits = logits_all[layer]  # (B*T, K, h, w)
            with torch.no_grad():
                if ignore is None:
                    coords = sample_uncertain_points(
                        logits, _top2_uncertainty, self.num_points,
                        self.oversample_ratio, self.importance_sample_ratio)
                    labels = point_sample(
                        gt, coords, align_corners=False).long().squeeze(1)
                else:
                    coords = sample_uncertain_points(
                        torch.cat([ignore_ds, logits], 1),
                        _top2_uncertainty_with_ignore, self.num_points,
                        self.oversample_ratio, self.importance_sample_ratio)
                    labels = point_sample(
                        gt, coords, mode='nearest',
                        align_corners=False).long().squeeze(1)
                    point_ignore = point_sample(
                        ignore, coords, mode='nearest',
                        align_corners=False).bool().squeeze(1)
                    labels = torch.where(point_ignore,
                                         torch.full_like(labels, -100),
                                         labels)
            point_logits = point_sample(
                logits, coords, align_corners=False)  # (B*T, K, P)
            valid = labels[labels != -100]
            if valid.numel() and (valid.min() < 0
                                  or valid.max() >= point_logits.size(1)):
                raise ValueError(
                    f'semantic labels {valid.unique().tolist()} outside '
                    f'0..{point_logits.size(1) - 1} (class count of the '
                    'dataset\'s semantic queries)')
            if self.ignore_null_classes:
                point_logits = suppress_null_classes(point_logits, labels)
            loss = self.loss_weight * F.cross_entropy(
                point_logits, labels, ignore_index=-100)
            if self.logit_regularization:
                loss = loss + 1e-3 * torch.linalg.norm(
                    point_logits.float(), dim=1).mean()
            losses[_layer_key(layer, num_layers, self.loss_name)] = loss
        return losses
