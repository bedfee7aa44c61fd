# Copyright (c) mmvidseg contributors. All rights reserved.
"""STQI head: DIIHead with spatio-temporal query interaction (TeViT)."""
from typing import Tuple

from mmdet.models.roi_heads.bbox_heads import DIIHead
from torch import Tensor

from mmvidseg.registry import MODELS


@MODELS.register_module()
class STQIHead(DIIHead):
    """Spatio-temporal query interaction head of TeViT.

    Re-implements ``STQIHead`` of "Temporally Efficient Vision Transformer
    for Video Instance Segmentation" (Yang et al., CVPR 2022), official file
    ``hustvl/TeViT: mmdet/models/roi_heads/bbox_heads/stqi_head.py``.

    Exactly :class:`mmdet.models.roi_heads.bbox_heads.DIIHead` (same
    parameters, same state-dict keys) except for the query self-attention,
    which runs twice with the *same* ``attention`` / ``attention_norm``
    weights:

    1. over the P queries of each frame (batch ``B*T``), then
    2. over the T frames of each query (batch ``B*P``).

    The output of step 2 is ``attn_feats`` (the mask head's dynamic-kernel
    source) and feeds the dynamic instance-interactive conv as in DIIHead.
    With ``num_frames=1`` the head equals DIIHead plus one extra
    ``LN(q + MHA(q))`` over a single token.

    Deviation: the official ``forward(roi_feat, proposal_feat, clip_length)``
    takes ``num_frames`` as keyword with default 1.
    """

    def forward(self,
                roi_feat: Tensor,
                proposal_feat: Tensor,
                num_frames: int = 1) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
        """Forward one stage.

        Args:
            roi_feat (Tensor): ``(B*T*P, C, 7, 7)`` RoI features.
            proposal_feat (Tensor): ``(B*T, P, C)`` query features of the
                previous stage, clip-major.
            num_frames (int): T. Defaults to 1.

        Returns:
            tuple[Tensor]: ``cls_score (B*T, P, K)``, ``bbox_delta
            (B*T, P, 4)``, ``obj_feat (B*T, P, C)``, ``attn_feats
            (B*T, P, C)``.
        """
        num_imgs, num_proposals, channels = proposal_feat.shape
        if num_imgs % num_frames != 0:
            raise ValueError(f'{num_imgs} images are not a whole number of '
                             f'clips of num_frames={num_frames}.')
        num_clips = num_imgs // num_frames
        # 1. intra-frame query attention (sequence-first MHA)
        feat = proposal_feat.permute(1, 0, 2)  # (P, B*T, C)
        feat = self.attention_norm(self.attention(feat))
        # 2. per-query temporal attention, same weights
        feat = feat.reshape(num_proposals, num_clips, num_frames,
                            channels)  # (P, B, T, C)
        feat = feat.permute(2, 1, 0, 3).reshape(
            num_frames, num_clips * num_proposals, channels)  # (T, B*P, C)
        feat = self.attention_norm(self.attention(feat))
        feat = feat.reshape(num_frames, num_clips, num_proposals,
                            channels)  # (T, B, P, C)
        attn_feats = feat.permute(1, 0, 2, 3).reshape(
            num_imgs, num_proposals, channels)  # (B*T, P, C)

        # dynamic instance interaction + FFN, as in DIIHead
        feat = attn_feats.reshape(-1, self.in_channels)  # (B*T*P, C)
        feat_iic = self.instance_interactive_conv(feat, roi_feat)
        feat = feat + self.instance_interactive_conv_dropout(feat_iic)
        obj_feat = self.instance_interactive_conv_norm(feat)
        obj_feat = self.ffn_norm(self.ffn(obj_feat))

        cls_feat = obj_feat
        for cls_layer in self.cls_fcs:
            cls_feat = cls_layer(cls_feat)
        reg_feat = obj_feat
        for reg_layer in self.reg_fcs:
            reg_feat = reg_layer(reg_feat)
        num_logits = (
            self.num_classes
            if self.loss_cls.use_sigmoid else self.num_classes + 1)
        cls_score = self.fc_cls(cls_feat).view(num_imgs, num_proposals,
                                               num_logits)
        bbox_delta = self.fc_reg(reg_feat).view(num_imgs, num_proposals, 4)
        return cls_score, bbox_delta, obj_feat.view(
            num_imgs, num_proposals, self.in_channels), attn_feats
