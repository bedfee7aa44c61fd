# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS temporal neck: deformable pixel decoder + windowed time attention."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmcv.cnn.bricks.transformer import FFN
from mmengine.config import ConfigDict
from mmengine.model import (BaseModule, ModuleList, caffe2_xavier_init,
                            normal_init, xavier_init)
from torch import Tensor, nn

from mmvidseg.registry import MODELS
from ..layers.ops_layers import MSDeformAttnPixelDecoder
from ..layers.position_encoding_3d import PositionEmbeddingSine3D
from ..layers.recompute_ffn import convert_recompute_ffn

_ENCODER = dict(
    num_layers=6,
    layer_cfg=dict(
        self_attn_cfg=dict(
            embed_dims=256,
            num_heads=8,
            num_levels=3,
            num_points=4,
            im2col_step=128,
            dropout=0.0,
            batch_first=True),
        ffn_cfg=dict(
            embed_dims=256,
            feedforward_channels=1024,
            num_fcs=2,
            ffn_drop=0.0,
            act_cfg=dict(type='ReLU', inplace=True))))
_TEMPORAL_LAYER = dict(num_heads=8, feedforward_channels=1024, dropout=0.0)


def pad_to_multiple(x: Tensor, multiple: int = 64, value: float = 0.) -> Tensor:
    """Pad the last two dims of ``x`` bottom / right to a multiple.

    TarViS pads every frame to a multiple of 64 (``TemporalNeck.
    fmap_multiple_of``) so that the 1/32 map has even sides; frames are padded
    with 128 on the 0..255 RGB scale **before** normalisation and masks with 0
    (``Ali2500/TarViS: tarvis/inference/tarvis_inference_model.py``).

    Args:
        x (Tensor): ``(..., H, W)``.
        multiple (int): Target multiple. Defaults to 64.
        value (float): Fill value. Defaults to 0.

    Returns:
        Tensor: ``(..., ceil(H / m) * m, ceil(W / m) * m)``; ``x`` itself when
        no padding is needed.
    """
    height, width = x.shape[-2:]
    pad_b = -height % multiple
    pad_r = -width % multiple
    if pad_b == 0 and pad_r == 0:
        return x
    return F.pad(x, (0, pad_r, 0, pad_b), value=value)


