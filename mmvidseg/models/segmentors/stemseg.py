# Copyright (c) mmvidseg contributors. All rights reserved.
"""STEm-Seg segmentor (bottom-up VIS by clustering spatio-temporal embeddings).

Re-implements ``TrainingModel`` of ``sabarim/STEm-Seg:
stemseg/modeling/model_builder.py`` and ``InferenceModel`` of
``stemseg/modeling/inference_model.py`` plus ``TrackGenerator`` of
``stemseg/inference/main.py`` (Athar et al., "STEm-Seg: Spatio-temporal
Embeddings for Instance Segmentation in Videos", ECCV 2020, arXiv 2003.08429).

Deliberate deviations and parity notes:

* backbone = mmdet ``ResNet(style='caffe')`` with :class:`StemSegFrozenBN`
  (eps 0) + mmdet ``FPN`` with bilinear upsampling (4 outputs, no P6);
  weights convert with ``tools/model_converters/stemseg_to_mmvidseg.py``.
* instance targets are built from ``TrackDataSample`` ground truth: one
  (I, T, H, W) mask per ``instances_ids`` in the clip, ignored instances
  (``ignored_instances``) form the ignore mask;
* at inference all tracks are reported on every frame (empty masks included,
  as the reference writes one RLE per frame), ranked by lifetime, with the
  reference's score (pixel count / max pixel count), class (argmax of the
  mean semantic logits over the track's pixels, background excluded) and
  ``lifetimes`` (last - first frame, at the clustering resolution). The
  reference's DAVIS / KITTI-MOTS writers are the evaluator's job
  (``DAVISMetric(pred_order='rank')``, ``KITTIMOTSMetric(
  pred_format='stemseg')``, :mod:`mmvidseg.evaluation.functional.
  stemseg_outputs`): the model knows no benchmark format;
* inputs smaller than 96x96 (after padding to a multiple of 32) are
  zero-padded right / bottom to 96 (the reference would crash in the
  decoders' pooling); outputs are cropped back to ``img_shape``.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.mot import BaseMOTModel
from mmdet.structures import TrackDataSample, TrackSampleList
from mmdet.structures.mask import mask2bbox
from mmengine.structures import InstanceData
from torch import Tensor

from mmvidseg.models.losses.stemseg_losses import instance_masks_to_semseg
from mmvidseg.models.trackers.stemseg_inference import (StemSegTestConfig,
                                                        infer_video)
from mmvidseg.registry import MODELS
from mmvidseg.structures.mask_tensors import padded_mask_tensor


MIN_INPUT_SIZE = 96


@MODELS.register_module()
class STEmSeg(BaseMOTModel):
    """STEm-Seg.

    Args:
        backbone (dict): Per-frame 2D backbone (caffe ResNet).
        neck (dict): FPN giving 4 maps at strides 4, 8, 16, 32.
        embedding_head (dict): :class:`StemSegEmbeddingHead`.
        embedding_loss (dict): :class:`StemSegEmbeddingLoss` (holds the
            free-dim bandwidths used at inference too).
        seediness_head (dict, optional): :class:`StemSegSeedinessHead` (DAVIS).
        semseg_head (dict, optional): :class:`StemSegSemsegHead`.
        semseg_loss (dict, optional): :class:`StemSegSemsegLoss`.
        freeze_backbone (bool): Run backbone + neck frozen under ``no_grad``
            (``TRAINING.FREEZE_BACKBONE``, davis_2).
        test_cfg (dict, optional): Fields of :class:`StemSegTestConfig`.
        data_preprocessor (dict, optional): ``TrackDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 embedding_head: dict,
                 embedding_loss: dict,
                 seediness_head: Optional[dict] = None,
                 semseg_head: Optional[dict] = None,
                 semseg_loss: Optional[dict] = None,
                 freeze_backbone: bool = False,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.embedding_head = MODELS.build(embedding_head)
        self.loss_embedding = MODELS.build(embedding_loss)
        self.seediness_head = MODELS.build(seediness_head) \
            if seediness_head is not None else None
        self.semseg_head = MODELS.build(semseg_head) \
            if semseg_head is not None else None
        self.loss_semseg = MODELS.build(semseg_loss) \
            if semseg_loss is not None else None
        if (self.seediness_head is None) == (
                self.embedding_head.seediness_channels == 0):
            raise ValueError(
                'STEm-Seg needs exactly one seediness source: set '
                'embedding_head.seediness_output=False when seediness_head '
                'is given, True otherwise')
        if self.semseg_head is not None and self.loss_semseg is None:
            raise ValueError('semseg_head needs semseg_loss')
        if self.loss_embedding.embedding_dims != \
                self.embedding_head.embedding_dims:
            raise ValueError(
                f'embedding_loss.embedding_mode has '
                f'{self.loss_embedding.embedding_dims} dims but '
                f'embedding_head.embedding_mode='
                f'{self.embedding_head.embedding_mode!r} has '
                f'{self.embedding_head.embedding_dims}')
        self.num_frames = self.embedding_head.num_frames
        self.freeze_backbone = freeze_backbone
        if freeze_backbone:
            self.freeze_module(['backbone', 'neck'])
        test_cfg = dict(test_cfg or {})
        for moved in ('output_format', 'kitti_class_ids'):
            if moved in test_cfg:
                raise ValueError(
                    f'STEm-Seg test_cfg.{moved} moved to the evaluator: use '
                    "DAVISMetric(task='unsupervised', pred_order='rank') for "
                    "the reference DAVIS writer, KITTIMOTSMetric(pred_format="
                    "'stemseg', class_ids=...) for the KITTI-MOTS one")
        self.test_cfg = StemSegTestConfig(**test_cfg)
        # fixed bandwidths of the free embedding dims, used by the clustering
        self.register_buffer('free_dim_bandwidths',
                             self.loss_embedding.free_dim_bandwidths[0].clone(),
                             persistent=False)

    def train(self, mode: bool = True) -> 'STEmSeg':
        """Keep a frozen backbone in eval mode (as the reference)."""
        super().train(mode)
        if self.freeze_backbone:
            self.backbone.eval()
            self.neck.eval()
        return self

    # ------------------------------------------------------------ features
    def extract_feat(self, frames: Tensor) -> Tuple[Tensor, ...]:
        """(M, C, H, W) frames -> 4 FPN maps at strides (4, 8, 16, 32)."""
        if self.freeze_backbone:
            with torch.no_grad():
                return tuple(self.neck(self.backbone(frames)))
        return tuple(self.neck(self.backbone(frames)))

    @staticmethod
    def stack_clip(feats: Sequence[Tensor], num_clips: int,
                   num_frames: int) -> List[Tensor]:
        """(N*T, C, h, w) maps -> (N, C, T, h, w), ordered strides 32..4."""
        out = []
        for f in reversed(feats):
            nt, c, h, w = f.shape
            # (N*T, C, h, w) -> (N, T, C, h, w) -> (N, C, T, h, w)
            out.append(
                f.view(num_clips, num_frames, c, h, w).permute(0, 2, 1, 3, 4))
        return out

    def forward_heads(self, clip_feats: List[Tensor]
                      ) -> Tuple[Tensor, Optional[Tensor]]:
        """Decoders on stacked features.

        Returns:
            tuple: (N, E + (E - F) + 1, T, h, w) embedding output with the
            seediness channel last, and (N, C, T, h, w) semseg logits or None.
        """
        emb = self.embedding_head(clip_feats)
        if self.seediness_head is not None:
            emb = torch.cat((emb, self.seediness_head(clip_feats)), dim=1)
        sem = self.semseg_head(clip_feats) \
            if self.semseg_head is not None else None
        return emb, sem

    # ------------------------------------------------------------ training
    def _clip_targets(self, sample: TrackDataSample, height: int, width: int,
                      device: torch.device
                      ) -> Tuple[Tensor, Tensor, Tensor]:
        """(I, T, H, W) masks, (I,) labels and (T, H, W) ignore at stride 1."""
        frames = list(sample)
        ids: List[int] = []
        labels: Dict[int, int] = {}
        for f in frames:
            for i, lab in zip(f.gt_instances.instances_ids.tolist(),
                              f.gt_instances.labels.tolist()):
                if i not in labels:
                    ids.append(i)
                    labels[i] = lab
        masks = torch.zeros((len(ids), len(frames), height, width),
                            dtype=torch.bool, device=device)
        ignore = torch.zeros((len(frames), height, width), dtype=torch.bool,
                             device=device)
        for t, f in enumerate(frames):
            m = padded_mask_tensor(f.gt_instances.masks, height, width,
                                      device)
            for k, i in enumerate(f.gt_instances.instances_ids.tolist()):
                masks[ids.index(i), t] |= m[k]
            ign = f.get('ignored_instances', None)
            if ign is not None and 'masks' in ign and len(ign) > 0:
                ignore[t] = padded_mask_tensor(ign.masks, height, width,
                                                  device).any(0)
        lab = torch.tensor([labels[i] for i in ids], dtype=torch.long,
                           device=device)
        return masks, lab, ignore

    @staticmethod
    def downsample_masks(masks: Tensor) -> Tensor:
        """Reference ``resize_masks``: bilinear x1/4, then truncate to byte.

        A pixel stays on only where the interpolated value is exactly 1.
        """
        if masks.numel() == 0:
            return masks.new_zeros(masks.shape[:-2] + (masks.shape[-2] // 4,
                                                       masks.shape[-1] // 4))
        lead = masks.shape[:-2]
        x = masks.float().flatten(0, -3).unsqueeze(0)  # (1, L, H, W)
        x = F.interpolate(x, scale_factor=0.25, mode='bilinear',
                          align_corners=False)
        return x.to(torch.uint8).bool().view(*lead, *x.shape[-2:])

    def loss(self, inputs: Tensor, data_samples: TrackSampleList,
             **kwargs) -> Dict[str, Tensor]:
        """Compute the losses of a batch of (N, T, C, H, W) clips."""
        self._check_inputs(inputs, data_samples)
        inputs = self.pad_to_min_size(inputs)
        n, t, c, h, w = inputs.shape
        if t != self.num_frames:
            raise ValueError(f'training clips must have num_frames='
                             f'{self.num_frames} frames, got T={t}')
        feats = self.extract_feat(inputs.flatten(0, 1))  # (N*T, C, H, W)
        emb, sem = self.forward_heads(self.stack_clip(feats, n, t))
        batch_masks, batch_ignore, batch_sem = [], [], []
        for sample in data_samples:
            masks, labels, ignore = self._clip_targets(sample, h, w,
                                                       inputs.device)
            masks = self.downsample_masks(masks)
            ignore = self.downsample_masks(ignore)
            batch_masks.append(masks)
            batch_ignore.append(ignore)
            if self.semseg_head is not None:
                batch_sem.append(instance_masks_to_semseg(masks, labels + 1))
        losses = self.loss_embedding(emb, batch_masks, batch_ignore)
        if sem is not None:
            losses.update(
                self.loss_semseg(sem, batch_sem, batch_ignore,
                                 self.semseg_head.has_foreground_channel))
        return losses

    # ------------------------------------------------------------ inference
    def predict(self, inputs: Tensor, data_samples: TrackSampleList,
                rescale: bool = True, **kwargs) -> TrackSampleList:
        """Segment and track whole videos.

        Args:
            inputs (Tensor): (N, T, C, H, W) videos (T = all frames).
            data_samples (list[TrackDataSample]): One per video.
            rescale (bool): Masks at ``ori_shape`` (True) or at the resized,
                unpadded input size ``img_shape``.

        Returns:
            list[TrackDataSample]: Per frame ``pred_track_instances`` with
            ``masks`` (K, H, W) bool, ``bboxes``, ``scores``, ``labels``,
            ``instances_id`` and ``lifetimes``, the same K tracks on every
            frame in rank order (longest-lived first); K may be 0 (no
            foreground / no seed).
        """
        self._check_inputs(inputs, data_samples)
        inputs = self.pad_to_min_size(inputs)
        results = []
        for video, sample in zip(inputs, data_samples):
            frames = list(sample)
            img_shape = frames[0].metainfo.get('img_shape', video.shape[-2:])
            ori_shape = frames[0].metainfo.get('ori_shape', img_shape) \
                if rescale else img_shape
            tracks = infer_video(self, video, self.test_cfg,
                                 tuple(img_shape[:2]), tuple(ori_shape[:2]),
                                 self.free_dim_bandwidths)
            for t, frame in enumerate(frames):
                frame.pred_track_instances = self._frame_instances(tracks, t)
            out = TrackDataSample()
            out.video_data_samples = frames
            results.append(out)
        return results

    @staticmethod
    def _frame_instances(tracks: Dict[str, Tensor], t: int) -> InstanceData:
        inst = InstanceData()
        masks = tracks['masks'][:, t]  # (K, H, W)
        inst.masks = masks
        inst.bboxes = mask2bbox(masks)
        inst.scores = tracks['scores']
        inst.labels = tracks['labels']
        inst.instances_id = tracks['instances_id']
        inst.lifetimes = tracks['lifetimes']
        return inst

    @staticmethod
    def pad_to_min_size(inputs: Tensor) -> Tensor:
        """Zero-pad (N, T, C, H, W) inputs right / bottom to at least
        ``MIN_INPUT_SIZE`` (the decoders' 3x3x3 pooling needs a 3x3 map at
        stride 32), like the reference's padding to a multiple of 32."""
        h, w = inputs.shape[-2:]
        pad_h, pad_w = max(0, MIN_INPUT_SIZE - h), max(0, MIN_INPUT_SIZE - w)
        if pad_h or pad_w:
            inputs = F.pad(inputs, (0, pad_w, 0, pad_h))
        return inputs

    @staticmethod
    def _check_inputs(inputs: Tensor, data_samples: TrackSampleList) -> None:
        if inputs.dim() != 5:
            raise ValueError(f'STEm-Seg expects (N, T, C, H, W) inputs, got '
                             f'{tuple(inputs.shape)}')
        if len(data_samples) != inputs.shape[0]:
            raise ValueError(f'{inputs.shape[0]} videos but '
                             f'{len(data_samples)} data samples')
        if inputs.shape[-1] % 32 or inputs.shape[-2] % 32:
            raise ValueError(
                f'input size {tuple(inputs.shape[-2:])} must be a multiple '
                f'of 32: set pad_size_divisor=32 in the data preprocessor')
