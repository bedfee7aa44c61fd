# Copyright (c) mmvidseg contributors. All rights reserved.
"""MTTR head: multimodal transformer, referred / kernel heads, FPN decoder."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from mmvidseg.models.layers.mttr_transformer import MTTRMultimodalTransformer
from mmvidseg.registry import MODELS


class MTTRSpatialDecoder(nn.Module):
    """FPN-like spatial decoder (``mttr2021/MTTR: models/segmentation.py::
    FPNSpatialDecoder``): 3x3 convs + GN(8) + ReLU, nearest up-sampling,
    1x1 adapters on the backbone maps, 3x3 output conv to the kernel dim.

    Args:
        context_dim (int): Channels of the encoder memory (d_model).
        fpn_dims (Sequence[int]): Channels of the finer backbone maps,
            coarse to fine (e.g. (192, 96)).
        mask_kernels_dim (int): Output channels. Defaults to 8.
    """

    def __init__(self, context_dim: int, fpn_dims: Sequence[int],
                 mask_kernels_dim: int = 8) -> None:
        super().__init__()
        if len(fpn_dims) != 2:
            raise ValueError('MTTRSpatialDecoder: fpn_dims needs 2 entries '
                             f'(stage 2, stage 1 channels), got {fpn_dims}')
        inter = [context_dim // 2**i for i in range(4)]
        self.lay1 = nn.Conv2d(context_dim, inter[0], 3, padding=1)
        self.gn1 = nn.GroupNorm(8, inter[0])
        self.lay2 = nn.Conv2d(inter[0], inter[1], 3, padding=1)
        self.gn2 = nn.GroupNorm(8, inter[1])
        self.lay3 = nn.Conv2d(inter[1], inter[2], 3, padding=1)
        self.gn3 = nn.GroupNorm(8, inter[2])
        self.lay4 = nn.Conv2d(inter[2], inter[3], 3, padding=1)
        self.gn4 = nn.GroupNorm(8, inter[3])
        self.adapter1 = nn.Conv2d(fpn_dims[0], inter[1], 1)
        self.adapter2 = nn.Conv2d(fpn_dims[1], inter[2], 1)
        self.out_lay = nn.Conv2d(inter[3], mask_kernels_dim, 3, padding=1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x: Tensor, fpn_feats: Sequence[Tensor]) -> Tensor:
        """x: (N, C, h, w) at /16; fpn_feats: (N, C_i, H_i, W_i) at /8, /4.

        Returns: (N, mask_kernels_dim, H/4, W/4)."""
        x = F.relu(self.gn1(self.lay1(x)))
        x = F.relu(self.gn2(self.lay2(x)))
        fpn = self.adapter1(fpn_feats[0])
        x = fpn + F.interpolate(x, size=fpn.shape[-2:], mode='nearest')
        x = F.relu(self.gn3(self.lay3(x)))
        fpn = self.adapter2(fpn_feats[1])
        x = fpn + F.interpolate(x, size=fpn.shape[-2:], mode='nearest')
        x = F.relu(self.gn4(self.lay4(x)))
        return self.out_lay(x)


class MLP(nn.Module):
    """Linear layers with ReLU between (DETR ``MLP``)."""

    def __init__(self, in_dim: int, hidden_dim: int, out_dim: int,
                 num_layers: int) -> None:
        super().__init__()
        dims = [in_dim] + [hidden_dim] * (num_layers - 1) + [out_dim]
        self.layers = nn.ModuleList(
            nn.Linear(a, b) for a, b in zip(dims[:-1], dims[1:]))

    def forward(self, x: Tensor) -> Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = F.relu(x)
        return x


@MODELS.register_module()
class MTTRHead(nn.Module):
    """Everything of MTTR after the backbone.

    Re-implements the part of ``MTTR.forward`` (``mttr2021/MTTR:
    models/mttr.py``) that follows the backbone, from "End-to-End Referring
    Video Object Segmentation with Multimodal Transformers" (Botach et al.,
    CVPR 2022): ``vid_embed_proj`` (1x1 conv) on stage 3, the multimodal
    transformer, ``is_referred_head`` (index 0 = referred),
    ``instance_kernels_head`` (2-layer MLP to ``mask_kernels_dim``) and the
    FPN spatial decoder on the encoder's video memory; masks are the dot
    product of each query's kernel with the per-frame decoded features.
    Query n in every frame forms the n-th instance sequence. Sub-module
    names follow the official checkpoint (see
    ``tools/model_converters/mttr_to_mmvidseg.py``).

    Layout: batch-major ``(B, T, ...)`` in and out; the official module is
    time-major ``(T, B, ...)``. Frame selection (``valid_indices``) is the
    segmentor's job, before this head.

    Args:
        in_channels (Sequence[int]): backbone stage channels, fine to coarse.
            Defaults to (96, 192, 384).
        num_queries (int): Defaults to 50.
        mask_kernels_dim (int): Defaults to 8.
        transformer (dict): kwargs of
            :class:`~mmvidseg.models.layers.mttr_transformer.
            MTTRMultimodalTransformer`.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (96, 192, 384),
                 num_queries: int = 50,
                 mask_kernels_dim: int = 8,
                 transformer: Optional[dict] = None) -> None:
        super().__init__()
        self.transformer = MTTRMultimodalTransformer(**(transformer or {}))
        d_model = self.transformer.d_model
        self.is_referred_head = nn.Linear(d_model, 2)
        self.instance_kernels_head = MLP(d_model, d_model, mask_kernels_dim, 2)
        self.obj_queries = nn.Embedding(num_queries, d_model)
        self.vid_embed_proj = nn.Conv2d(in_channels[-1], d_model, 1)
        self.spatial_decoder = MTTRSpatialDecoder(
            d_model, list(in_channels[:-1])[::-1], mask_kernels_dim)

    def forward(self, feats: Sequence[Tensor], pad_mask: Tensor,
                text: Union[Sequence[str], Dict[str, Tensor]]
                ) -> List[Dict[str, Tensor]]:
        """Args:
            feats (Sequence[Tensor]): backbone maps (B, T, C_i, H_i, W_i),
                fine to coarse.
            pad_mask (Tensor): (B, T, H, W) bool at input resolution, True on
                padding.
            text (list[str] | dict): one expression per clip or its tokens.

        Returns:
            list[dict]: one dict per decoder layer (last = final output) with
            ``pred_is_referred`` (B, T, Q, 2) and ``pred_masks``
            (B, T, Q, H/4, W/4) logits.
        """
        top = feats[-1]
        b, t = top.shape[:2]
        # nearest resize of the input pad mask (official F.interpolate)
        vid_pad = F.interpolate(pad_mask.float(), size=top.shape[-2:]).bool()
        vid = self.vid_embed_proj(top.flatten(0, 1)).unflatten(0, (b, t))
        hs, vid_memory, _ = self.transformer(vid, vid_pad, text,
                                             self.obj_queries.weight)
        decoded = self.spatial_decoder(
            vid_memory.flatten(0, 1),
            [f.flatten(0, 1) for f in feats[:-1][::-1]])
        decoded = decoded.unflatten(0, (b, t))  # (B, T, D, H/4, W/4)
        kernels = self.instance_kernels_head(hs)  # (L, B, T, Q, D)
        masks = torch.einsum('lbtqd,btdhw->lbtqhw', kernels, decoded)
        referred = self.is_referred_head(hs)  # (L, B, T, Q, 2)
        return [
            dict(pred_masks=m, pred_is_referred=r)
            for m, r in zip(masks, referred)
        ]
