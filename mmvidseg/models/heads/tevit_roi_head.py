# Copyright (c) mmvidseg contributors. All rights reserved.
"""Clip-aware sparse RoI head of TeViT."""
from typing import List, Tuple

import torch
from mmdet.models.roi_heads import SparseRoIHead
from mmdet.models.roi_heads.mask_heads.fcn_mask_head import _do_paste_mask
from mmdet.models.utils import unpack_gt_instances
from mmdet.structures import SampleList
from mmdet.structures.bbox import bbox2roi
from mmdet.utils import InstanceList, OptConfigType
from mmengine.structures import InstanceData
from torch import Tensor

from mmvidseg.registry import MODELS


def paste_masks(mask_preds: Tensor, bboxes: Tensor, labels: Tensor,
                img_shape: Tuple[int, int], threshold: float) -> Tensor:
    """Paste class-specific mask logits into an image, one box at a time.

    Same result as mmdet's ``FCNMaskHead._predict_by_feat_single`` on CPU
    (``skip_empty`` pasting, ``mask >= threshold``), but boxes that lie
    entirely outside the image (possible: TeViT does not clip its boxes)
    give empty masks instead of an error.

    Args:
        mask_preds (Tensor): ``(k, K, h, w)`` logits.
        bboxes (Tensor): ``(k, 4)`` boxes in the output image's pixels.
        labels (Tensor): ``(k,)`` class of each box.
        img_shape (tuple[int, int]): Output ``(H, W)``.
        threshold (float): Binarisation threshold on the sigmoid.

    Returns:
        Tensor: ``(k, H, W)`` bool masks.
    """
    img_h, img_w = int(img_shape[0]), int(img_shape[1])
    num = bboxes.shape[0]
    probs = mask_preds[torch.arange(num), labels][:, None].sigmoid()
    masks = torch.zeros(
        num, img_h, img_w, dtype=torch.bool, device=bboxes.device)
    inside = (bboxes[:, 2] > 0) & (bboxes[:, 0] < img_w) & \
        (bboxes[:, 3] > 0) & (bboxes[:, 1] < img_h)
    for i in torch.nonzero(inside).flatten().tolist():
        chunk, spatial = _do_paste_mask(
            probs[i:i + 1], bboxes[i:i + 1], img_h, img_w, skip_empty=True)
        masks[(slice(i, i + 1), ) + spatial] = chunk >= threshold
    return masks


