# Copyright (c) mmvidseg contributors. All rights reserved.
"""Export wrapper of TeViT (:class:`mmvidseg.models.TeViT`)."""
from typing import Tuple

import torch
from mmdet.structures.bbox import bbox2roi, bbox_cxcywh_to_xyxy
from torch import Tensor

from .base import ExportWrapper, register_export_wrapper


@register_export_wrapper('TeViT')
class TeViTExport(ExportWrapper):
    """MsgShifT backbone + FPN + the STQI stages + the mask head of TeViT.

    Temporally Efficient Vision Transformer for Video Instance Segmentation
    (Yang et al., CVPR 2022); the Python model is
    ``TeViTRoIHead.predict_video``. The graph runs every stage on all ``P``
    queries and the last stage's mask head on all ``T x P`` boxes; Python
    then takes the frame-averaged top-k of ``cls_logits`` (sigmoid or
    softmax), gathers ``bboxes`` / ``mask_logits`` of the kept queries and
    pastes the masks (``paste_masks``). The mask head works per RoI, so the
    kept rows equal what ``predict_video`` computes for the same queries.

    Deviation: the initial proposals span the input tensor's ``H x W``
    (``EmbeddingRPNHead`` uses the metainfo ``img_shape``); feed inputs
    whose padding is the pipeline's ``img_shape`` or accept boxes that
    start on the padded frame.

    Frame count and ``H x W`` are fixed at export: the STQI heads reshape
    with the Python ``num_frames`` and the proposals scale with Python
    ints of the size, which tracing bakes in; export once per clip shape
    (TeViT runs whole videos, or ``test_cfg.chunk`` clips of a fixed length).
    With random weights the four refinement stages amplify float rounding
    (boxes far outside the frame move RoIAlign's samples); trained or
    tame weights give about 1e-5.

    Returns:
        tuple: ``cls_logits (T, P, K)``, ``bboxes (T, P, 4)`` (x1, y1, x2,
        y2 on the input) and ``mask_logits (T, P, K_m, S, S)``.
    """
    output_names = ('cls_logits', 'bboxes', 'mask_logits')
    dynamic_axes = {
        'cls_logits': {
            0: 'frames'
        },
        'bboxes': {
            0: 'frames'
        },
        'mask_logits': {
            0: 'frames'
        }
    }
    dynamic_frames = False  # see the class docstring
    dynamic_size = False

    def forward(self, inputs: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        img = self.clip(inputs)  # (T, 3, H, W)
        model = self.model
        roi_head = model.roi_head
        num_frames = img.shape[0]
        x = model.extract_feat(img, num_frames)
        rpn = model.rpn_head
        h, w = img.shape[-2:]
        whwh = img.new_tensor([w, h, w, h])  # (4,) as EmbeddingRPNHead
        boxes = bbox_cxcywh_to_xyxy(rpn.init_proposal_bboxes.weight) \
            * whwh  # (P, 4)
        object_feats = rpn.init_proposal_features.weight[None].expand(
            num_frames, -1, -1)  # (T, P, C)
        proposals = boxes[None].expand(num_frames, -1, -1)  # (T, P, 4)
        metas = [dict(img_shape=(h, w))] * num_frames
        for stage in range(roi_head.num_stages):
            rois = bbox2roi(list(proposals.unbind(0)))
            res = roi_head._bbox_forward(stage, x, rois, object_feats, metas,
                                         num_frames)
            object_feats = res['object_feats']
            proposals = torch.stack(res['detached_proposals'])  # (T, P, 4)
        cls_score = res['cls_score']  # (T, P, K)
        num_props = proposals.shape[1]
        rois = bbox2roi(list(proposals.unbind(0)))
        mask_preds = roi_head._mask_forward(roi_head.num_stages - 1, x,
                                            rois, res['attn_feats'].flatten(
                                                0, 1))['mask_preds']
        mask_preds = mask_preds.reshape(num_frames, num_props,
                                        *mask_preds.shape[1:])
        return cls_score, proposals, mask_preds
