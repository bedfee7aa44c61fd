# Copyright (c) mmvidseg contributors. All rights reserved.
"""3-D (time, height, width) sine position embedding of TarViS."""
import math
from typing import Optional, Sequence

import torch
from torch import Tensor, nn

from mmvidseg.registry import MODELS

_FORMATS = ('bcthw', 'btchw')


@MODELS.register_module()
class PositionEmbeddingSine3D(nn.Module):
    """Sine position embedding over a ``(T, H, W)`` volume.

    TarViS: A Unified Approach for Target-based Video Segmentation (Athar et
    al., CVPR 2023). Re-implements ``PositionEmbeddingSine3D`` of
    ``Ali2500/TarViS: tarvis/modelling/pos_embeddings.py`` (decoder) and of
    ``tarvis/modelling/backbone/temporal_neck/pos_embeddings.py`` (neck); the
    two compute the same numbers and differ only in their call signature,
    which this class merges:

    * decoder: ``pe(x)`` with ``x`` of shape ``(B, C, T, H, W)``, or
      ``pe(None, dims=(B, T, H, W), device=...)``; returns ``(B, C', T, H,
      W)``.
    * neck: ``pe(x, mask=None, fmt='btchw')`` with ``x`` of shape
      ``(B, T, C, H, W)``; returns ``(B, T, C', H, W)``.

    ``C' = 2 * num_pos_feats``: ``cat(pos_y, pos_x)`` (``num_pos_feats``
    channels each, sin / cos interleaved) **plus** a z (time) term over all
    ``2 * num_pos_feats`` channels. With ``normalize`` the cumulative
    coordinates are divided by their last value (+1e-6) and scaled to
    ``[0, scale]``, so a one-frame clip gets ``z = scale`` everywhere.

    Deviation: the default ``fmt`` is ``'bcthw'`` (the decoder's layout and
    mmvidseg's ``(B, C, T, H, W)`` contract); the neck's copy defaulted to
    ``'btchw'``, so pass ``fmt='btchw'`` for that layout. The output never
    requires grad (it depends only on shapes and ``mask``).

    Args:
        num_pos_feats (int): Channels per spatial axis; the output has twice
            as many. TarViS uses 128 (256-d features).
        temperature (float): Frequency base. Defaults to 10000.
        normalize (bool): Normalise coordinates to ``[0, scale]``.
        scale (float, optional): Needs ``normalize``; ``2 * pi`` if None.
    """

    def __init__(self,
                 num_pos_feats: int = 64,
                 temperature: float = 10000,
                 normalize: bool = False,
                 scale: Optional[float] = None) -> None:
        super().__init__()
        if scale is not None and normalize is False:
            raise ValueError('PositionEmbeddingSine3D: normalize should be '
                             'True if scale is passed')
        self.num_pos_feats = num_pos_feats
        self.temperature = temperature
        self.normalize = normalize
        self.scale = 2 * math.pi if scale is None else scale
        self.is_3d = True

    def _dim_t(self, num_feats: int, device: torch.device) -> Tensor:
        dim_t = torch.arange(num_feats, dtype=torch.float32, device=device)
        dim_t = torch.div(dim_t, 2, rounding_mode='trunc')
        return self.temperature**(2 * dim_t / num_feats)

    @staticmethod
    def _sin_cos(embed: Tensor, dim_t: Tensor) -> Tensor:
        """(B, T, H, W) coordinates -> (B, T, H, W, D), sin/cos interleaved."""
        pos = embed[..., None] / dim_t  # (B, T, H, W, D)
        return torch.stack((pos[..., 0::2].sin(), pos[..., 1::2].cos()),
                           dim=5).flatten(4)

    @torch.no_grad()
    def forward(self,
                x: Optional[Tensor] = None,
                mask: Optional[Tensor] = None,
                fmt: str = 'bcthw',
                dims: Optional[Sequence[int]] = None,
                device: Optional[torch.device] = None) -> Tensor:
        """Embed every position of a clip.

        Args:
            x (Tensor, optional): ``(B, C, T, H, W)`` (``fmt='bcthw'``) or
                ``(B, T, C, H, W)`` (``fmt='btchw'``); only its shape and
                device are read.
            mask (Tensor, optional): ``(B, T, H, W)`` bool, True at padding
                (excluded from the cumulative coordinates).
            fmt (str): Layout of ``x`` and of the output.
            dims (Sequence[int], optional): ``(B, T, H, W)`` when ``x`` is
                None.
            device (torch.device, optional): Device when ``x`` is None.

        Returns:
            Tensor: ``(B, 2 * num_pos_feats, T, H, W)`` for ``'bcthw'``,
            ``(B, T, 2 * num_pos_feats, H, W)`` for ``'btchw'``, float32.
        """
        if fmt not in _FORMATS:
            raise ValueError(f'PositionEmbeddingSine3D: fmt must be one of '
                             f'{_FORMATS}, got {fmt!r}')
        if x is not None:
            if x.dim() != 5:
                raise ValueError(f'PositionEmbeddingSine3D: x must be 5-D '
                                 f'({fmt}), got shape {tuple(x.shape)}')
            if fmt == 'btchw':
                batch_size, num_frames, _, height, width = x.shape
            else:
                batch_size, _, num_frames, height, width = x.shape
            device = x.device
        elif dims is not None:
            batch_size, num_frames, height, width = dims
        else:
            raise ValueError('PositionEmbeddingSine3D: pass x or dims='
                             '(B, T, H, W) (with device)')
        if mask is None:
            mask = torch.zeros((batch_size, num_frames, height, width),
                               dtype=torch.bool,
                               device=device)
        not_mask = ~mask
        z_embed = not_mask.cumsum(1, dtype=torch.float32)  # (B, T, H, W)
        y_embed = not_mask.cumsum(2, dtype=torch.float32)
        x_embed = not_mask.cumsum(3, dtype=torch.float32)
        if self.normalize:
            eps = 1e-6
            z_embed = z_embed / (z_embed[:, -1:, :, :] + eps) * self.scale
            y_embed = y_embed / (y_embed[:, :, -1:, :] + eps) * self.scale
            x_embed = x_embed / (x_embed[:, :, :, -1:] + eps) * self.scale

        dim_t = self._dim_t(self.num_pos_feats, mask.device)
        dim_t_z = self._dim_t(2 * self.num_pos_feats, mask.device)
        pos_x = self._sin_cos(x_embed, dim_t)  # (B, T, H, W, D)
        pos_y = self._sin_cos(y_embed, dim_t)
        pos_z = self._sin_cos(z_embed, dim_t_z)  # (B, T, H, W, 2D)
        pos = torch.cat((pos_y, pos_x), dim=4) + pos_z  # (B, T, H, W, 2D)
        if fmt == 'btchw':
            return pos.permute(0, 1, 4, 2, 3)  # (B, T, 2D, H, W)
        return pos.permute(0, 4, 1, 2, 3)  # (B, 2D, T, H, W)

    def extra_repr(self) -> str:
        return (f'num_pos_feats={self.num_pos_feats}, '
                f'temperature={self.temperature}, '
                f'normalize={self.normalize}, scale={self.scale}')
