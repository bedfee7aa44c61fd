# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS space-time decoder: hard-masked cross-attention over T*h*w."""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.models.layers import Mask2FormerTransformerDecoderLayer
from mmdet.models.layers.transformer.utils import MLP
from mmengine.model import BaseModule, ModuleList
from torch import Tensor

from mmvidseg.models.layers.position_encoding_3d import PositionEmbeddingSine3D
from mmvidseg.registry import MODELS

ALL_GROUPS = ('background', 'semantic', 'background_vos', 'vos', 'instance',
              'free')


def split_groups(x: Tensor, dim: int, names: Sequence[str],
                 sizes: Sequence[int]) -> Dict[str, Tensor]:
    """Split ``x`` along ``dim`` into named query groups."""
    if len(names) != len(sizes) or x.size(dim) != sum(sizes):
        raise ValueError(f'query groups {list(names)} of sizes {list(sizes)} '
                         f'do not cover dim {dim} of a tensor of shape '
                         f'{tuple(x.shape)}')
    return dict(zip(names, x.split(list(sizes), dim)))


def hard_attention_mask(mask_logits: Tensor, size: Sequence[int],
                        num_heads: int) -> Tensor:
    """Boolean cross-attention mask from the previous mask prediction.

    Official ``TransformerDecoder.resize_masks_for_attention`` +
    ``HardMaskedAttention``: trilinear resize to the next level's
    ``(T, h, w)``, masked where ``sigmoid < 0.5``; a query whose whole row
    is masked attends everywhere (no NaN).

    Args:
        mask_logits (Tensor): ``(B, Q, T, H, W)``.
        size (Sequence[int]): ``(T, h, w)`` of the level attended next.
        num_heads (int): Attention heads.

    Returns:
        Tensor: ``(B*num_heads, Q, T*h*w)`` bool, True = not attended.
    """
    with torch.no_grad():
        prob = F.interpolate(
            mask_logits, tuple(size), mode='trilinear',
            align_corners=False).sigmoid()  # (B, Q, T, h, w)
        mask = prob.flatten(2) < 0.5  # (B, Q, T*h*w)
        # = mask[mask.all(-1)] = False, without a bool Where (ONNX Runtime
        # has no bool Where kernel)
        mask = mask & ~mask.all(-1, keepdim=True)
        return mask.repeat_interleave(num_heads, dim=0)  # (B*heads, Q, N)


