# Copyright (c) mmvidseg contributors. All rights reserved.
"""STEm-Seg's three 3D "squeeze-expand" decoders.

Re-implements ``sabarim/STEm-Seg: stemseg/modeling/embedding_decoder.py``
(``SqueezingExpandDecoder``), ``stemseg/modeling/seediness_decoder.py``,
``stemseg/modeling/semseg_decoder.py`` (``SqueezeExpandDecoder``),
``stemseg/modeling/common.py`` (pooling / temporal scale schedules) and
``stemseg/modeling/embedding_utils.py`` (coordinate offsets) of Athar et al.,
"STEm-Seg: Spatio-temporal Embeddings for Instance Segmentation in Videos",
ECCV 2020.

Module names and ``nn.Sequential`` indices equal the official ones (conv at
0/4/8, norm at 1/5/9), so official weights load with an identity key map.

Deliberate deviations:

* the clip length is a constructor argument (``num_frames``) instead of the
  global ``cfg.INPUT.NUM_FRAMES``; pools have no parameters, so a checkpoint
  serves every clip length;
* all heads take the FPN maps in the order (stride 32, 16, 8, 4); the
  official semseg head takes them reversed, which changes no weight;
* ``num_classes`` of the semseg head counts object classes only; the
  background channel (and the foreground channel) are added on top.
"""
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor

from mmvidseg.registry import MODELS

# num_frames -> (pool flags of the 1st/2nd/3rd pooling slot, temporal
# up-sampling factors 32->16, 16->8, 8->4)
POOLING_SCHEDULE = {
    2: ((False, False, False), (1, 1, 1)),
    4: ((True, False, False), (1, 1, 2)),
    8: ((True, True, False), (1, 2, 2)),
    16: ((True, True, True), (2, 2, 2)),
    24: ((True, True, True), (2, 2, 2)),
    32: ((True, True, True), (2, 2, 2)),
}

# embedding mode -> number of free (non-spatiotemporal) dimensions
_FREE_DIMS = {'xy': 0, 'xyt': 0, 'xyf': 1, 'xytf': 1, 'xyff': 2,
              'xytff': 2, 'xyfff': 3}


def embedding_mode_dims(mode: str) -> Tuple[int, int]:
    """Return ``(embedding_dims, free_dims)`` of an embedding mode.

    Modes are the official ones: ``'xyff'`` (DAVIS, YouTube-VIS; offsets
    ``(y, x, 0, 0)``) and ``'xyt'`` (KITTI-MOTS; offsets ``(t, y, x)``), plus
    the other spatio-temporal variants of ``embedding_utils.py``.
    """
    if mode not in _FREE_DIMS:
        raise ValueError(f'unknown STEm-Seg embedding mode {mode!r}; use one '
                         f'of {sorted(_FREE_DIMS)}')
    return len(mode), _FREE_DIMS[mode]


def spatiotemporal_grid(mode: str, num_frames: int, height: int, width: int,
                        time_scale: float, dtype: torch.dtype,
                        device: torch.device) -> Tensor:
    """The fixed coordinate offsets added to the embeddings.

    x spans ``[-max(1, W/H), max(1, W/H)]``, y ``[-max(1, H/W), max(1, H/W)]``
    and t ``[-time_scale, time_scale]``; free dimensions get zero.

    Returns:
        Tensor: (E, T, H, W) offsets; E = ``len(mode)``.
    """
    x_abs = max(1., width / float(height))
    y_abs = max(1., height / float(width))
    # linspace in float32 (as the reference) then cast
    x = torch.linspace(-x_abs, x_abs, width, device=device).to(dtype)
    y = torch.linspace(-y_abs, y_abs, height, device=device).to(dtype)
    t = torch.linspace(-time_scale, time_scale, num_frames,
                       device=device).to(dtype)
    t, y, x = torch.meshgrid(t, y, x, indexing='ij')  # each (T, H, W)
    axes = [t, y, x] if 't' in mode else [y, x]
    axes += [torch.zeros_like(x)] * mode.count('f')
    return torch.stack(axes, dim=0)  # (E, T, H, W)


