# Copyright (c) mmvidseg contributors. All rights reserved.
"""STEm-Seg losses: Lovasz embedding loss, bandwidth smoothness, seediness,
semantic cross-entropy and foreground BCE.

Re-implements ``sabarim/STEm-Seg: stemseg/modeling/losses/embedding_loss.py``
(``EmbeddingLoss``), ``stemseg/modeling/losses/cross_entropy.py``,
``TrainingModel.compute_fg_loss`` of ``stemseg/modeling/model_builder.py`` and
the Lovasz hinge of ``stemseg/modeling/losses/_lovasz.py`` (Berman et al.,
CVPR 2018), for Athar et al., "STEm-Seg", ECCV 2020.

Parity quirks reproduced: the training probability is ``exp(-0.5 * d)``
(inference uses ``exp(-0.5 * sqrt(d))``); the semantic CE is a plain mean over
all pixels, since the reference multiplies the already averaged loss by the
ignore mask (a no-op); the background seediness term averages over all
background pixels, ignored ones counting as zero; the smoothness loss is
divided by the batch size, including clips without instances;
``WEIGHT_REGULARIZATION`` is not used (as in the reference).

Deviations: instances whose downsampled mask is empty are dropped before the
loss (the reference then pairs the remaining instances' points with the
wrong target masks); degenerate cases that give NaN in the reference (no
background pixel, every pixel ignored) give 0 here.
"""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmvidseg.registry import MODELS


def lovasz_grad(gt_sorted: Tensor) -> Tensor:
    """Gradient of the Lovasz extension w.r.t. sorted errors (Alg. 1)."""
    num = gt_sorted.numel()
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.cumsum(0)
    union = gts + (1. - gt_sorted).cumsum(0)
    jaccard = 1. - intersection / union
    if num > 1:
        jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def lovasz_hinge_flat(logits: Tensor, labels: Tensor) -> Tensor:
    """Binary Lovasz hinge loss on flat (P,) logits and {0, 1} labels."""
    if logits.shape != labels.shape or logits.dim() != 1:
        raise ValueError(f'logits and labels must be equal 1-D shapes, got '
                         f'{tuple(logits.shape)} and {tuple(labels.shape)}')
    if labels.numel() == 0:
        return logits.sum() * 0.
    labels = labels.float()
    errors = 1. - logits * (2. * labels - 1.)
    errors_sorted, perm = torch.sort(errors, dim=0, descending=True)
    grad = lovasz_grad(labels[perm])
    return torch.dot(F.relu(errors_sorted), grad)


