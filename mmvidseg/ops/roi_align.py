# Copyright (c) mmvidseg contributors. All rights reserved.
"""RoIAlign on mmvidseg's C++ CPU kernel, mmcv's op everywhere else.

mmcv's CPU RoIAlign is a scalar loop whose backward recomputes the bilinear
set-up of every sample for every channel and scatters one weight at a time;
forward + backward were about a fifth of a TeViT-tiny training iteration on
CPU. ``mmvidseg.ops._ext.roi_align_forward`` / ``roi_align_backward``
(``csrc/cpu/roi_align_cpu.cpp``) compute the same thing, bit for bit in
float32 and float64 (same operations in the same order), several times
faster: the separable sample tables of a RoI are built once and shared by
all channels, and channel blocks of each image are processed channel-last
in cache, so the backward pass has no write races. The copy is of whole
planes, so inputs with few channels, large planes and few RoIs are the
exception (16 one-channel 96x96 planes with one RoI each: 1.26 ms here,
0.52 ms with mmcv's loop); TeViT's mask targets call mmcv's op for that.

Dispatch (:func:`roi_align`, :class:`RoIAlign`): CPU float32 / float64
tensors with ``pool_mode='avg'`` take the kernel when the extension is
built; CUDA tensors, half precision, max pooling, ``use_torchvision`` and a
missing extension use mmcv's ``roi_align`` unchanged. Like mmcv, no
gradient flows into the RoIs.
"""
from typing import Tuple, Union

import torch
from mmcv.ops import RoIAlign as MMCVRoIAlign
from mmcv.ops import roi_align as mmcv_roi_align
from torch import Tensor
from torch.autograd.function import Function, once_differentiable
from torch.nn.modules.utils import _pair

from .ext_loader import get_ext


class RoIAlignCPUFunction(Function):
    """Autograd wrapper of the C++ CPU kernel (average pooling).

    Inputs are those of :func:`roi_align`; ``rois`` must have the dtype of
    ``input`` and gets no gradient.
    """

    @staticmethod
    def forward(ctx, input: Tensor, rois: Tensor, output_size: Tuple[int,
                                                                      int],
                spatial_scale: float, sampling_ratio: int,
                aligned: bool) -> Tensor:
        out_h, out_w = output_size
        output = get_ext().roi_align_forward(input, rois, out_h, out_w,
                                             spatial_scale, sampling_ratio,
                                             aligned)
        ctx.save_for_backward(rois)
        ctx.input_shape = tuple(input.shape)
        ctx.args = (spatial_scale, sampling_ratio, aligned)
        return output

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output: Tensor) -> tuple:
        rois, = ctx.saved_tensors
        grad_input = get_ext().roi_align_backward(grad_output.contiguous(),
                                                  rois, *ctx.input_shape,
                                                  *ctx.args)
        return grad_input, None, None, None, None, None


def roi_align_uses_kernel(input: Tensor, pool_mode: str = 'avg') -> bool:
    """Whether :func:`roi_align` runs mmvidseg's C++ kernel on ``input``."""
    return (get_ext() is not None and input.device.type == 'cpu'
            and input.dtype in (torch.float32, torch.float64)
            and pool_mode == 'avg')


def roi_align(input: Tensor,
              rois: Tensor,
              output_size: Union[int, Tuple[int, int]],
              spatial_scale: float = 1.0,
              sampling_ratio: int = 0,
              pool_mode: str = 'avg',
              aligned: bool = True) -> Tensor:
    """``mmcv.ops.roi_align`` with mmvidseg's CPU kernel where it applies.

    Args:
        input (Tensor): ``(N, C, H, W)`` features.
        rois (Tensor): ``(R, 5)`` rows ``(batch_index, x1, y1, x2, y2)`` in
            input-image pixels.
        output_size (int | tuple[int, int]): ``(out_h, out_w)``.
        spatial_scale (float): Feature stride reciprocal (passed through a
            C++ float, as mmcv does).
        sampling_ratio (int): Samples per bin side; 0 samples
            ``ceil(roi_size / output_size)`` per side for each RoI.
        pool_mode (str): ``'avg'`` or ``'max'`` (max: mmcv's op).
        aligned (bool): Shift the RoIs by half a pixel (mmcv's ``aligned``).

    Returns:
        Tensor: ``(R, C, out_h, out_w)``.
    """
    if not roi_align_uses_kernel(input, pool_mode):
        return mmcv_roi_align(input, rois, output_size, spatial_scale,
                              sampling_ratio, pool_mode, aligned)
    return RoIAlignCPUFunction.apply(input, rois.detach().to(input.dtype),
                                     _pair(output_size), float(spatial_scale),
                                     int(sampling_ratio), bool(aligned))


class RoIAlign(MMCVRoIAlign):
    """``mmcv.ops.RoIAlign`` whose CPU path runs mmvidseg's C++ kernel.

    RoIAlign is from Mask R-CNN (He et al., ICCV 2017); the semantics are
    mmcv 2.1's (``mmcv/ops/roi_align.py`` and
    ``mmcv/ops/csrc/pytorch/cpu/roi_align.cpp``). Same constructor,
    attributes, ``repr`` and (empty) state dict as mmcv's class, so mmdet's
    RoI extractors and checkpoints are unaffected; :func:`roi_align`
    decides per call which implementation runs.

    Parity quirks kept from mmcv: ``spatial_scale`` is rounded to float32
    even for float64 features; with ``aligned=False`` RoIs are at least
    1 x 1 feature pixels; with ``aligned=True`` a RoI with ``x2 < x1`` or
    ``y2 < y1`` raises. Deviation: ``rois`` are cast to the features' dtype
    on the kernel path (mmcv requires equal dtypes) and a RoI whose batch
    index is not an image of ``input`` raises instead of reading out of
    bounds.
    """

    def forward(self, input: Tensor, rois: Tensor) -> Tensor:
        if self.use_torchvision:
            return super().forward(input, rois)
        return roi_align(input, rois, self.output_size, self.spatial_scale,
                         self.sampling_ratio, self.pool_mode, self.aligned)


def roi_align_backend_name(layer: Union[RoIAlign, MMCVRoIAlign],
                           input: Tensor) -> str:
    """Which implementation ``layer`` uses for ``input``: ``'cpu_kernel'``
    or ``'mmcv'``."""
    if isinstance(layer, RoIAlign) and not layer.use_torchvision and \
            roi_align_uses_kernel(input, layer.pool_mode):
        return 'cpu_kernel'
    return 'mmcv'