@MODELS.register_module()
class TarViSDecoder(BaseModule):
    """TarViS transformer decoder with per-group mask and class heads.

    Re-implements ``TransformerDecoder`` (``cross_attention_type=
    'hard_masked'``) of "TarViS: A Unified Approach for Target-based Video
    Segmentation" (Athar et al., CVPR 2023), official files ``Ali2500/TarViS:
    tarvis/modelling/transformer_decoder.py`` and ``tarvis/modelling/
    cross_attention/hard_masked_attention.py``.

    Mask2Former's decoder over a space-time volume: layer ``i`` attends to
    all ``T*h*w`` tokens of level ``i % 3`` (1/32, 1/16, 1/8), memory =
    features + ``scale_embed[i]`` (key and value), key + 3-D sine position.
    Each layer = masked cross-attention -> self-attention -> FFN, post-norm
    (mmdet's ``Mask2FormerTransformerDecoderLayer``, same order and maths).
    Heads run on ``decoder_norm(q)`` after every layer and on the initial
    queries ("layer 0"): ``num_layers + 1`` prediction sets.

    * Mask logits: ``einsum('bcthw,bqc->bqthw', mask_features,
      mask_embeds[group](q))`` with one 3-layer MLP per query group.
    * Class logits (when ``instance`` and ``semantic`` groups are present):
      ``[max_b <P_inst q, P_bg b>, <P_inst q, P_sem s_1..C>]``, background
      logit FIRST, ``P_*`` per-group ``Linear`` layers.

    Deviations: no ``input_proj`` (the TarViS neck gives ``embed_dims``
    channels, the official one is ``nn.Identity`` then); the unused
    instance-vs-VOS class branch, the soft-masked attention variant and the
    CUDA-OOM retry are not ported. The official ``free`` group's mask MLP is
    kept (it is in the checkpoints) but never used.

    Args:
        embed_dims (int): Query / feature width. Defaults to 256.
        num_heads (int): Attention heads. Defaults to 8.
        feedforward_channels (int): FFN hidden width. Defaults to 2048.
        num_layers (int): Decoder layers. Defaults to 9.
        num_levels (int): Feature levels cycled through. Defaults to 3.
        group_names (Sequence[str]): Query groups with a mask MLP; all but
            ``free`` also get a projection layer.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 num_layers: int = 9,
                 num_levels: int = 3,
                 group_names: Sequence[str] = ALL_GROUPS,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.num_layers = num_layers
        self.num_levels = num_levels
        self.pos_embed = PositionEmbeddingSine3D(
            embed_dims // 2, normalize=True)
        attn = dict(
            embed_dims=embed_dims, num_heads=num_heads, dropout=0.0,
            batch_first=True)
        self.layers = ModuleList([
            Mask2FormerTransformerDecoderLayer(
                self_attn_cfg=attn,
                cross_attn_cfg=attn,
                ffn_cfg=dict(
                    embed_dims=embed_dims,
                    feedforward_channels=feedforward_channels,
                    num_fcs=2,
                    ffn_drop=0.0,
                    act_cfg=dict(type='ReLU', inplace=True)))
            for _ in range(num_layers)
        ])
        self.decoder_norm = nn.LayerNorm(embed_dims)
        self.scale_embed = nn.Embedding(num_levels, embed_dims)
        self.mask_embeds = nn.ModuleDict({
            name: MLP(embed_dims, embed_dims, embed_dims, 3)
            for name in group_names
        })
        self.proj_layers = nn.ModuleDict({
            name: nn.Linear(embed_dims, embed_dims)
            for name in group_names if name != 'free'
        })

    def init_weights(self) -> None:
        """Xavier-uniform for the attention and FFN matrices (official)."""
        super().init_weights()
        for layer in self.layers:
            for p in layer.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)

    def forward(self, feats: List[Tensor], mask_features: Tensor,
                queries: Tensor, query_embed: Tensor,
                group_names: Sequence[str],
                group_sizes: Sequence[int]) -> Dict[str, Tensor]:
        """Decode the queries against a clip.

        Args:
            feats (list[Tensor]): ``num_levels`` maps ``(B, C, T, h_i, w_i)``,
                coarsest first (1/32, 1/16, 1/8).
            mask_features (Tensor): ``(B, C, T, H/4, W/4)``.
            queries (Tensor): ``(B, Q, C)`` initial queries (inits).
            query_embed (Tensor): ``(B, Q, C)`` positional query embeds.
            group_names (Sequence[str]): Query groups, in query order.
            group_sizes (Sequence[int]): Queries per group (sum Q).

        Returns:
            dict: ``mask_logits`` ``(L+1, B, Q, T, H/4, W/4)``,
            ``class_logits`` ``(L+1, B, Q_inst, 1+C)`` (only with
            ``instance`` and ``semantic`` groups) and ``queries``
            ``(L+1, B, Q, C)`` (not normalised).
        """
        if len(feats) != self.num_levels:
            raise ValueError(f'TarViSDecoder expects {self.num_levels} '
                             f'feature levels, got {len(feats)}')
        memory, memory_pos, sizes = [], [], []
        for i, feat in enumerate(feats):
            sizes.append(feat.shape[-3:])  # (T, h, w)
            pos = self.pos_embed(feat)  # (B, C, T, h, w)
            memory_pos.append(pos.flatten(2).transpose(1, 2))  # (B, N, C)
            memory.append(
                feat.flatten(2).transpose(1, 2) +
                self.scale_embed.weight[i][None, None])  # (B, N, C)

        out = self.predict_layer(queries, mask_features, group_names,
                                 group_sizes)
        mask_logits, class_logits = [out['mask_logits']], []
        if 'class_logits' in out:
            class_logits.append(out['class_logits'])
        all_queries = [queries]
        attn_mask = hard_attention_mask(out['mask_logits'], sizes[0],
                                        self.num_heads)
        for i, layer in enumerate(self.layers):
            level = i % self.num_levels
            queries = layer(
                query=queries,
                key=memory[level],
                value=memory[level],
                query_pos=query_embed,
                key_pos=memory_pos[level],
                cross_attn_mask=attn_mask)
            out = self.predict_layer(queries, mask_features, group_names,
                                     group_sizes)
            all_queries.append(queries)
            mask_logits.append(out['mask_logits'])
            if 'class_logits' in out:
                class_logits.append(out['class_logits'])
            attn_mask = hard_attention_mask(
                out['mask_logits'], sizes[(i + 1) % self.num_levels],
                self.num_heads)
        outputs = dict(
            mask_logits=torch.stack(mask_logits),
            queries=torch.stack(all_queries))
        if class_logits:
            outputs['class_logits'] = torch.stack(class_logits)
        return outputs

    def predict_layer(self, queries: Tensor, mask_features: Tensor,
                      group_names: Sequence[str],
                      group_sizes: Sequence[int]) -> Dict[str, Tensor]:
        """Mask (and class) logits of one prediction set.

        Returns:
            dict: ``mask_logits`` ``(B, Q, T, H, W)`` and, for VIS/VPS query
            sets, ``class_logits`` ``(B, Q_inst, 1+C)``.
        """
        q = self.decoder_norm(queries)
        groups = split_groups(q, 1, group_names, group_sizes)
        out = {}
        if 'instance' in groups and 'semantic' in groups:
            inst = self.proj_layers['instance'](groups['instance'])
            sem = self.proj_layers['semantic'](groups['semantic'])
            bg = self.proj_layers['background'](groups['background'])
            sem_logits = torch.einsum('bic,bsc->bis', inst, sem)  # (B, I, C)
            bg_logits = torch.einsum('bic,bsc->bis', inst, bg)  # (B, I, Nb)
            out['class_logits'] = torch.cat(
                [bg_logits.max(2, keepdim=True)[0], sem_logits], 2)
        mask_queries = torch.cat(
            [self.mask_embeds[name](groups[name]) for name in group_names],
            1)  # (B, Q, C)
        out['mask_logits'] = torch.einsum('bcthw,bqc->bqthw', mask_features,
                                          mask_queries)
        return out
