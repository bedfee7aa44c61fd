# Copyright (c) mmvidseg contributors. All rights reserved.
"""Video Swin-T as MTTR uses it: per-frame features, three stages."""
from functools import reduce
from operator import mul
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks.drop import DropPath
from mmengine.model.weight_init import trunc_normal_
from torch import Tensor

from mmvidseg.registry import MODELS

Size3 = Tuple[int, int, int]


def get_window_size(x_size: Sequence[int], window_size: Sequence[int],
                    shift_size: Sequence[int]) -> Tuple[Size3, Size3]:
    """Shrink the window to the input where the input is not larger, and
    zero the shift of that dimension (official ``get_window_size``)."""
    use_window, use_shift = list(window_size), list(shift_size)
    for i, size in enumerate(x_size):
        if size <= window_size[i]:
            use_window[i] = size
            use_shift[i] = 0
    return tuple(use_window), tuple(use_shift)


def window_partition(x: Tensor, window_size: Size3) -> Tensor:
    """(B, D, H, W, C) -> (B*nW, Wd*Wh*Ww, C), windows in (d, h, w) order."""
    b, d, h, w, c = x.shape
    wd, wh, ww = window_size
    x = x.view(b, d // wd, wd, h // wh, wh, w // ww, ww, c)
    x = x.permute(0, 1, 3, 5, 2, 4, 6, 7)  # (B, nD, nH, nW, wd, wh, ww, C)
    return x.reshape(-1, wd * wh * ww, c)


def window_reverse(windows: Tensor, window_size: Size3, b: int, d: int,
                   h: int, w: int) -> Tensor:
    """Inverse of :func:`window_partition` -> (B, D, H, W, C)."""
    wd, wh, ww = window_size
    x = windows.view(b, d // wd, h // wh, w // ww, wd, wh, ww, -1)
    x = x.permute(0, 1, 4, 2, 5, 3, 6, 7)  # (B, nD, wd, nH, wh, nW, ww, C)
    return x.reshape(b, d, h, w, -1)


def compute_shift_mask(d: int, h: int, w: int, window_size: Size3,
                       shift_size: Size3, device: torch.device) -> Tensor:
    """SW-MSA mask (nW, N, N): 0 inside a region, -100 across regions
    (official ``compute_mask``, without its global ``lru_cache``)."""
    img_mask = torch.zeros((1, d, h, w, 1), device=device)
    cnt = 0
    slices = [(slice(-ws), slice(-ws, -ss), slice(-ss, None))
              for ws, ss in zip(window_size, shift_size)]
    for ds in slices[0]:
        for hs in slices[1]:
            for ws_ in slices[2]:
                img_mask[:, ds, hs, ws_, :] = cnt
                cnt += 1
    mask_windows = window_partition(img_mask, window_size).squeeze(-1)
    attn_mask = mask_windows.unsqueeze(1) - mask_windows.unsqueeze(2)
    return attn_mask.masked_fill(attn_mask != 0,
                                 -100.0).masked_fill(attn_mask == 0, 0.0)


def relative_position_index_3d(window_size: Size3) -> Tensor:
    """(N, N) index into the (2Wd-1)(2Wh-1)(2Ww-1) bias table."""
    coords = torch.stack(
        torch.meshgrid(*[torch.arange(s) for s in window_size],
                       indexing='ij'))  # (3, Wd, Wh, Ww)
    coords = coords.flatten(1)  # (3, N)
    rel = (coords[:, :, None] - coords[:, None, :]).permute(1, 2, 0)
    rel = rel.contiguous()  # (N, N, 3)
    for i, s in enumerate(window_size):
        rel[:, :, i] += s - 1
    rel[:, :, 0] *= (2 * window_size[1] - 1) * (2 * window_size[2] - 1)
    rel[:, :, 1] *= 2 * window_size[2] - 1
    return rel.sum(-1)


class WindowAttention3D(nn.Module):
    """Window multi-head self-attention with a 3D relative position bias."""

    def __init__(self, dim: int, window_size: Size3, num_heads: int,
                 qkv_bias: bool = True) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads)**-0.5
        table_len = reduce(mul, [2 * s - 1 for s in window_size])
        self.relative_position_bias_table = nn.Parameter(
            torch.zeros(table_len, num_heads))
        self.register_buffer('relative_position_index',
                             relative_position_index_3d(window_size))
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        trunc_normal_(self.relative_position_bias_table, std=.02)

    def forward(self, x: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        """x: (B*nW, N, C); mask: (nW, N, N) or None."""
        bw, n, c = x.shape
        qkv = self.qkv(x).reshape(bw, n, 3, self.num_heads,
                                  c // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # (B*nW, nH, N, C/nH)
        attn = (q * self.scale) @ k.transpose(-2, -1)
        # Official quirk: the full-window index is cut to [:N, :N], so a
        # window truncated in H / W reads wrong relative positions.
        index = self.relative_position_index[:n, :n].reshape(-1)
        bias = self.relative_position_bias_table[index].reshape(n, n, -1)
        attn = attn + bias.permute(2, 0, 1).unsqueeze(0)
        if mask is not None:
            nw = mask.shape[0]
            attn = attn.view(bw // nw, nw, self.num_heads, n, n)
            attn = attn + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.num_heads, n, n)
        attn = attn.softmax(dim=-1)
        x = (attn @ v).transpose(1, 2).reshape(bw, n, c)
        return self.proj(x)


class Mlp(nn.Module):
    """fc1 - GELU - fc2 (names as in the checkpoints)."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.act(self.fc1(x)))


class SwinBlock3D(nn.Module):
    """Pre-norm (shifted) window attention block."""

    def __init__(self, dim: int, num_heads: int, window_size: Size3,
                 shift_size: Size3, mlp_ratio: float, qkv_bias: bool,
                 drop_path: float) -> None:
        super().__init__()
        self.window_size = window_size
        self.shift_size = shift_size
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention3D(dim, window_size, num_heads, qkv_bias)
        self.drop_path = DropPath(
            drop_path) if drop_path > 0 else nn.Identity()
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def _attention(self, x: Tensor, mask: Optional[Tensor]) -> Tensor:
        b, d, h, w, c = x.shape
        window, shift = get_window_size((d, h, w), self.window_size,
                                        self.shift_size)
        x = self.norm1(x)
        pads = [(window[i] - s % window[i]) % window[i]
                for i, s in enumerate((d, h, w))]
        # zero padding after norm1, not masked (official behaviour)
        x = F.pad(x, (0, 0, 0, pads[2], 0, pads[1], 0, pads[0]))
        _, dp, hp, wp, _ = x.shape
        shifted = any(s > 0 for s in shift)
        if shifted:
            x = torch.roll(x, shifts=[-s for s in shift], dims=(1, 2, 3))
        windows = window_partition(x, window)  # (B*nW, N, C)
        windows = self.attn(windows, mask if shifted else None)
        x = window_reverse(windows, window, b, dp, hp, wp)
        if shifted:
            x = torch.roll(x, shifts=list(shift), dims=(1, 2, 3))
        return x[:, :d, :h, :w, :].contiguous()

    def forward(self, x: Tensor, mask: Optional[Tensor]) -> Tensor:
        """x: (B, D, H, W, C)."""
        x = x + self.drop_path(self._attention(x, mask))
        return x + self.drop_path(self.mlp(self.norm2(x)))


class SwinStage3D(nn.Module):
    """A stage of Swin blocks (no down-sampling inside, see
    :class:`MTTRVideoSwin`)."""

    def __init__(self, dim: int, depth: int, num_heads: int,
                 window_size: Size3, mlp_ratio: float, qkv_bias: bool,
                 drop_paths: Sequence[float]) -> None:
        super().__init__()
        self.window_size = window_size
        self.shift_size = tuple(s // 2 for s in window_size)
        self.blocks = nn.ModuleList([
            SwinBlock3D(dim, num_heads, window_size,
                        (0, 0, 0) if i % 2 == 0 else self.shift_size,
                        mlp_ratio, qkv_bias, drop_paths[i])
            for i in range(depth)
        ])

    def forward(self, x: Tensor) -> Tensor:
        """x: (B, D, H, W, C) -> (B, D, H, W, C)."""
        _, d, h, w, _ = x.shape
        window, shift = get_window_size((d, h, w), self.window_size,
                                        self.shift_size)
        padded = [-(-s // window[i]) * window[i] for i, s in enumerate((d, h, w))]
        mask = compute_shift_mask(*padded, window, shift, x.device)
        for block in self.blocks:
            x = block(x, mask)
        return x


class PatchMerging3D(nn.Module):
    """2x2 spatial merging: pad odd H / W, concat, LayerNorm, Linear."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x: Tensor) -> Tensor:
        """x: (B, D, H, W, C) -> (B, D, ceil(H/2), ceil(W/2), 2C)."""
        h, w = x.shape[2:4]
        if h % 2 or w % 2:
            x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        x = torch.cat([
            x[:, :, 0::2, 0::2], x[:, :, 1::2, 0::2], x[:, :, 0::2, 1::2],
            x[:, :, 1::2, 1::2]
        ], -1)  # (B, D, H/2, W/2, 4C)
        return self.reduction(self.norm(x))


class PatchEmbed3D(nn.Module):
    """Conv3d patch embedding (input padded to patch multiples) + LN."""

    def __init__(self, patch_size: Size3, in_channels: int, embed_dim: int,
                 patch_norm: bool) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv3d(in_channels, embed_dim, patch_size, patch_size)
        self.norm = nn.LayerNorm(embed_dim) if patch_norm else None

    def forward(self, x: Tensor) -> Tensor:
        """x: (B, C, D, H, W) -> (B, D', H', W', C')."""
        d, h, w = x.shape[2:]
        pd, ph, pw = [(-s) % p for s, p in zip((d, h, w), self.patch_size)]
        if pd or ph or pw:
            x = F.pad(x, (0, pw, 0, ph, 0, pd))
        x = self.proj(x).permute(0, 2, 3, 4, 1)  # (B, D', H', W', C')
        if self.norm is not None:
            x = self.norm(x)
        return x


@MODELS.register_module()
class MTTRVideoSwin(nn.Module):
    """Video Swin Transformer as the temporal encoder of MTTR.

    Re-implements ``VideoSwinTransformerBackbone`` (``mttr2021/MTTR:
    models/backbone.py``) over ``SwinTransformer3D`` (``models/
    swin_transformer.py``) from "End-to-End Referring Video Object
    Segmentation with Multimodal Transformers" (Botach et al., CVPR 2022):
    temporal patch size 1 (one feature map per frame), window (8, 7, 7),
    stages 1-3 of Swin-T (stage 4 discarded), outputs taken *before* patch
    merging, no output norms, no merging after the last kept stage. The
    stochastic depth schedule spans the four original stages
    (``dpr_depths``), as the official model is built with depths
    (2, 2, 6, 2) and then truncated.

    Official quirks kept: a window larger than the input shrinks to it (and
    that shift becomes 0) while the bias table is read with
    ``relative_position_index[:N, :N]`` of the full window; SW-MSA masks
    fill -100; window padding happens after ``norm1`` with unmasked zeros.

    Layout: ``forward`` takes batch-major ``(B, T, C, H, W)`` (the
    mmvidseg segmentor convention) and returns batch-major maps
    ``(B, T, C_i, H_i, W_i)``. The official module takes and returns
    time-major ``(T, B, ...)``; ``x.transpose(0, 1)`` converts both ways and
    the outputs are identical.

    Deliberate deviations: the SW-MSA mask is recomputed per call instead of
    held in a global ``lru_cache`` (which grows on variable input sizes,
    MTTR issue #11); the padding-mask handling lives in the segmentor.

    Args:
        patch_size (tuple[int]): (t, h, w) patch. Defaults to (1, 4, 4).
        in_channels (int): Input channels. Defaults to 3.
        embed_dim (int): Stage-1 width. Defaults to 96.
        depths (tuple[int]): Blocks of the kept stages. Defaults to (2, 2, 6).
        num_heads (tuple[int]): Heads per kept stage.
        window_size (tuple[int]): Defaults to (8, 7, 7).
        mlp_ratio (float): Defaults to 4.
        qkv_bias (bool): Defaults to True.
        drop_path_rate (float): Defaults to 0.1.
        dpr_depths (tuple[int]): Depths the linear drop-path schedule is
            spread over. Defaults to (2, 2, 6, 2) (Swin-T).
        patch_norm (bool): LayerNorm after patch embedding. Defaults to True.
        pretrained (str, optional): a Video-Swin Kinetics-400 checkpoint
            (``swin_tiny_patch244_window877_kinetics400_1k.pth``) loaded by
            ``init_weights`` through :func:`convert_kinetics_video_swin`
            (official training init). Defaults to None.
    """

    def __init__(self,
                 patch_size: Size3 = (1, 4, 4),
                 in_channels: int = 3,
                 embed_dim: int = 96,
                 depths: Sequence[int] = (2, 2, 6),
                 num_heads: Sequence[int] = (3, 6, 12),
                 window_size: Size3 = (8, 7, 7),
                 mlp_ratio: float = 4.,
                 qkv_bias: bool = True,
                 drop_path_rate: float = 0.1,
                 dpr_depths: Sequence[int] = (2, 2, 6, 2),
                 patch_norm: bool = True,
                 pretrained: Optional[str] = None) -> None:
        super().__init__()
        self.pretrained = pretrained
        if list(dpr_depths[:len(depths)]) != list(depths):
            raise ValueError(f'MTTRVideoSwin: dpr_depths {dpr_depths} must '
                             f'start with depths {depths}')
        window_size = tuple(window_size)
        self.patch_embed = PatchEmbed3D(tuple(patch_size), in_channels,
                                        embed_dim, patch_norm)
        dpr = torch.linspace(
            0, drop_path_rate, sum(dpr_depths), device='cpu').tolist()
        self.layers = nn.ModuleList()
        self.downsamples = nn.ModuleList()
        for i, depth in enumerate(depths):
            dim = embed_dim * 2**i
            self.layers.append(
                SwinStage3D(dim, depth, num_heads[i], window_size, mlp_ratio,
                            qkv_bias, dpr[sum(depths[:i]):sum(depths[:i + 1])]))
            if i < len(depths) - 1:
                self.downsamples.append(PatchMerging3D(dim))
        self.out_channels = [embed_dim * 2**i for i in range(len(depths))]

    def init_weights(self) -> None:
        """Load ``pretrained`` (K400 Video-Swin), if given."""
        if self.pretrained is None:
            return
        ckpt = torch.load(self.pretrained, map_location='cpu',
                          weights_only=False)
        state_dict = ckpt.get('state_dict', ckpt)
        result = self.load_state_dict(
            convert_kinetics_video_swin(state_dict, len(self.layers)),
            strict=False)
        missing = [k for k in result.missing_keys
                   if not k.endswith('relative_position_index')]
        if missing or result.unexpected_keys:
            raise KeyError(f'MTTRVideoSwin: {self.pretrained}: missing '
                           f'{missing[:5]}, unexpected '
                           f'{result.unexpected_keys[:5]}; expected a '
                           'Video-Swin checkpoint of the same size')

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        """Args:
            x (Tensor): (B, T, C, H, W) frames.

        Returns:
            tuple[Tensor]: per stage (B, T, C_i, H / 2^(i+2), W / 2^(i+2)).
        """
        x = self.patch_embed(x.transpose(1, 2))  # (B, T, H/4, W/4, C)
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)  # (B, T, h, w, C_i)
            outs.append(x.permute(0, 1, 4, 2, 3).contiguous())
            if i < len(self.downsamples):
                x = self.downsamples[i](x)
        return tuple(outs)


def convert_kinetics_video_swin(state_dict: Dict[str, Tensor],
                                num_stages: int = 3) -> Dict[str, Tensor]:
    """Map a Video-Swin Kinetics-400 checkpoint onto :class:`MTTRVideoSwin`.

    As ``VideoSwinTransformerBackbone.__init__`` (``mttr2021/MTTR:
    models/backbone.py``): keep ``backbone.*``, sum the patch-embed weight
    over time (``[96, 3, 2, 4, 4] -> [96, 3, 1, 4, 4]``), move
    ``layers.i.downsample`` to ``downsamples.i`` and drop stage 4, the last
    kept stage's merging and the output ``norm``.

    Args:
        state_dict (dict): ``checkpoint['state_dict']`` of
            ``swin_tiny_patch244_window877_kinetics400_1k.pth`` (keys with or
            without the ``backbone.`` prefix).
        num_stages (int): Stages kept. Defaults to 3.

    Returns:
        dict: a state dict for ``MTTRVideoSwin.load_state_dict``.
    """
    if any(k.startswith('backbone.') for k in state_dict):
        state_dict = {
            k[len('backbone.'):]: v
            for k, v in state_dict.items() if k.startswith('backbone.')
        }
    if 'patch_embed.proj.weight' not in state_dict:
        raise KeyError('convert_kinetics_video_swin: no '
                       "'patch_embed.proj.weight'; pass the Video-Swin "
                       "checkpoint's ['state_dict']")
    out = {}
    for key, value in state_dict.items():
        if key == 'patch_embed.proj.weight':
            value = value.sum(dim=2, keepdim=True)  # (C, 3, 1, 4, 4)
        if key.startswith('layers.'):
            stage = int(key.split('.')[1])
            if stage >= num_stages:
                continue
            if '.downsample.' in key:
                if stage == num_stages - 1:
                    continue
                key = key.replace(f'layers.{stage}.downsample.',
                                  f'downsamples.{stage}.')
        elif not key.startswith('patch_embed.'):
            continue  # output norm, head
        out[key] = value
    return out