@MODELS.register_module()
class TeViTRoIHead(SparseRoIHead):
    """QueryInst RoI head whose stages see whole clips.

    Re-implements ``TeViTRoIHead`` of "Temporally Efficient Vision Transformer
    for Video Instance Segmentation" (Yang et al., CVPR 2022), official file
    ``hustvl/TeViT: mmdet/models/roi_heads/tevit_roi_head.py``.

    Differences from :class:`mmdet.models.roi_heads.SparseRoIHead`:

    * every bbox head gets ``num_frames`` (``STQIHead`` attends over time);
    * training assigns once per clip (``TeViTHungarianAssigner``, which takes
      the T frames of a clip) and computes the mask loss of every stage on
      its positives;
    * :meth:`predict_video` treats its whole input as one video: the last
      stage's sigmoid scores are averaged over frames *before* the top-k
      over (query, class) pairs; each selected pair is one track whose box in
      frame t is that query's box in frame t; masks come from the last
      stage's mask head only.

    ``bbox_head``, ``mask_head`` and ``train_cfg`` may each be one dict,
    used for every stage, or a list with one per stage.

    Deviations: loss keys follow mmdet 3 (``s{stage}.loss_cls``) instead of
    ``stage{stage}_loss_cls``; the top-k is sorted (the official one is not,
    which only changes the order of the tracks).
    """

    def __init__(self, *args, train_cfg: OptConfigType = None,
                 **kwargs) -> None:
        # like ``bbox_head`` / ``mask_head``, one ``train_cfg`` dict stands
        # for every stage (mmdet's cascade heads need a list of them)
        if isinstance(train_cfg, dict):
            train_cfg = [train_cfg] * kwargs.get('num_stages', 6)
        super().__init__(*args, train_cfg=train_cfg, **kwargs)

    def _bbox_forward(self, stage: int, x: Tuple[Tensor], rois: Tensor,
                      object_feats: Tensor, batch_img_metas: List[dict],
                      num_frames: int = 1) -> dict:
        """Run one stage's bbox head; see ``SparseRoIHead._bbox_forward``.

        Returns:
            dict: ``cls_score (B*T, P, K)``, ``decoded_bboxes (B*T*P, 4)``,
            ``object_feats``, ``attn_feats (B*T, P, C)``,
            ``detached_cls_scores`` and ``detached_proposals`` (lists of
            B*T).
        """
        num_imgs = len(batch_img_metas)
        roi_extractor = self.bbox_roi_extractor[stage]
        bbox_head = self.bbox_head[stage]
        bbox_feats = roi_extractor(x[:roi_extractor.num_inputs], rois)
        cls_score, bbox_pred, object_feats, attn_feats = bbox_head(
            bbox_feats, object_feats, num_frames=num_frames)
        if bbox_head.reg_class_agnostic and \
                getattr(bbox_head.bbox_coder, 'clip_border', True) is False:
            # ``refine_bboxes`` decodes image by image only to clip each
            # image's boxes to its shape; unclipped (TeViT), one decode of
            # all RoIs gives the same boxes (elementwise ops) in one call
            decoded = bbox_head.bbox_coder.decode(
                rois[:, 1:], bbox_pred.view(-1, bbox_pred.size(-1)))
            proposal_list = decoded.split(object_feats.size(1))
        else:
            proposal_list = self._refine_bboxes(bbox_head, rois, cls_score,
                                                bbox_pred, num_imgs,
                                                batch_img_metas)
            decoded = torch.cat(proposal_list)
        return dict(
            cls_score=cls_score,
            decoded_bboxes=decoded,
            object_feats=object_feats,
            attn_feats=attn_feats,
            detached_cls_scores=[
                cls_score[i].detach() for i in range(num_imgs)
            ],
            detached_proposals=[item.detach() for item in proposal_list])

    @staticmethod
    def _refine_bboxes(bbox_head, rois: Tensor, cls_score: Tensor,
                       bbox_pred: Tensor, num_imgs: int,
                       batch_img_metas: List[dict]) -> List[Tensor]:
        """Boxes of the next stage, per image, through mmdet's
        ``refine_bboxes`` (as ``SparseRoIHead._bbox_forward``)."""
        fake_bbox_results = dict(
            rois=rois,
            bbox_targets=(rois.new_zeros(len(rois), dtype=torch.long), None),
            bbox_pred=bbox_pred.view(-1, bbox_pred.size(-1)),
            cls_score=cls_score.view(-1, cls_score.size(-1)))
        fake_sampling_results = [
            InstanceData(pos_is_gt=rois.new_zeros(cls_score.size(1)))
            for _ in range(num_imgs)
        ]
        results_list = bbox_head.refine_bboxes(
            sampling_results=fake_sampling_results,
            bbox_results=fake_bbox_results,
            batch_img_metas=batch_img_metas)
        return [res.bboxes for res in results_list]

    def bbox_loss(self, stage: int, x: Tuple[Tensor],
                  results_list: InstanceList, object_feats: Tensor,
                  batch_img_metas: List[dict],
                  batch_gt_instances: InstanceList,
                  num_frames: int = 1) -> dict:
        """Forward one stage and compute its bbox losses with clip-level
        assignment. Lists are over the ``B*T`` frames, clip-major."""
        rois = bbox2roi([res.bboxes for res in results_list])
        bbox_results = self._bbox_forward(stage, x, rois, object_feats,
                                          batch_img_metas, num_frames)
        imgs_whwh = torch.cat(
            [res.imgs_whwh[None, ...] for res in results_list])
        cls_pred_list = bbox_results['detached_cls_scores']
        proposal_list = bbox_results['detached_proposals']

        sampling_results = []
        for start in range(0, len(batch_img_metas), num_frames):
            frames = range(start, start + num_frames)
            preds = [
                InstanceData(
                    bboxes=proposal_list[i],
                    scores=cls_pred_list[i],
                    priors=proposal_list[i]) for i in frames
            ]
            gts = [batch_gt_instances[i] for i in frames]
            assign_results = self.bbox_assigner[stage].assign(
                pred_instances=preds,
                gt_instances=gts,
                img_meta=batch_img_metas[start])
            for assign_result, pred, gt in zip(assign_results, preds, gts):
                sampling_results.append(self.bbox_sampler[stage].sample(
                    assign_result, pred, gt))
        bbox_results.update(sampling_results=sampling_results)

        cls_score = bbox_results['cls_score']
        bbox_results.update(self.bbox_head[stage].loss_and_target(
            cls_score.view(-1, cls_score.size(-1)),
            bbox_results['decoded_bboxes'].view(-1, 4),
            sampling_results,
            self.train_cfg[stage],
            imgs_whwh=imgs_whwh,
            concat=True))
        bbox_results.update(results_list=[
            InstanceData(imgs_whwh=res.imgs_whwh, bboxes=bboxes)
            for res, bboxes in zip(results_list, proposal_list)
        ])
        return bbox_results

    def loss(self,
             x: Tuple[Tensor],
             rpn_results_list: InstanceList,
             batch_data_samples: SampleList,
             num_frames: int = 1) -> dict:
        """Losses of all stages.

        Args:
            x (tuple[Tensor]): FPN features, each ``(B*T, C, H, W)``.
            rpn_results_list (list[InstanceData]): ``B*T`` initial proposals
                (``bboxes``, ``imgs_whwh``, ``features``).
            batch_data_samples (list[DetDataSample]): ``B*T`` frames,
                clip-major, with ``gt_instances`` incl. ``instances_ids``.
            num_frames (int): T.

        Returns:
            dict: ``s{stage}.loss_cls / loss_bbox / loss_iou / loss_mask`` and
            ``s{stage}.pos_acc``.
        """
        batch_gt_instances, _, batch_img_metas = unpack_gt_instances(
            batch_data_samples)
        object_feats = torch.cat(
            [res.pop('features')[None, ...] for res in rpn_results_list])
        results_list = rpn_results_list
        losses = {}
        for stage in range(self.num_stages):
            weight = self.stage_loss_weights[stage]
            bbox_results = self.bbox_loss(stage, x, results_list,
                                          object_feats, batch_img_metas,
                                          batch_gt_instances, num_frames)
            stage_losses = dict(bbox_results['loss_bbox'])
            if self.with_mask:
                mask_results = self.mask_loss(stage, x, bbox_results,
                                              batch_gt_instances,
                                              self.train_cfg[stage])
                stage_losses.update(mask_results['loss_mask'])
            for name, value in stage_losses.items():
                losses[f's{stage}.{name}'] = (
                    value * weight if 'loss' in name else value)
            object_feats = bbox_results['object_feats']
            results_list = bbox_results['results_list']
        return losses

    def predict_video(self,
                      x: Tuple[Tensor],
                      rpn_results_list: InstanceList,
                      batch_img_metas: List[dict],
                      rescale: bool = True) -> InstanceList:
        """Video-level inference on the T frames of one video.

        Args:
            x (tuple[Tensor]): FPN features, each ``(T, C, H, W)``.
            rpn_results_list (list[InstanceData]): T initial proposals.
            batch_img_metas (list[dict]): T frame metas.
            rescale (bool): Boxes and masks at ``ori_shape``.

        Returns:
            list[InstanceData]: T frames, each with ``bboxes (k, 4)``,
            ``scores (k,)`` (frame-averaged, equal in all frames), ``labels
            (k,)``, ``masks (k, H, W)`` bool and ``instances_id (k,)``
            (= track index) where ``k = min(max_per_img, P * K)``.
        """
        num_frames = len(batch_img_metas)
        proposal_list = [res.bboxes for res in rpn_results_list]
        object_feats = torch.cat(
            [res.pop('features')[None, ...] for res in rpn_results_list])
        for stage in range(self.num_stages):
            rois = bbox2roi(proposal_list)
            bbox_results = self._bbox_forward(stage, x, rois, object_feats,
                                              batch_img_metas, num_frames)
            object_feats = bbox_results['object_feats']
            proposal_list = bbox_results['detached_proposals']
        cls_score = bbox_results['cls_score']  # (T, P, K)
        num_classes = self.bbox_head[-1].num_classes
        if self.bbox_head[-1].loss_cls.use_sigmoid:
            cls_score = cls_score.sigmoid()
        else:
            cls_score = cls_score.softmax(-1)[..., :-1]
        video_score = cls_score.mean(dim=0).flatten()  # (P*K,)
        num_tracks = min(self.test_cfg.max_per_img, video_score.numel())
        scores, topk_inds = video_score.topk(num_tracks)
        labels = topk_inds % num_classes
        query_inds = topk_inds // num_classes

        results_list = []
        for t in range(num_frames):
            results_list.append(
                InstanceData(
                    bboxes=proposal_list[t][query_inds],
                    scores=scores,
                    labels=labels,
                    instances_id=torch.arange(
                        num_tracks, device=scores.device)))
        if not self.with_mask:
            return results_list
        attn_feats = bbox_results['attn_feats'][:, query_inds].flatten(
            0, 1)  # (T*k, C)
        rois = bbox2roi([res.bboxes for res in results_list])
        mask_preds = self._mask_forward(self.num_stages - 1, x, rois,
                                        attn_feats)['mask_preds']
        mask_preds = mask_preds.reshape(num_frames, num_tracks,
                                        *mask_preds.shape[1:])  # (T, k, ...)
        for meta, res, preds in zip(batch_img_metas, results_list,
                                    mask_preds):
            if rescale:
                scale = res.bboxes.new_tensor(
                    meta.get('scale_factor', (1.0, 1.0))).repeat(2)
                res.bboxes = res.bboxes / scale
                out_shape = meta['ori_shape'][:2]
            else:
                out_shape = meta['img_shape'][:2]
            res.masks = paste_masks(preds, res.bboxes, res.labels, out_shape,
                                    self.test_cfg.mask_thr_binary)
        return results_list
