# Copyright (c) mmvidseg contributors. All rights reserved.
"""Video-TTT's Y-shaped Mask2Former (segmentation + masked reconstruction)."""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import torch
from mmdet.models.detectors import Mask2Former
from mmdet.structures import SampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor, nn

from mmvidseg.models.layers.mae_patches import (random_patch_mask,
                                                unpatchify_recon)
from mmvidseg.registry import MODELS


@dataclass
class VideoTTTConfig:
    """Masked-reconstruction settings (official ``TTT.*`` / ``PRETRAIN.*``).

    Attributes:
        mask_ratio (float): Fraction of patches masked (``MASK_RATIO``).
        mask_patch_size (int): Side of a masking patch in pixels (16).
        recon_patch_size (int): Side of a reconstructed patch, the mask
            features' stride (``MODEL.SWIN.PATCH_SIZE`` = 4).
        recon_loss_weight (float): ``TTT.RECON_LOSS_WEIGHT``.
        recon_masked_only (bool): Average the squared error over masked
            pixels only (MAE). The official loss averages over all pixels.
        joint_recon_loss (bool): ``loss()`` adds ``loss_recon`` (offline
            joint training, ``TTT.USE_RECON_HEAD`` with the seg head).
    """
    mask_ratio: float = 0.85
    mask_patch_size: int = 16
    recon_patch_size: int = 4
    recon_loss_weight: float = 1.0
    recon_masked_only: bool = False
    joint_recon_loss: bool = True


