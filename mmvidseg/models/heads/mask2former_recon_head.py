# Copyright (c) mmvidseg contributors. All rights reserved.
"""Video-TTT's reconstruction head: a Mask2Former head without classes."""
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.dense_heads import Mask2FormerHead
from mmdet.utils import ConfigType, OptMultiConfig
from mmengine.config import ConfigDict
from torch import Tensor

from mmvidseg.registry import MODELS


@MODELS.register_module()
class Mask2FormerReconHead(Mask2FormerHead):
    """Complete Mask2Former head whose mask predictions are pixel patches.

    Wang et al., "Test-Time Training on Video Streams" (arXiv 2307.05014);
    re-implements ``renwang435/video-ttt-release:
    mask2former/modeling/meta_arch/mask_former_head.py::MaskFormerReconHead``
    (a ``MultiScaleMaskedTransformerDecoder`` built with
    ``mask_classification=False``): its own deformable pixel decoder and
    masked-attention transformer decoder, ``num_queries = 3 * p * p`` (48 for
    p = 4) queries and no class embedding. The last layer's mask predictions
    ``(B, 48, H/4, W/4)`` are read as 4 x 4 RGB patches by
    :func:`mmvidseg.models.layers.mae_patches.unpatchify_recon`.

    The module tree is mmdet's ``Mask2FormerHead`` (same parameter names,
    same forward with masked attention from the intermediate predictions)
    minus ``cls_embed``; the class-loss settings of the parent are unused.

    Args:
        in_channels (list[int]): Backbone channels per level.
        feat_channels (int): Pixel-decoder / query channels.
        out_channels (int): Mask-feature channels.
        num_queries (int): Queries, ``3 * p * p``. Defaults to 48.
        num_transformer_feat_level (int): Levels attended by the decoder.
        pixel_decoder (dict): Pixel decoder config.
        enforce_decoder_input_project (bool): As ``Mask2FormerHead``.
        transformer_decoder (dict): ``Mask2FormerTransformerDecoder`` kwargs.
        positional_encoding (dict): ``SinePositionalEncoding`` kwargs.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: List[int],
                 feat_channels: int,
                 out_channels: int,
                 num_queries: int = 48,
                 num_transformer_feat_level: int = 3,
                 pixel_decoder: ConfigType = ...,
                 enforce_decoder_input_project: bool = False,
                 transformer_decoder: ConfigType = ...,
                 positional_encoding: ConfigType = dict(
                     num_feats=128, normalize=True),
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            in_channels=in_channels,
            feat_channels=feat_channels,
            out_channels=out_channels,
            num_things_classes=0,
            num_stuff_classes=0,
            num_queries=num_queries,
            num_transformer_feat_level=num_transformer_feat_level,
            pixel_decoder=ConfigDict(pixel_decoder),
            enforce_decoder_input_project=enforce_decoder_input_project,
            transformer_decoder=ConfigDict(transformer_decoder),
            positional_encoding=ConfigDict(positional_encoding),
            # unused (no classes); built by the parent constructor
            loss_cls=ConfigDict(
                type='mmdet.CrossEntropyLoss', class_weight=[0.1]),
            init_cfg=init_cfg)
        del self.cls_embed  # mask_classification=False: no class embedding

    def _forward_head(self, decoder_out: Tensor, mask_feature: Tensor,
                      attn_mask_target_size: Tuple[int, int]
                      ) -> Tuple[Optional[Tensor], Tensor, Tensor]:
        """Mask2FormerHead's prediction step without the class logits."""
        decoder_out = self.transformer_decoder.post_norm(decoder_out)
        mask_embed = self.mask_embed(decoder_out)  # (B, Q, C)
        # (B, Q, C) x (B, C, h, w) -> (B, Q, h, w)
        mask_pred = torch.einsum('bqc,bchw->bqhw', mask_embed, mask_feature)
        attn_mask = F.interpolate(
            mask_pred,
            attn_mask_target_size,
            mode='bilinear',
            align_corners=False)
        # (B, Q, h, w) -> (B * num_heads, Q, h * w); True = do not attend
        attn_mask = attn_mask.flatten(2).unsqueeze(1).repeat(
            (1, self.num_heads, 1, 1)).flatten(0, 1)
        attn_mask = (attn_mask.sigmoid() < 0.5).detach()
        return None, mask_pred, attn_mask

    def forward_recon(self, x: List[Tensor]) -> Tensor:
        """Last-layer mask predictions ``(B, num_queries, H/4, W/4)``."""
        _, mask_preds = self(x, [])
        return mask_preds[-1]

    def loss(self, *args, **kwargs):
        raise NotImplementedError(
            'Mask2FormerReconHead has no matching loss: call '
            'Mask2FormerTTT.loss_recon(inputs, masks)')

    def predict(self, *args, **kwargs):
        raise NotImplementedError(
            'Mask2FormerReconHead does not segment: call '
            'Mask2FormerTTT.reconstruct(inputs, masks)')