class StemSegSqueezeExpandDecoder(BaseModule):
    """Shared trunk of the three STEm-Seg decoders.

    Args:
        in_channels (int): Channels of every FPN map (256).
        inter_channels (Sequence[int]): Channels of the 32x, 16x, 8x and 4x
            branches.
        num_frames (int): Clip length T; selects the pooling schedule (one of
            2, 4, 8, 16, 24, 32).
        norm_cfg (dict, optional): Norm after every 3D conv; GroupNorm(32)
            in all official configs.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 in_channels: int = 256,
                 inter_channels: Sequence[int] = (256, 256, 128, 128),
                 num_frames: int = 8,
                 norm_cfg: Optional[dict] = dict(type='GN', num_groups=32),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if num_frames not in POOLING_SCHEDULE:
            raise ValueError(
                f'STEm-Seg decoders support clip lengths '
                f'{sorted(POOLING_SCHEDULE)} (num_frames), got {num_frames}')
        if len(inter_channels) != 4:
            raise ValueError(f'inter_channels needs 4 entries, got '
                             f'{inter_channels}')
        self.num_frames = num_frames
        self.norm_cfg = norm_cfg
        pools, self.temporal_scales = POOLING_SCHEDULE[num_frames]
        c32, c16, c8, c4 = inter_channels
        self.block_32x = self._block([in_channels, c32, c32, c32], pools)
        self.block_16x = self._block([in_channels, c16, c16], pools[:2])
        self.block_8x = self._block([in_channels, c8], pools[:1])
        self.block_4x = self._block([in_channels, c4], ())
        self.conv_16 = nn.Conv3d(c32 + c16, c16, 1, bias=False)
        self.conv_8 = nn.Conv3d(c16 + c8, c8, 1, bias=False)
        self.conv_4 = nn.Conv3d(c8 + c4, c4, 1, bias=False)
        self.out_channels = c4

    def _norm(self, channels: int) -> nn.Module:
        if self.norm_cfg is None:
            return nn.Identity()
        return build_norm_layer(self.norm_cfg, channels)[1]

    def _block(self, channels: List[int],
               pools: Sequence[bool]) -> nn.Sequential:
        """[Conv3d 3x3x3 + norm + ReLU (+ pool or Identity)] per stage.

        The 4x block has no pooling slot; the others always have one so that
        the ``Sequential`` indices match the official modules.
        """
        layers: List[nn.Module] = []
        for i in range(len(channels) - 1):
            layers += [
                nn.Conv3d(channels[i], channels[i + 1], 3, padding=1),
                self._norm(channels[i + 1]),
                nn.ReLU(inplace=True)
            ]
            if i < len(pools):
                layers.append(
                    nn.AvgPool3d(3, stride=(2, 1, 1), padding=1)
                    if pools[i] else nn.Identity())
        return nn.Sequential(*layers)

    def _up(self, x: Tensor, t_scale: int) -> Tensor:
        return F.interpolate(
            x, scale_factor=(t_scale, 2, 2), mode='trilinear',
            align_corners=False)

    def forward_trunk(self, feats: Sequence[Tensor]) -> Tensor:
        """Run the trunk.

        Args:
            feats (Sequence[Tensor]): FPN maps at strides (32, 16, 8, 4), each
                (N, C, T, H_s, W_s).

        Returns:
            Tensor: (N, inter_channels[3], T, H_4, W_4).
        """
        if len(feats) != 4:
            raise ValueError(f'expected 4 feature maps (strides 32, 16, 8, '
                             f'4), got {len(feats)}')
        f32, f16, f8, f4 = feats
        if f4.shape[2] != self.num_frames:
            raise ValueError(f'the decoder was built for clips of '
                             f'{self.num_frames} frames (num_frames), got '
                             f'T={f4.shape[2]}')
        if self.num_frames > 2 and min(f32.shape[-2:]) < 3:
            raise ValueError(
                f'the stride-32 feature map is {tuple(f32.shape[-2:])}; its '
                f'3x3x3 average pooling needs at least 3x3, i.e. inputs of at '
                f'least 96x96 pixels')
        x = self._up(self.block_32x(f32), self.temporal_scales[0])
        x = self.conv_16(torch.cat((x, self.block_16x(f16)), 1))
        x = self._up(x, self.temporal_scales[1])
        x = self.conv_8(torch.cat((x, self.block_8x(f8)), 1))
        x = self._up(x, self.temporal_scales[2])
        return self.conv_4(torch.cat((x, self.block_4x(f4)), 1))


@MODELS.register_module()
class StemSegEmbeddingHead(StemSegSqueezeExpandDecoder):
    """Embedding decoder: embeddings, log-bandwidths and optional seediness.

    Output channels: ``E`` embeddings (``tanh(0.25 e)`` + coordinate offsets),
    ``E - F`` raw log-bandwidths (F = free dims; the bandwidth is
    ``exp(v) * 10``) and, if ``seediness_output``, 1 sigmoid seediness.
    ``time_scale`` is a buffer fixed at 1.0 as in the reference (the config
    value ``TIME_SCALE: 0.1`` is never used there).

    Args:
        embedding_mode (str): ``'xyff'`` or ``'xyt'`` (or another mode of
            :func:`embedding_mode_dims`).
        seediness_output (bool): Predict seediness here (False when a
            separate :class:`StemSegSeedinessHead` is used).
        tanh_activation (bool): Apply ``tanh(0.25 * e)``.
        **trunk_kwargs: Arguments of :class:`StemSegSqueezeExpandDecoder`.
    """

    def __init__(self,
                 embedding_mode: str = 'xyff',
                 seediness_output: bool = True,
                 tanh_activation: bool = True,
                 in_channels: int = 256,
                 inter_channels: Sequence[int] = (256, 256, 128, 128),
                 num_frames: int = 8,
                 norm_cfg: Optional[dict] = dict(type='GN', num_groups=32),
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(in_channels, inter_channels, num_frames, norm_cfg,
                         init_cfg)
        self.embedding_mode = embedding_mode
        self.embedding_dims, self.num_free_dims = embedding_mode_dims(
            embedding_mode)
        self.variance_channels = self.embedding_dims - self.num_free_dims
        self.seediness_channels = int(seediness_output)
        self.tanh_activation = tanh_activation
        c = self.out_channels
        self.conv_embedding = nn.Conv3d(c, self.embedding_dims, 1, bias=False)
        self.conv_variance = nn.Conv3d(c, self.variance_channels, 1)
        self.conv_seediness = nn.Conv3d(c, 1, 1, bias=False) \
            if seediness_output else None
        self.register_buffer('time_scale', torch.tensor(1.0))

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Return (N, E + (E - F) + S, T, H_4, W_4); S = seediness_channels."""
        x = self.forward_trunk(feats)
        emb = self.conv_embedding(x)
        if self.tanh_activation:
            emb = (emb * 0.25).tanh()
        _, _, t, h, w = emb.shape
        grid = spatiotemporal_grid(self.embedding_mode, t, h, w,
                                   float(self.time_scale), emb.dtype,
                                   emb.device)
        outs = [emb + grid[None], self.conv_variance(x)]
        if self.conv_seediness is not None:
            outs.append(self.conv_seediness(x).sigmoid())
        return torch.cat(outs, dim=1)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        key = prefix + 'conv_embedding.weight'
        if key in state_dict and \
                state_dict[key].shape[0] != self.embedding_dims:
            got = state_dict[key].shape[0]
            modes = {3: "'xyt' (KITTI-MOTS)", 4: "'xyff' (DAVIS/YouTube-VIS)"}
            raise ValueError(
                f'checkpoint embedding mode {modes.get(got, got)} with '
                f'{got} embedding dims does not match the config '
                f'embedding_mode={self.embedding_mode!r} with '
                f'{self.embedding_dims} dims ({key}); use the config made '
                f'for this checkpoint')
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)


@MODELS.register_module()
class StemSegSeedinessHead(StemSegSqueezeExpandDecoder):
    """Separate seediness decoder (DAVIS): 1 sigmoid channel."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.conv_out = nn.Conv3d(self.out_channels, 1, 1, bias=False)

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Return (N, 1, T, H_4, W_4) seediness in [0, 1]."""
        return self.conv_out(self.forward_trunk(feats)).sigmoid()


@MODELS.register_module()
class StemSegSemsegHead(StemSegSqueezeExpandDecoder):
    """Semantic decoder: background + classes (+ foreground) logits.

    Args:
        num_classes (int): Object classes (40 for YouTube-VIS, 2 for
            KITTI-MOTS); channel 0 is background.
        foreground_channel (bool): Add a last class-agnostic foreground logit.
    """

    def __init__(self, num_classes: int, foreground_channel: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.has_foreground_channel = foreground_channel
        out = num_classes + 1 + int(foreground_channel)
        self.conv_out = nn.Conv3d(self.out_channels, out, 1, bias=False)

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        """Return (N, num_classes + 1 [+ 1], T, H_4, W_4) logits."""
        return self.conv_out(self.forward_trunk(feats))