@MODELS.register_module()
class Mask2FormerTTT(Mask2Former):
    """Mask2Former with a 4-channel backbone and a reconstruction head.

    Wang et al., "Test-Time Training on Video Streams" (arXiv 2307.05014),
    re-implements ``renwang435/video-ttt-release:
    mask2former/maskformer_ttt_model.py::MaskFormerTTT``. One backbone with
    4 input channels (normalised RGB + a binary mask channel) feeds two
    complete Mask2Former heads:

    * ``panoptic_head`` (mmdet ``Mask2FormerHead``): segmentation; its input
      is ``cat([img, ones])``.
    * ``recon_head`` (:class:`Mask2FormerReconHead`): masked reconstruction;
      its input is ``cat([img * mask, mask])`` (masked pixels are 0 in
      normalised space, the padding is 0 in both) and its 48 last-layer mask
      predictions are read as 4 x 4 RGB patches (``ReconCriterion``).
      ``loss_recon`` is the MSE against the padded normalised image over all
      pixels (``recon_masked_only`` for the MAE variant).

    Names follow mmdet's Mask2Former (``backbone.*``, ``panoptic_head.*``)
    plus ``recon_head.*``. Parameters of the segmentation head receive no
    gradient from :meth:`loss_recon`.

    Deliberate deviations: mmdet's post-processing (``MaskFormerFusionHead``
    / :class:`Mask2FormerTTTFusionHead`; instance boxes from masks, the
    official ones are zeros); masks for images whose sides are not multiples
    of 16 cover the image from the top-left (the official mapper asserts).

    Args:
        backbone (dict): Backbone config with 4 input channels.
        panoptic_head (dict): Segmentation head config.
        panoptic_fusion_head (dict): Post-processing config.
        recon_head (dict, optional): Reconstruction head config; None builds
            a segmentation-only model (``has_recon_head`` False).
        ttt_cfg (dict, optional): :class:`VideoTTTConfig` fields.
        train_cfg, test_cfg, data_preprocessor, init_cfg: As mmdet's
            ``Mask2Former``.
    """

    def __init__(self,
                 backbone: ConfigType,
                 panoptic_head: ConfigType,
                 panoptic_fusion_head: ConfigType,
                 recon_head: OptConfigType = None,
                 ttt_cfg: Optional[dict] = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            backbone=backbone,
            panoptic_head=panoptic_head,
            panoptic_fusion_head=panoptic_fusion_head,
            train_cfg=train_cfg,
            test_cfg=test_cfg,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg)
        self.ttt_cfg = VideoTTTConfig(**(ttt_cfg or {}))
        first_conv = next(
            (m for m in self.backbone.modules() if isinstance(m, nn.Conv2d)),
            None)
        if first_conv is not None and first_conv.in_channels != 4:
            raise ValueError(
                f'Mask2FormerTTT needs a backbone with 4 input channels (RGB '
                f'+ mask), got {first_conv.in_channels}: set '
                'backbone.in_channels=4')
        self.recon_head = None
        if recon_head is not None:
            self.recon_head = MODELS.build(recon_head)
            p = self.ttt_cfg.recon_patch_size
            if self.recon_head.num_queries != 3 * p * p:
                raise ValueError(
                    f'recon_head.num_queries={self.recon_head.num_queries} '
                    f'must be 3 * recon_patch_size ** 2 = {3 * p * p}')

    @property
    def has_recon_head(self) -> bool:
        """Whether the model can compute the reconstruction loss."""
        return self.recon_head is not None

    # ---------------------------------------------------------------- passes
    def extract_feat(self, batch_inputs: Tensor) -> List[Tensor]:
        """Segmentation pass: ``(B, 3, H, W)`` -> backbone features of
        ``cat([img, ones])``."""
        self._check_image(batch_inputs, 'inputs')
        ones = batch_inputs.new_ones(
            (batch_inputs.shape[0], 1) + batch_inputs.shape[-2:])
        return self.backbone(torch.cat([batch_inputs, ones], dim=1))

    def recon_forward(self, inputs: Tensor, masks: Tensor) -> Tensor:
        """Reconstruction in normalised space.

        Args:
            inputs (Tensor): ``(B, 3, H, W)`` normalised, padded images; H and
                W multiples of ``recon_patch_size`` (pad to 32 with the data
                preprocessor).
            masks (Tensor): ``(B, 1, H, W)``, 1 = visible, 0 = masked/pad.

        Returns:
            Tensor: ``(B, 3, H, W)`` reconstruction.
        """
        if not self.has_recon_head:
            raise RuntimeError(
                'this Mask2FormerTTT has no recon_head (a segmentation-only '
                'checkpoint/config): add recon_head to the model config, or '
                'run the baseline (mode="frozen") without TTT')
        self._check_image(inputs, 'inputs')
        b, _, h, w = inputs.shape
        if masks.shape != (b, 1, h, w):
            raise ValueError(f'masks must be (B, 1, H, W) = {(b, 1, h, w)}, '
                             f'got {tuple(masks.shape)}')
        p = self.ttt_cfg.recon_patch_size
        if h % p or w % p:
            raise ValueError(
                f'input size {h}x{w} is not a multiple of recon_patch_size '
                f'{p}: pad inputs (data_preprocessor pad_size_divisor=32)')
        masks = masks.to(inputs.dtype)
        feats = self.backbone(torch.cat([inputs * masks, masks], dim=1))
        pred = self.recon_head.forward_recon(feats)  # (B, 3*p*p, H/p, W/p)
        if pred.shape[-2:] != (h // p, w // p):
            raise RuntimeError(
                f'reconstruction output {tuple(pred.shape[-2:])} does not '
                f'match input {h}x{w} / {p}; check recon_patch_size')
        return unpatchify_recon(pred, p)  # (B, 3, H, W)

    # ---------------------------------------------------------------- losses
    def loss_recon(self, inputs: Tensor, masks: Tensor) -> Dict[str, Tensor]:
        """Masked reconstruction loss (official ``ReconCriterion``).

        Args:
            inputs (Tensor): ``(B, 3, H, W)`` normalised, padded images.
            masks (Tensor): ``(B, 1, H, W)`` patch masks, 1 = keep.

        Returns:
            dict: ``loss_recon``: per-image mean squared error (over all
            pixels and channels, or masked pixels with
            ``recon_masked_only``), averaged over the batch, x weight.
        """
        recon = self.recon_forward(inputs, masks)
        # float32 as the official loss (fp16 recon under AMP vs fp32 target)
        err = (recon.float() - inputs.float())**2  # (B, 3, H, W)
        if self.ttt_cfg.recon_masked_only:
            hidden = 1.0 - masks.to(err.dtype)  # (B, 1, H, W)
            per_image = (err * hidden).sum(dim=(1, 2, 3)) / (
                3 * hidden.sum(dim=(1, 2, 3))).clamp(min=1.0)
        else:
            per_image = err.mean(dim=(1, 2, 3))
        return dict(
            loss_recon=per_image.mean() * self.ttt_cfg.recon_loss_weight)

    def loss(self, batch_inputs: Tensor,
             batch_data_samples: SampleList) -> Dict[str, Tensor]:
        """Offline joint training: segmentation losses + ``loss_recon``
        with fresh masks drawn per image (its ``img_shape``, padded with 0)."""
        losses = super().loss(batch_inputs, batch_data_samples)
        if self.has_recon_head and self.ttt_cfg.joint_recon_loss:
            masks = self.patch_mask_like(batch_data_samples,
                                         batch_inputs.shape[-2:])
            losses.update(self.loss_recon(batch_inputs, masks))
        return losses

    # ----------------------------------------------------------------- masks
    def patch_mask(self,
                   batch_size: int,
                   height: int,
                   width: int,
                   generator: Optional[torch.Generator] = None) -> Tensor:
        """``(B, 1, H, W)`` random patch masks (1 = keep) on the model's
        device, ``ttt_cfg.mask_ratio`` / ``mask_patch_size``, patches from
        the top-left (official ``DropoutConcatAug``)."""
        return random_patch_mask(
            batch_size, height, width,
            mask_ratio=self.ttt_cfg.mask_ratio,
            patch_size=self.ttt_cfg.mask_patch_size,
            generator=generator,
            device=self._device)

    def patch_mask_like(self,
                        batch_data_samples: SampleList,
                        pad_shape: Sequence[int],
                        generator: Optional[torch.Generator] = None
                        ) -> Tensor:
        """Masks drawn on each sample's ``img_shape`` and zero-padded to
        ``pad_shape`` (the official mapper masks the un-padded image and
        ``ImageList`` pads the mask with 0). Returns ``(B, 1, *pad_shape)``.
        """
        ph, pw = int(pad_shape[0]), int(pad_shape[1])
        out = torch.zeros((len(batch_data_samples), 1, ph, pw),
                          device=self._device)
        for i, sample in enumerate(batch_data_samples):
            h, w = sample.metainfo.get('img_shape', (ph, pw))[:2]
            out[i, :, :h, :w] = self.patch_mask(1, h, w, generator)[0]
        return out

    # ------------------------------------------------------------- inference
    @torch.no_grad()
    def reconstruct(self, inputs: Tensor, masks: Tensor) -> Tensor:
        """Reconstruction for visualisation: ``(B, 3, H, W)`` pixel values
        (the input channel order, un-normalised), clamped to [0, 255]."""
        recon = self.recon_forward(inputs, masks)
        mean = self.data_preprocessor.mean.to(recon)  # (3, 1, 1)
        std = self.data_preprocessor.std.to(recon)
        return (recon * std + mean).clamp(min=0, max=255)

    def add_pred_to_datasample(self, data_samples: SampleList,
                               results_list: List[dict]) -> SampleList:
        """mmdet's, plus ``pred_sem_seg`` from ``sem_results``."""
        for data_sample, pred in zip(data_samples, results_list):
            if 'pan_results' in pred:
                data_sample.pred_panoptic_seg = pred['pan_results']
            if 'ins_results' in pred:
                data_sample.pred_instances = pred['ins_results']
            if 'sem_results' in pred:
                data_sample.pred_sem_seg = pred['sem_results']
        return data_samples

    # --------------------------------------------------------------- helpers
    @property
    def _device(self) -> torch.device:
        return next(self.parameters()).device

    @staticmethod
    def _check_image(x: Tensor, name: str) -> None:
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(
                f'{name} must be normalised images (B, 3, H, W), got '
                f'{tuple(x.shape)}; the mask channel is added by the model')