@MODELS.register_module()
class StemSegEmbeddingLoss(nn.Module):
    """Lovasz embedding loss + bandwidth smoothness + seediness regression.

    For each instance n of a clip (all T x H x W pixels jointly): centre =
    mean embedding of its pixels, bandwidth = mean of ``exp(v) * 10`` over its
    pixels concatenated with the fixed free-dim bandwidths ``1 / std**2``,
    ``p = exp(-0.5 * sum(b * (e - c)**2))``, Lovasz hinge on ``2p - 1``.

    Args:
        embedding_mode (str): ``'xyff'`` or ``'xyt'``; fixes the number of
            free dims.
        free_dim_stds (Sequence[float]): Stds of the free dims (0.3, 0.3);
            must have one entry per free dim.
        loss_weight_lovasz (float): ``WEIGHT_LOVASZ``.
        loss_weight_smoothness (float): ``WEIGHT_VARIANCE_SMOOTHNESS``.
        loss_weight_seediness (float): ``WEIGHT_SEEDINESS``.
        loss_weight (float): ``EMBEDDING.WEIGHT``, applied to all three.
    """

    def __init__(self,
                 embedding_mode: str = 'xyff',
                 free_dim_stds: Sequence[float] = (0.3, 0.3),
                 loss_weight_lovasz: float = 1.0,
                 loss_weight_smoothness: float = 10.0,
                 loss_weight_seediness: float = 1.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        from mmvidseg.models.heads.stemseg_decoders import embedding_mode_dims
        self.embedding_dims, self.num_free_dims = embedding_mode_dims(
            embedding_mode)
        if len(free_dim_stds) != self.num_free_dims:
            raise ValueError(
                f'embedding_mode {embedding_mode!r} has {self.num_free_dims} '
                f'free dims but free_dim_stds has {len(free_dim_stds)} '
                f'entries')
        if self.num_free_dims > 0:
            stds = torch.tensor(list(free_dim_stds), dtype=torch.float32)
            self.register_buffer('free_dim_bandwidths',
                                 (1. / stds**2).unsqueeze(0))  # (1, F)
        else:
            self.free_dim_bandwidths = torch.zeros(1, 0)
        self.w_lovasz = loss_weight_lovasz
        self.w_smooth = loss_weight_smoothness
        self.w_seed = loss_weight_seediness
        self.w = loss_weight

    def _prob_map(self, emb: Tensor, inst_emb: Tensor,
                  inst_bw: Tensor) -> Tensor:
        """(T, H, W) probabilities of one instance; emb is (T, H, W, E)."""
        center = inst_emb.mean(dim=0)  # (E, )
        bandwidth = torch.cat(
            (inst_bw.mean(dim=0),
             self.free_dim_bandwidths[0].to(inst_bw)), 0)  # (E, )
        return torch.exp(-0.5 * ((emb - center)**2 * bandwidth).sum(-1))

    def forward(self, embedding_map: Tensor, batch_masks: List[Tensor],
                batch_ignore_masks: List[Tensor]) -> Dict[str, Tensor]:
        """Compute the weighted losses.

        Args:
            embedding_map (Tensor): (N, E + (E - F) + 1, T, H, W) embedding
                head output with the seediness channel last.
            batch_masks (list[Tensor]): Per clip, (I, T, H, W) bool instance
                masks (I may be 0).
            batch_ignore_masks (list[Tensor]): Per clip, (T, H, W) bool.

        Returns:
            dict[str, Tensor]: ``loss_lovasz``, ``loss_smoothness``,
            ``loss_seediness`` (already weighted; their sum is the reference's
            total embedding loss).
        """
        var_dims = self.embedding_dims - self.num_free_dims
        expected = self.embedding_dims + var_dims + 1
        if embedding_map.shape[1] != expected:
            raise ValueError(f'expected {expected} channels (embeddings, '
                             f'bandwidths, seediness), got '
                             f'{embedding_map.shape[1]}')
        emb_map, bw_map, seed_map = embedding_map.permute(
            0, 2, 3, 4, 1).split((self.embedding_dims, var_dims, 1),
                                 dim=-1)  # each (N, T, H, W, c)
        lovasz, smooth, seed_loss = 0., 0., 0.
        total_instances = 0
        for emb, bw, seed, masks, ignore in zip(emb_map, bw_map, seed_map,
                                                batch_masks,
                                                batch_ignore_masks):
            if masks.shape[-3:] != emb.shape[:3]:
                raise ValueError(f'instance masks {tuple(masks.shape)} do not '
                                 f'match the embedding map (T, H, W) = '
                                 f'{tuple(emb.shape[:3])}')
            masks = masks[masks.flatten(1).any(1)] if masks.numel() else masks
            if masks.shape[0] == 0:
                continue
            total_instances += masks.shape[0]
            bg = ~masks.any(0)  # (T, H, W)
            bg_sq = seed[bg][:, 0]**2
            if bg_sq.numel() > 0:
                seed_loss = seed_loss + torch.where(
                    ignore[bg], torch.zeros_like(bg_sq), bg_sq).mean()
            raw_bws = [bw[m] for m in masks]  # each (P_n, E - F)
            smooth = smooth + sum(
                ((b.mean(0, keepdim=True) - b)**2).mean()
                for b in raw_bws) / float(len(raw_bws))
            for m, raw_bw in zip(masks, raw_bws):
                probs = self._prob_map(emb, emb[m], raw_bw.exp() * 10.)
                lovasz = lovasz + lovasz_hinge_flat(
                    (probs * 2. - 1.).flatten(), m.flatten())
                seed_loss = seed_loss + F.mse_loss(seed[m][:, 0],
                                                   probs[m].detach())
        if total_instances == 0:
            zero = embedding_map.sum() * 0.
            lovasz = smooth = seed_loss = zero
        else:
            lovasz = lovasz / total_instances
            smooth = smooth / embedding_map.shape[0]
            seed_loss = seed_loss / float(total_instances + 1)
        return dict(
            loss_lovasz=lovasz * self.w_lovasz * self.w,
            loss_smoothness=smooth * self.w_smooth * self.w,
            loss_seediness=seed_loss * self.w_seed * self.w)


def instance_masks_to_semseg(masks: Tensor, labels: Tensor) -> Tensor:
    """(I, T, H, W) bool masks + (I,) labels (1-based) -> (T, H, W) long.

    Overlaps take the larger class id, background is 0 (as the reference).
    """
    if masks.shape[0] == 0:
        return torch.zeros(masks.shape[1:], dtype=torch.long,
                           device=masks.device)
    sem = masks.long() * labels.long().view(-1, 1, 1, 1)
    return sem.max(dim=0)[0]


@MODELS.register_module()
class StemSegSemsegLoss(nn.Module):
    """Semantic cross-entropy + foreground BCE of the semseg head.

    Args:
        loss_weight (float): ``WEIGHT_SEMSEG`` (CE).
        loss_weight_fg (float): Weight of the foreground BCE (1, implicit in
            the reference).
    """

    def __init__(self, loss_weight: float = 1.0,
                 loss_weight_fg: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.loss_weight_fg = loss_weight_fg

    def forward(self, logits: Tensor, batch_semseg: List[Tensor],
                batch_ignore_masks: List[Tensor],
                foreground_channel: bool = True) -> Dict[str, Tensor]:
        """Compute the losses.

        Args:
            logits (Tensor): (N, C [+ 1], T, H, W) semseg head output.
            batch_semseg (list[Tensor]): Per clip (T, H, W) long class map.
            batch_ignore_masks (list[Tensor]): Per clip (T, H, W) bool.
            foreground_channel (bool): Whether the last channel is the
                foreground logit.

        Returns:
            dict[str, Tensor]: ``loss_semseg`` and, with a foreground channel,
            ``loss_fg``.
        """
        logits = logits.permute(0, 2, 1, 3, 4)  # (N, T, C, H, W)
        fg_logits: Optional[Tensor] = None
        if foreground_channel:
            logits, fg_logits = logits.split((logits.shape[2] - 1, 1), dim=2)
        ce, fg = 0., 0.
        for i, (sem, ignore) in enumerate(zip(batch_semseg,
                                              batch_ignore_masks)):
            # reference: mean CE, then "* nonignore / nonignore.sum()" which
            # is a no-op, so ignored pixels do count
            ce = ce + F.cross_entropy(logits[i], sem)
            if fg_logits is not None:
                keep = (~ignore).float()
                bce = F.binary_cross_entropy_with_logits(
                    fg_logits[i, :, 0], (sem > 0).float(), reduction='none')
                fg = fg + (bce * keep).sum() / keep.sum().clamp(min=1.)
        num = len(batch_semseg)
        losses = dict(loss_semseg=ce / num * self.loss_weight)
        if fg_logits is not None:
            losses['loss_fg'] = fg / num * self.loss_weight_fg
        return losses
