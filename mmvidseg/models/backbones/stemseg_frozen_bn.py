# Copyright (c) mmvidseg contributors. All rights reserved.
"""Frozen batch norm with buffers only, as maskrcnn-benchmark / STEm-Seg.

Re-implements ``FrozenBatchNorm2d`` of ``sabarim/STEm-Seg:
stemseg/modeling/backbone/make_layers.py`` (STEm-Seg, ECCV 2020), used through
``norm_cfg=dict(type='StemSegFrozenBN', eps=0.0)`` in mmdet's ``ResNet``.

Why not mmcv/mmdet: neither registers a frozen BN; ``BN`` with
``requires_grad=False`` and ``norm_eval=True`` accepts ``eps=0`` but keeps a
``num_batches_tracked`` buffer (not in the STEm-Seg checkpoints) and computes
``(x - mean) / sqrt(var + eps) * w + b`` instead of the reference's folded
``x * scale + shift``, which drifts by float rounding. Note that mmcv's
``build_norm_layer`` passes ``eps=1e-5`` unless the config sets ``eps``: the
STEm-Seg configs set ``eps=0.0``.
"""
import torch
import torch.nn as nn
from torch import Tensor

from mmvidseg.registry import MODELS


@MODELS.register_module()
class StemSegFrozenBN(nn.Module):
    """BatchNorm2d with fixed statistics and affine terms (buffers only).

    Args:
        num_features (int): Channels.
        eps (float): Added to the running variance; 0 in STEm-Seg.
    """
    _abbr_ = 'bn'

    def __init__(self, num_features: int, eps: float = 0.0) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.register_buffer('weight', torch.ones(num_features))
        self.register_buffer('bias', torch.zeros(num_features))
        self.register_buffer('running_mean', torch.zeros(num_features))
        self.register_buffer('running_var', torch.ones(num_features))

    def forward(self, x: Tensor) -> Tensor:
        """Apply ``x * scale + shift`` per channel on (N, C, H, W)."""
        scale = self.weight * (self.running_var + self.eps).rsqrt()
        shift = self.bias - self.running_mean * scale
        return x * scale.view(1, -1, 1, 1).to(x.dtype) + \
            shift.view(1, -1, 1, 1).to(x.dtype)

    def extra_repr(self) -> str:
        return f'{self.num_features}, eps={self.eps}'
