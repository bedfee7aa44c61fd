# Copyright (c) mmvidseg contributors. All rights reserved.
"""Mask2Former post-processing with semantic segmentation (Video-TTT)."""
from typing import List

import torch
import torch.nn.functional as F
from mmdet.models.seg_heads.panoptic_fusion_heads import MaskFormerFusionHead
from mmdet.structures import SampleList
from mmengine.structures import PixelData
from torch import Tensor

from mmvidseg.registry import MODELS


def _crop_and_resize(x: Tensor, img_shape, ori_shape,
                     rescale: bool) -> Tensor:
    """detectron2 ``sem_seg_postprocess``: crop the padding, resize."""
    x = x[:, :img_shape[0], :img_shape[1]]  # (C, h, w)
    if rescale:
        x = F.interpolate(
            x[None], size=tuple(ori_shape[:2]), mode='bilinear',
            align_corners=False)[0]
    return x


@MODELS.register_module()
class Mask2FormerTTTFusionHead(MaskFormerFusionHead):
    """mmdet's ``MaskFormerFusionHead`` plus Mask2Former's semantic inference.

    Wang et al., "Test-Time Training on Video Streams" (arXiv 2307.05014);
    ``renwang435/video-ttt-release: mask2former/maskformer_ttt_model.py::
    MaskFormerTTT.forward`` (eval branch). Instance and panoptic results are
    mmdet's (``instance_postprocess``: top-k over queries x classes with
    ``sorted=False``, score x mean mask probability, as the official
    ``instance_inference``; ``panoptic_postprocess`` with
    ``filter_low_score=True`` is the official ``panoptic_inference`` up to
    segment id numbering). Semantic results (KITTI-STEP) follow the official
    order: with semantic only (``SEM_SEG_POSTPROCESSING_BEFORE_INFERENCE``
    False, the d2 default) ``einsum('qc,qhw->chw', softmax[:-1],
    sigmoid)`` runs on the padded-resolution masks and the class scores are
    cropped and bilinearly resized; with panoptic or instance on, the masks
    are cropped and resized first. ``pred_sem_seg.sem_seg`` is the
    ``(1, H, W)`` argmax over classes.
    """

    def semantic_postprocess(self, mask_cls: Tensor,
                             mask_pred: Tensor) -> Tensor:
        """``(Q, K + 1)`` logits, ``(Q, h, w)`` mask logits -> ``(K, h, w)``
        class scores."""
        scores = F.softmax(mask_cls, dim=-1)[..., :-1]  # (Q, K)
        return torch.einsum('qc,qhw->chw', scores, mask_pred.sigmoid())

    def predict(self,
                mask_cls_results: Tensor,
                mask_pred_results: Tensor,
                batch_data_samples: SampleList,
                rescale: bool = False,
                **kwargs) -> List[dict]:
        """Per-image results dicts (``pan_results``, ``ins_results``,
        ``sem_results``); masks ``(B, Q, H_pad, W_pad)`` as upsampled by
        ``Mask2FormerHead.predict``."""
        panoptic_on = self.test_cfg.get('panoptic_on', True)
        semantic_on = self.test_cfg.get('semantic_on', False)
        instance_on = self.test_cfg.get('instance_on', False)
        masks_first = panoptic_on or instance_on
        results = []
        for mask_cls, mask_pred, sample in zip(
                mask_cls_results, mask_pred_results, batch_data_samples):
            meta = sample.metainfo
            img_shape, ori_shape = meta['img_shape'], meta['ori_shape']
            result = dict()
            if masks_first:
                mask_pred = _crop_and_resize(mask_pred, img_shape, ori_shape,
                                             rescale)
            if semantic_on:
                sem = self.semantic_postprocess(mask_cls, mask_pred)
                if not masks_first:
                    sem = _crop_and_resize(sem, img_shape, ori_shape,
                                           rescale)
            if panoptic_on:
                result['pan_results'] = self.panoptic_postprocess(
                    mask_cls, mask_pred)
            if instance_on:
                result['ins_results'] = self.instance_postprocess(
                    mask_cls, mask_pred)
            if semantic_on:
                result['sem_results'] = PixelData(
                    sem_seg=sem.argmax(dim=0, keepdim=True))
            results.append(result)
        return results