def window_partition(maps: Sequence[Tensor], cells: Sequence[int]) -> Tensor:
    """Cut level maps into windows that cover the same image area.

    Token order inside a window is the official one (``get_patch_mask_
    indices`` + ``"(P N) T B C -> (B P) (N T) C"``): levels in the given
    order, cells row-major within a level, frames innermost; windows are
    row-major over the grid.

    Args:
        maps (Sequence[Tensor]): ``(B, T, h_l, w_l, C)`` per level.
        cells (Sequence[int]): Window side in cells per level; must divide
            ``h_l`` and ``w_l``, and give the same grid on every level.

    Returns:
        Tensor: ``(B * P, sum_l cells_l ** 2 * T, C)``.
    """
    windows = []
    for x, k in zip(maps, cells):
        b, t, h, w, c = x.shape
        x = x.view(b, t, h // k, k, w // k, k, c)
        x = x.permute(0, 2, 4, 3, 5, 1, 6)  # (B, nh, nw, k, k, T, C)
        windows.append(x.reshape(b * (h // k) * (w // k), k * k * t, c))
    return torch.cat(windows, dim=1)


def window_reverse(windows: Tensor, shapes: Sequence[Tuple[int, int]],
                   cells: Sequence[int], batch_size: int,
                   num_frames: int) -> Tensor:
    """Inverse of :func:`window_partition`, levels flattened and concatenated.

    Args:
        windows (Tensor): ``(B * P, sum_l cells_l ** 2 * T, C)``.
        shapes (Sequence[Tuple[int, int]]): ``(h_l, w_l)`` per level.
        cells (Sequence[int]): As in :func:`window_partition`.
        batch_size (int): ``B``.
        num_frames (int): ``T``.

    Returns:
        Tensor: ``(B * T, sum_l h_l * w_l, C)``.
    """
    c = windows.shape[-1]
    sizes = [k * k * num_frames for k in cells]
    maps = []
    for x, (h, w), k in zip(windows.split(sizes, dim=1), shapes, cells):
        x = x.reshape(batch_size, h // k, w // k, k, k, num_frames, c)
        x = x.permute(0, 5, 1, 3, 2, 4, 6)  # (B, T, nh, k, nw, k, C)
        maps.append(x.reshape(batch_size, num_frames, h * w, c))
    return torch.cat(maps, dim=2).flatten(0, 1)  # (B * T, sum h*w, C)


class TarViSTemporalAttentionLayer(BaseModule):
    """Full self-attention inside space-time windows, post-norm, then FFN.

    Re-implements ``TemporalAttentionLayer`` of ``Ali2500/TarViS: tarvis/
    modelling/backbone/temporal_neck/temporal_attention.py`` on windows that
    are already cut (:func:`window_partition`): ``q = k = x + pos``, ``v =
    x``, ``x = norm1(x + attn)``, ``x = norm2(x + ffn(x))``. Attention runs
    through ``F.scaled_dot_product_attention`` with the weights of
    ``self_attn`` (an ``nn.MultiheadAttention``, so the official state dict
    keys map one to one) and never materialises the attention matrix. In
    eval mode a window longer than ``chunk_threshold`` tokens is processed
    in ``num_chunks`` chunks of windows, as the official code (same maths).

    Args:
        embed_dims (int): Channels. Defaults to 256.
        num_heads (int): Heads. Defaults to 8.
        feedforward_channels (int): FFN hidden channels. Defaults to 1024.
        dropout (float): Dropout after attention and in the FFN.
        chunk_threshold (int): Longest window processed in one go in eval.
        num_chunks (int): Chunks along the window axis beyond the threshold.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_heads: int = 8,
                 feedforward_channels: int = 1024,
                 dropout: float = 0.0,
                 chunk_threshold: int = 500,
                 num_chunks: int = 8,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.chunk_threshold = chunk_threshold
        self.num_chunks = num_chunks
        self.self_attn = nn.MultiheadAttention(
            embed_dims, num_heads, dropout=0.0, batch_first=True)
        self.dropout = nn.Dropout(dropout)
        self.ffn = FFN(
            embed_dims=embed_dims,
            feedforward_channels=feedforward_channels,
            num_fcs=2,
            ffn_drop=dropout,
            act_cfg=dict(type='ReLU', inplace=True))
        self.norms = ModuleList(
            [build_norm_layer(dict(type='LN'), embed_dims)[1]
             for _ in range(2)])

    def _attention(self, kq: Tensor, value: Tensor) -> Tensor:
        """Multi-head attention of ``nn.MultiheadAttention`` via SDPA.

        Args:
            kq (Tensor): ``(W, N, C)`` queries = keys (with position).
            value (Tensor): ``(W, N, C)``.

        Returns:
            Tensor: ``(W, N, C)``, after ``out_proj``.
        """
        num_windows, num_tokens, c = kq.shape
        head_dims = c // self.num_heads
        weight = self.self_attn.in_proj_weight
        bias = self.self_attn.in_proj_bias
        qk = F.linear(kq, weight[:2 * c], bias[:2 * c])  # (W, N, 2C)
        qk = qk.view(num_windows, num_tokens, 2, self.num_heads, head_dims)
        qk = qk.permute(2, 0, 3, 1, 4)  # (2, W, heads, N, d)
        v = F.linear(value, weight[2 * c:], bias[2 * c:])
        v = v.view(num_windows, num_tokens, self.num_heads, head_dims)
        v = v.transpose(1, 2)  # (W, heads, N, d)
        out = F.scaled_dot_product_attention(qk[0], qk[1], v)
        out = out.transpose(1, 2).reshape(num_windows, num_tokens, c)
        return self.self_attn.out_proj(out)

    def forward(self, x: Tensor, pos: Tensor) -> Tensor:
        """Attend inside each window.

        Args:
            x (Tensor): ``(B * P, N, C)`` windows (:func:`window_partition`).
            pos (Tensor): ``(P, N, C)`` or ``(B * P, N, C)`` 3-D position +
                level embeddings in the same window layout.

        Returns:
            Tensor: ``(B * P, N, C)``.
        """
        num_windows, num_tokens, c = x.shape
        kq = (x.view(-1, pos.shape[0], num_tokens, c) + pos).view_as(x)
        if not self.training and num_tokens > self.chunk_threshold:
            attn = torch.cat([
                self._attention(kq_i, x_i) for kq_i, x_i in zip(
                    kq.chunk(self.num_chunks), x.chunk(self.num_chunks))
            ])
        else:
            attn = self._attention(kq, x)
        x = self.norms[0](x + self.dropout(attn))
        return self.norms[1](self.ffn(x))


@MODELS.register_module()
class TarViSTemporalNeck(MSDeformAttnPixelDecoder):
    """Mask2Former pixel decoder with a temporal layer after each encoder
    layer.

    TarViS: A Unified Approach for Target-based Video Segmentation (Athar et
    al., CVPR 2023). Re-implements ``TemporalNeck`` of ``Ali2500/TarViS:
    tarvis/modelling/backbone/temporal_neck/module.py`` (with
    ``temporal_attention.py`` and ``pos_embeddings.py``) on mmdet's
    ``MSDeformAttnPixelDecoder`` (mmvidseg's subclass, so the deformable
    attention runs mmvidseg's CPU kernel or mmcv's CUDA kernel):

    * input projections (1x1 conv + GN) for res5, res4, res3; 2-D sine
      position + ``level_encoding`` per frame;
    * ``num_layers`` x [per-frame multi-scale deformable self-attention
      layer (post-norm, FFN; mmcv's module adds the residual itself) ->
      :class:`TarViSTemporalAttentionLayer` over windows that cover the same
      ``temporal_window_size`` x ``temporal_window_size`` pixels on every
      level (2x2 / 4x4 / 8x8 cells at 1/32 / 1/16 / 1/8) across all frames,
      with :class:`PositionEmbeddingSine3D` + ``level_encoding_3d``];
    * the FPN step to 1/4 (lateral 1x1 GN + bilinear upsampling, 3x3 GN
      ReLU) and ``mask_feature`` (1x1 conv).

    Deliberate deviations (same maths, float rounding only): windows are cut
    with reshapes instead of index gathers; attention uses
    ``F.scaled_dot_product_attention``; position embeddings and reference
    points are computed once per clip and broadcast over the batch; the
    all-False padding mask is not passed to the deformable attention;
    dropouts with ``p=0`` (all of them in TarViS) are removed. In eval mode
    the official chunked attention fails (``IndexError``) when
    ``torch.chunk`` returns fewer than 8 chunks (fewer than 8 windows, or
    e.g. 9); here any number of windows works.
    Initialisation follows the official code (xavier-uniform transformer
    weights), not mmdet's xavier-normal.

    Inputs must have 1/32 sides divisible by the 1/32 window side (2): pad
    frames with :func:`pad_to_multiple` (64) first.

    Args:
        in_channels (Sequence[int]): Channels of res2..res5.
        strides (Sequence[int]): Strides of res2..res5.
        feat_channels (int): Transformer / FPN channels. Defaults to 256.
        out_channels (int): ``mask_feature`` channels. Defaults to 256.
        num_outs (int): Multi-scale outputs. Defaults to 3.
        norm_cfg (dict): Conv norm. Defaults to GN with 32 groups.
        act_cfg (dict): FPN activation. Defaults to ReLU.
        encoder (dict, optional): mmdet ``Mask2FormerTransformerEncoder``
            config; TarViS's (6 layers, 8 heads, 3 levels, 4 points, FFN
            1024, dropout 0, ``im2col_step`` 128) when None.
        temporal_layer_cfg (dict, optional): Keyword arguments of
            :class:`TarViSTemporalAttentionLayer` besides ``embed_dims``.
        positional_encoding (dict): 2-D ``SinePositionalEncoding`` config;
            the 3-D one uses the same ``num_feats`` and ``normalize``.
        temporal_window_size (int): Window side in input pixels (64).
        recompute_ffn (bool): Recompute the 1024-wide FFN hidden layers of
            all 12 layers in backward (:class:`RecomputeFFN`) instead of
            keeping them from forward: same numbers, about a quarter less
            training activation memory for one more GEMM per FFN in
            backward. Defaults to False.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: Sequence[int] = (256, 512, 1024, 2048),
                 strides: Sequence[int] = (4, 8, 16, 32),
                 feat_channels: int = 256,
                 out_channels: int = 256,
                 num_outs: int = 3,
                 norm_cfg: Dict = dict(type='GN', num_groups=32),
                 act_cfg: Dict = dict(type='ReLU'),
                 encoder: Optional[Dict] = None,
                 temporal_layer_cfg: Optional[Dict] = None,
                 positional_encoding: Dict = dict(
                     num_feats=128, normalize=True),
                 temporal_window_size: int = 64,
                 recompute_ffn: bool = False,
                 init_cfg: Optional[Dict] = None) -> None:
        encoder = ConfigDict(
            copy.deepcopy(_ENCODER if encoder is None else encoder))
        super().__init__(
            in_channels=list(in_channels),
            strides=list(strides),
            feat_channels=feat_channels,
            out_channels=out_channels,
            num_outs=num_outs,
            norm_cfg=norm_cfg,
            act_cfg=act_cfg,
            encoder=encoder,
            positional_encoding=positional_encoding,
            init_cfg=init_cfg)
        temporal_layer_cfg = dict(_TEMPORAL_LAYER,
                                  **(temporal_layer_cfg or {}))
        self.temporal_layers = ModuleList([
            TarViSTemporalAttentionLayer(
                embed_dims=feat_channels, **temporal_layer_cfg)
            for _ in range(len(self.encoder.layers))
        ])
        self.level_encoding_3d = nn.Embedding(self.num_encoder_levels,
                                              feat_channels)
        self.positional_encoding_3d = PositionEmbeddingSine3D(
            positional_encoding['num_feats'],
            normalize=positional_encoding.get('normalize', False))
        # encoder levels, low to high resolution: res5, res4, res3
        level_strides = strides[::-1][:self.num_encoder_levels]
        for stride in level_strides:
            if temporal_window_size % stride:
                raise ValueError(
                    f'TarViSTemporalNeck: temporal_window_size '
                    f'{temporal_window_size} must be a multiple of every '
                    f'encoder stride, got {stride}')
        self.window_cells = [temporal_window_size // s for s in level_strides]
        self.temporal_window_size = temporal_window_size
        self.removed_dropouts = _skip_zero_dropouts(self)
        self.recompute_ffn = recompute_ffn
        if recompute_ffn:
            convert_recompute_ffn(self)

    def init_weights(self) -> None:
        """Initialise as ``TemporalNeck.__init__`` does."""
        for conv in self.input_convs:
            xavier_init(conv.conv, gain=1, bias=0, distribution='uniform')
        for conv in [*self.lateral_convs, *self.output_convs]:
            caffe2_xavier_init(conv.conv, bias=0)
        caffe2_xavier_init(self.mask_feature, bias=0)
        for p in [*self.encoder.parameters(),
                  *self.temporal_layers.parameters()]:
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)
        for m in self.encoder.layers.modules():
            if hasattr(m, 'sampling_offsets'):
                m.init_weights()
        normal_init(self.level_encoding, mean=0, std=1)
        normal_init(self.level_encoding_3d, mean=0, std=1)
        self._is_init = True

    def _check_inputs(self, feats: Sequence[Tensor], num_frames: int) -> None:
        if len(feats) != self.num_input_levels:
            raise ValueError(f'TarViSTemporalNeck: expected '
                             f'{self.num_input_levels} feature levels '
                             f'(res2..res5), got {len(feats)}')
        if num_frames < 1 or feats[0].shape[0] % num_frames:
            raise ValueError(f'TarViSTemporalNeck: the batch of frames '
                             f'({feats[0].shape[0]}) must be B * num_frames '
                             f'(num_frames={num_frames})')
        grids = set()
        for i, k in enumerate(self.window_cells):
            h, w = feats[self.num_input_levels - 1 - i].shape[-2:]
            # int(): sizes are 0-dim tensors while tracing (ONNX export)
            grids.add((int(h // k), int(w // k)))
            if h % k or w % k:
                raise ValueError(
                    f'TarViSTemporalNeck: level {self.num_input_levels - 1 - i}'
                    f' is {h}x{w}, not divisible by the {k}x{k} cells of a '
                    f'{self.temporal_window_size}-pixel window; pad frames '
                    f'bottom/right to a multiple of '
                    f'{self.temporal_window_size} (pad_to_multiple)')
        if len(grids) > 1:
            raise ValueError(
                f'TarViSTemporalNeck: the encoder levels give different '
                f'window grids {sorted(grids)}; their sides must be the '
                f'input size divided by the strides {self.strides}')

    def _embeddings(self, shapes: List[Tuple[int, int]], num_frames: int,
                    device: torch.device) -> Tuple[Tensor, Tensor, Tensor]:
        """2-D pos (1, L, C), reference points (1, L, n, 2) and 3-D pos in
        window layout (P, N, C), all for one clip."""
        pos_2d, refs, pos_3d = [], [], []
        for i, (h, w) in enumerate(shapes):
            mask = torch.zeros((1, h, w), dtype=torch.bool, device=device)
            pos = self.postional_encoding(mask)  # (1, C, h, w)
            pos = pos.flatten(2).transpose(1, 2)  # (1, h*w, C)
            pos_2d.append(pos + self.level_encoding.weight[i])
            # float32 as the official code, whatever the model's dtype
            ref_y, ref_x = torch.meshgrid(
                torch.linspace(
                    0.5, h - 0.5, h, dtype=torch.float32, device=device) / h,
                torch.linspace(
                    0.5, w - 0.5, w, dtype=torch.float32, device=device) / w,
                indexing='ij')
            refs.append(torch.stack((ref_x.flatten(), ref_y.flatten()), -1))
            pos = self.positional_encoding_3d(
                dims=(1, num_frames, h, w), device=device, fmt='btchw')
            pos = pos.permute(0, 1, 3, 4, 2)  # (1, T, h, w, C)
            pos_3d.append(pos + self.level_encoding_3d.weight[i])
        ref = torch.cat(refs, 0)[None, :, None].expand(
            -1, -1, len(shapes), -1)  # (1, L, n_levels, 2)
        return (torch.cat(pos_2d, 1), ref,
                window_partition(pos_3d, self.window_cells))

    def forward(self, feats: Sequence[Tensor],
                num_frames: int) -> Tuple[List[Tensor], Tensor]:
        """Encode a batch of clips.

        Args:
            feats (Sequence[Tensor]): res2..res5, each ``(B * T, C_i, H_i,
                W_i)`` with frames folded into the batch (clip-major).
            num_frames (int): ``T``.

        Returns:
            tuple:

            - multi_scale (List[Tensor]): ``[1/32, 1/16, 1/8]`` encoder maps,
              each ``(B, feat_channels, T, H_i, W_i)``.
            - mask_features (Tensor): ``(B, out_channels, T, H/4, W/4)``.
        """
        self._check_inputs(feats, num_frames)
        batch_frames = feats[0].shape[0]
        batch_size = batch_frames // num_frames
        srcs, shapes = [], []
        for i in range(self.num_encoder_levels):
            x = self.input_convs[i](feats[self.num_input_levels - 1 - i])
            shapes.append(tuple(x.shape[-2:]))
            srcs.append(x.flatten(2).transpose(1, 2))  # (B*T, h*w, C)
        x = torch.cat(srcs, 1)  # (B*T, L, C)
        device = x.device
        pos_2d, ref, pos_3d = self._embeddings(shapes, num_frames, device)
        spatial_shapes = torch.as_tensor(shapes, dtype=torch.long,
                                         device=device)
        level_start_index = torch.cat((spatial_shapes.new_zeros(
            (1, )), spatial_shapes.prod(1).cumsum(0)[:-1]))
        sizes = [h * w for h, w in shapes]
        dtype = self.level_encoding.weight.dtype
        for layer, temporal_layer in zip(self.encoder.layers,
                                         self.temporal_layers):
            # the official deformable layers run under autocast(False)
            with torch.autocast(device.type, enabled=False):
                x = layer(
                    query=x.to(dtype),
                    query_pos=pos_2d.to(dtype),
                    key_padding_mask=None,
                    spatial_shapes=spatial_shapes,
                    level_start_index=level_start_index,
                    reference_points=ref)
            maps = [
                m.view(batch_size, num_frames, h, w, -1)
                for m, (h, w) in zip(x.split(sizes, 1), shapes)
            ]
            windows = temporal_layer(
                window_partition(maps, self.window_cells), pos_3d)
            x = window_reverse(windows, shapes, self.window_cells,
                               batch_size, num_frames)

        outs = [
            m.transpose(1, 2).reshape(batch_frames, -1, h, w)
            for m, (h, w) in zip(x.split(sizes, 1), shapes)
        ]
        for i in range(self.num_input_levels - self.num_encoder_levels - 1,
                       -1, -1):
            cur = self.lateral_convs[i](feats[i])
            y = cur + F.interpolate(
                outs[-1],
                size=cur.shape[-2:],
                mode='bilinear',
                align_corners=False)
            outs.append(self.output_convs[i](y))
        mask_features = self.mask_feature(outs[-1])
        multi_scale = [
            _unfold_frames(o, batch_size, num_frames)
            for o in outs[:self.num_outs]
        ]
        return multi_scale, _unfold_frames(mask_features, batch_size,
                                           num_frames)


def _skip_zero_dropouts(model: nn.Module) -> List[str]:
    """Replace every ``nn.Dropout(p=0)`` in ``model`` with ``nn.Identity``.

    A zero-probability dropout is the identity, but in train mode PyTorch
    still draws a mask, multiplies and keeps the mask for backward (about a
    tenth of the neck's CPU time and memory, mostly on the 1024-wide FFN
    activations). Dropouts with ``p > 0`` are kept; no parameters change.

    Returns:
        List[str]: Qualified names of the replaced modules.
    """
    replaced = []
    for prefix, module in list(model.named_modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, nn.Dropout) and child.p == 0:
                setattr(module, name, nn.Identity())
                replaced.append(f'{prefix}.{name}' if prefix else name)
    return replaced


def _unfold_frames(x: Tensor, batch_size: int, num_frames: int) -> Tensor:
    """(B * T, C, H, W) -> (B, C, T, H, W), contiguous."""
    x = x.view(batch_size, num_frames, *x.shape[1:])
    return x.transpose(1, 2).contiguous()
