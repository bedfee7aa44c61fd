# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS space-time decoder: hard-masked cross-attention over T*h*w."""
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks.transformer import MultiheadAttention
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
                        num_heads: int = 1) -> Tensor:
    """Boolean cross-attention mask from the previous mask prediction.

    Official ``TransformerDecoder.resize_masks_for_attention`` +
    ``HardMaskedAttention``: trilinear resize to the next level's
    ``(T, h, w)``, masked where ``sigmoid < 0.5``; a query whose whole row
    is masked attends everywhere (no NaN).

    Args:
        mask_logits (Tensor): ``(B, Q, T, H, W)``.
        size (Sequence[int]): ``(T, h, w)`` of the level attended next.
        num_heads (int): Copies per sample, as ``nn.MultiheadAttention``
            wants (the official layout); 1 (default) for a mask shared by
            the heads (:class:`SDPAMultiheadAttention`).

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
        if num_heads == 1:
            return mask
        return mask.repeat_interleave(num_heads, dim=0)  # (B*heads, Q, N)


class SDPAMultiheadAttention(MultiheadAttention):
    """mmcv ``MultiheadAttention`` computed by
    ``F.scaled_dot_product_attention`` with one mask for all heads.

    Same parameters and state dict (``attn.in_proj_weight``, ...), same
    maths as ``nn.MultiheadAttention`` (separate q / k / v projections of
    the packed weight, softmax over keys, ``out_proj``), same residual and
    dropout handling as mmcv's module; float rounding differs (another
    summation order). It never materialises the ``(B*heads, Q, N)``
    attention weights (``nn.MultiheadAttention`` returns them by default),
    nor the float copy of a per-head boolean mask. Batch-first only.

    ``attn_mask`` is boolean, True = not attended, ``(B, Q, N)`` (shared by
    the heads) or ``(B*heads, Q, N)``; rows must keep at least one key.
    """

    def forward(self,
                query: Tensor,
                key: Optional[Tensor] = None,
                value: Optional[Tensor] = None,
                identity: Optional[Tensor] = None,
                query_pos: Optional[Tensor] = None,
                key_pos: Optional[Tensor] = None,
                attn_mask: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None,
                **kwargs) -> Tensor:
        """Attention of ``query (B, Q, C)`` over ``key`` / ``value``
        ``(B, N, C)``; returns ``identity + out`` ``(B, Q, C)``."""
        if not self.batch_first or key_padding_mask is not None \
                or (attn_mask is not None and attn_mask.dtype != torch.bool):
            return super().forward(query, key, value, identity, query_pos,
                                   key_pos, attn_mask, key_padding_mask,
                                   **kwargs)
        key = query if key is None else key
        value = key if value is None else value
        identity = query if identity is None else identity
        if key_pos is None and query_pos is not None \
                and query_pos.shape == key.shape:
            key_pos = query_pos
        if query_pos is not None:
            query = query + query_pos
        if key_pos is not None:
            key = key + key_pos
        attn = self.attn
        bs, num_queries, c = query.shape
        heads, head_dims = attn.num_heads, c // attn.num_heads
        w_q, w_k, w_v = attn.in_proj_weight.chunk(3)
        b_q, b_k, b_v = attn.in_proj_bias.chunk(3)
        # (B, heads, Q or N, d)
        q = F.linear(query, w_q, b_q).view(bs, -1, heads, head_dims)
        k = F.linear(key, w_k, b_k).view(bs, -1, heads, head_dims)
        v = F.linear(value, w_v, b_v).view(bs, -1, heads, head_dims)
        mask = None
        if attn_mask is not None:
            if attn_mask.dim() == 2:
                mask = ~attn_mask  # (Q, N) shared by all
            elif attn_mask.shape[0] == bs:
                mask = ~attn_mask[:, None]  # (B, 1, Q, N)
            else:  # (B*heads, Q, N), nn.MultiheadAttention's layout
                mask = ~attn_mask.view(bs, heads, *attn_mask.shape[1:])
        out = F.scaled_dot_product_attention(
            q.transpose(1, 2),
            k.transpose(1, 2),
            v.transpose(1, 2),
            attn_mask=mask,
            dropout_p=attn.dropout if self.training else 0.0)
        out = out.transpose(1, 2).reshape(bs, num_queries, c)
        out = attn.out_proj(out)
        return identity + self.dropout_layer(self.proj_drop(out))


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

    Deviations: the masked cross-attention runs
    :class:`SDPAMultiheadAttention` (one ``(B, Q, N)`` mask for all heads,
    no materialised attention weights; ``attention='official'`` restores
    ``nn.MultiheadAttention``), mask logits are one ``bmm`` instead of an
    ``einsum`` (float rounding only); no ``input_proj`` (the TarViS neck
    gives ``embed_dims`` channels, the official one is ``nn.Identity``
    then); the unused
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
        attention (str): ``'sdpa'`` (default): the masked cross-attention
            runs :class:`SDPAMultiheadAttention` with one ``(B, Q, N)`` mask
            for all heads; ``'official'``: ``nn.MultiheadAttention`` with
            the per-head boolean mask, as the reference (materialises the
            ``(B*heads, Q, N)`` weights; for parity checks). Same state dict.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 num_layers: int = 9,
                 num_levels: int = 3,
                 group_names: Sequence[str] = ALL_GROUPS,
                 attention: str = 'sdpa',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if attention not in ('sdpa', 'official'):
            raise ValueError("TarViSDecoder: attention must be 'sdpa' or "
                             f"'official', got {attention!r}")
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
        self.set_attention(attention)
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

    def set_attention(self, attention: str) -> None:
        """Switch the cross-attention path (``'sdpa'`` / ``'official'``) of
        every layer in place; parameters are untouched."""
        cls = dict(sdpa=SDPAMultiheadAttention,
                   official=MultiheadAttention)[attention]
        for layer in self.layers:
            layer.cross_attn.__class__ = cls
        self.attention = attention

    def init_weights(self) -> None:
        """Xavier-uniform for the attention and FFN matrices (official)."""
        super().init_weights()
        for layer in self.layers:
            for p in layer.parameters():
                if p.dim() > 1:
                    nn.init.xavier_uniform_(p)

    def forward(self,
                feats: List[Tensor],
                mask_features: Tensor,
                queries: Tensor,
                query_embed: Tensor,
                group_names: Sequence[str],
                group_sizes: Sequence[int],
                last_only: bool = False) -> Dict[str, Tensor]:
        """Decode the queries against a clip.

        Args:
            feats (list[Tensor]): ``num_levels`` maps ``(B, C, T, h_i, w_i)``,
                coarsest first (1/32, 1/16, 1/8).
            mask_features (Tensor): ``(B, C, T, H/4, W/4)``.
            queries (Tensor): ``(B, Q, C)`` initial queries (inits).
            query_embed (Tensor): ``(B, Q, C)`` positional query embeds.
            group_names (Sequence[str]): Query groups, in query order.
            group_sizes (Sequence[int]): Queries per group (sum Q).
            last_only (bool): Return only the last prediction set (what
                inference uses); the others are dropped as soon as the next
                attention mask is made. Defaults to False.

        Returns:
            dict: ``mask_logits`` ``(S, B, Q, T, H/4, W/4)``,
            ``class_logits`` ``(S, B, Q_inst, 1+C)`` (only with
            ``instance`` and ``semantic`` groups) and ``queries``
            ``(S, B, Q, C)`` (not normalised); ``S = L+1`` sets, 1 with
            ``last_only``. Without gradients the mask logits are written
            into one preallocated tensor (no stacking copy).
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
        num_sets = 1 if last_only else self.num_layers + 1
        buffer = None
        if not (torch.is_grad_enabled() or torch.jit.is_tracing()
                or torch.onnx.is_in_onnx_export()
                or torch.compiler.is_compiling()):
            # (S, B, Q, T, H, W), filled set by set
            buffer = mask_features.new_empty(
                (num_sets, *queries.shape[:2], *mask_features.shape[2:]))
        heads = 1 if self.attention == 'sdpa' else self.num_heads
        sets = dict(mask_logits=[], class_logits=[], queries=[])
        attn_mask = None
        for i in range(self.num_layers + 1):
            if i > 0:
                queries = self.layers[i - 1](
                    query=queries,
                    key=memory[(i - 1) % self.num_levels],
                    value=memory[(i - 1) % self.num_levels],
                    query_pos=query_embed,
                    key_pos=memory_pos[(i - 1) % self.num_levels],
                    cross_attn_mask=attn_mask)
            slot = None if buffer is None else buffer[
                0 if last_only else i]
            out = self.predict_layer(queries, mask_features, group_names,
                                     group_sizes, out=slot)
            out['queries'] = queries
            for key, value in out.items():
                if last_only:
                    sets[key].clear()
                sets[key].append(value)
            if i < self.num_layers:
                attn_mask = hard_attention_mask(
                    out['mask_logits'], sizes[i % self.num_levels], heads)
            del out
        outputs = {k: torch.stack(v) for k, v in sets.items() if v}
        if buffer is not None:
            outputs['mask_logits'] = buffer
        return outputs

    def predict_layer(self,
                      queries: Tensor,
                      mask_features: Tensor,
                      group_names: Sequence[str],
                      group_sizes: Sequence[int],
                      out: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """Mask (and class) logits of one prediction set.

        Args:
            out (Tensor, optional): ``(B, Q, T, H, W)`` to write the mask
                logits into (only without gradients).

        Returns:
            dict: ``mask_logits`` ``(B, Q, T, H, W)`` and, for VIS/VPS query
            sets, ``class_logits`` ``(B, Q_inst, 1+C)``.
        """
        q = self.decoder_norm(queries)
        groups = split_groups(q, 1, group_names, group_sizes)
        outputs = {}
        if 'instance' in groups and 'semantic' in groups:
            inst = self.proj_layers['instance'](groups['instance'])
            sem = self.proj_layers['semantic'](groups['semantic'])
            bg = self.proj_layers['background'](groups['background'])
            sem_logits = torch.einsum('bic,bsc->bis', inst, sem)  # (B, I, C)
            bg_logits = torch.einsum('bic,bsc->bis', inst, bg)  # (B, I, Nb)
            outputs['class_logits'] = torch.cat(
                [bg_logits.max(2, keepdim=True)[0], sem_logits], 2)
        mask_queries = torch.cat(
            [self.mask_embeds[name](groups[name]) for name in group_names],
            1)  # (B, Q, C)
        # = einsum('bcthw,bqc->bqthw'), as one (B, Q, C) x (B, C, THW) bmm
        shape = (*mask_queries.shape[:2], *mask_features.shape[2:])
        if out is not None:
            torch.bmm(mask_queries, mask_features.flatten(2),
                      out=out.view(*shape[:2], -1))
            outputs['mask_logits'] = out
        else:
            outputs['mask_logits'] = torch.bmm(
                mask_queries, mask_features.flatten(2)).view(shape)
        return outputs
