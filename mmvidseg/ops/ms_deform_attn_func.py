# Copyright (c) mmvidseg contributors. All rights reserved.
"""Multi-scale deformable attention: CPU kernel, dispatch and reference.

:func:`ms_deform_attn` takes mmcv's tensor layout and picks a path:

* CUDA tensors: mmcv's CUDA kernel (``MultiScaleDeformableAttnFunction``).
* CPU float32 / float64 tensors with the extension built:
  :class:`MultiScaleDeformAttnCPUFunction` (``mmvidseg.ops._ext``).
* Anything else (no extension, half precision on CPU, or the ``'pytorch'``
  backend forced with :func:`ms_deform_attn_backend`): mmcv's pure-PyTorch
  ``multi_scale_deformable_attn_pytorch`` (``F.grid_sample``), which is also
  the reference the kernel is tested against.
"""
from contextlib import contextmanager
from typing import Iterator, Optional

import torch
from mmcv.ops.multi_scale_deform_attn import (
    MultiScaleDeformableAttnFunction, multi_scale_deformable_attn_pytorch)
from torch import Tensor
from torch.autograd.function import Function, once_differentiable

from .ext_loader import get_ext, info

BACKENDS = ('auto', 'cpu_kernel', 'pytorch')
_backend = 'auto'


@contextmanager
def ms_deform_attn_backend(name: str) -> Iterator[None]:
    """Choose the path of :func:`ms_deform_attn` for CPU tensors in a block.

    Args:
        name (str): ``'auto'`` (the CPU kernel when built, else PyTorch),
            ``'cpu_kernel'`` (fail if the extension is missing) or
            ``'pytorch'`` (mmcv's ``grid_sample`` path, on CPU and CUDA).
    """
    global _backend
    if name not in BACKENDS:
        raise ValueError(f'ms_deform_attn backend must be one of {BACKENDS}, '
                         f'got {name!r}')
    previous, _backend = _backend, name
    try:
        yield
    finally:
        _backend = previous


class MultiScaleDeformAttnCPUFunction(Function):
    """Autograd wrapper of the C++ CPU kernel (float32 / float64).

    Inputs and output have the layouts of :func:`ms_deform_attn`;
    ``spatial_shapes`` and ``level_start_index`` get no gradient.
    """

    @staticmethod
    def forward(ctx, value: Tensor, spatial_shapes: Tensor,
                level_start_index: Tensor, sampling_locations: Tensor,
                attention_weights: Tensor) -> Tensor:
        ext = get_ext()
        output = ext.ms_deform_attn_forward(value, spatial_shapes,
                                            level_start_index,
                                            sampling_locations,
                                            attention_weights)
        ctx.save_for_backward(value, spatial_shapes, level_start_index,
                              sampling_locations, attention_weights)
        return output

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output: Tensor) -> tuple:
        grad_value, grad_loc, grad_attn = get_ext().ms_deform_attn_backward(
            *ctx.saved_tensors, grad_output.contiguous())
        return grad_value, None, None, grad_loc, grad_attn


def check_ms_deform_attn_inputs(value: Tensor, spatial_shapes: Tensor,
                                sampling_locations: Tensor,
                                attention_weights: Tensor) -> None:
    """Raise a ValueError naming the argument whose shape is wrong."""
    if value.dim() != 4:
        raise ValueError('ms_deform_attn: value must be (bs, num_keys, '
                         f'num_heads, head_dims), got {tuple(value.shape)}')
    bs, num_keys, num_heads, _ = value.shape
    if sampling_locations.dim() != 6 or sampling_locations.shape[-1] != 2 \
            or sampling_locations.shape[0] != bs \
            or sampling_locations.shape[2] != num_heads:
        raise ValueError(
            'ms_deform_attn: sampling_locations must be (bs, num_queries, '
            'num_heads, num_levels, num_points, 2) with bs, num_heads of '
            f'value {tuple(value.shape)}, got '
            f'{tuple(sampling_locations.shape)}')
    if attention_weights.shape != sampling_locations.shape[:-1]:
        raise ValueError(
            'ms_deform_attn: attention_weights must be (bs, num_queries, '
            f'num_heads, num_levels, num_points) = '
            f'{tuple(sampling_locations.shape[:-1])}, got '
            f'{tuple(attention_weights.shape)}')
    num_levels = sampling_locations.shape[3]
    if spatial_shapes.shape != (num_levels, 2):
        raise ValueError(
            f'ms_deform_attn: spatial_shapes must be (num_levels={num_levels}'
            f', 2) holding (h, w), got {tuple(spatial_shapes.shape)}')
    if value.is_cuda:
        return  # counting keys would synchronise with the device
    total = int((spatial_shapes[:, 0] * spatial_shapes[:, 1]).sum())
    if total != num_keys:
        raise ValueError(
            f'ms_deform_attn: spatial_shapes {spatial_shapes.tolist()} cover '
            f'{total} keys but value has num_keys={num_keys}')


def level_start_index_from_shapes(spatial_shapes: Tensor) -> Tensor:
    """``[0, h0 * w0, h0 * w0 + h1 * w1, ...]`` as a ``(num_levels,)``
    tensor."""
    areas = spatial_shapes[:, 0] * spatial_shapes[:, 1]  # (num_levels, )
    return torch.cat([areas.new_zeros(1), areas.cumsum(0)[:-1]])


def _use_cpu_kernel(value: Tensor) -> bool:
    usable = (get_ext() is not None and value.device.type == 'cpu'
              and value.dtype in (torch.float32, torch.float64))
    if _backend == 'cpu_kernel' and not usable:
        why = info()['import_error'] or (
            f'{value.dtype} {value.device.type} tensors are not supported')
        raise RuntimeError('ms_deform_attn_backend("cpu_kernel") cannot run '
                           f'the CPU kernel: {why}')
    return usable and _backend != 'pytorch'


def ms_deform_attn(value: Tensor,
                   spatial_shapes: Tensor,
                   level_start_index: Optional[Tensor],
                   sampling_locations: Tensor,
                   attention_weights: Tensor,
                   im2col_step: int = 64) -> Tensor:
    """Multi-scale deformable attention, on the fastest available path.

    Args:
        value (Tensor): ``(bs, num_keys, num_heads, head_dims)``.
        spatial_shapes (Tensor): ``(num_levels, 2)`` integer ``(h, w)``.
        level_start_index (Tensor, optional): ``(num_levels,)`` first key of
            each level; computed from ``spatial_shapes`` when None.
        sampling_locations (Tensor): ``(bs, num_queries, num_heads,
            num_levels, num_points, 2)``, normalised ``(x, y)`` where
            ``(0, 0)`` is the top-left corner of the top-left pixel and
            ``(1, 1)`` the bottom-right corner of the bottom-right pixel.
        attention_weights (Tensor): ``(bs, num_queries, num_heads,
            num_levels, num_points)``.
        im2col_step (int): Passed to mmcv's CUDA kernel only.

    Returns:
        Tensor: ``(bs, num_queries, num_heads * head_dims)``.
    """
    check_ms_deform_attn_inputs(value, spatial_shapes, sampling_locations,
                                attention_weights)
    if level_start_index is None:
        level_start_index = level_start_index_from_shapes(spatial_shapes)
    if value.is_cuda and _backend != 'pytorch':
        return MultiScaleDeformableAttnFunction.apply(
            value, spatial_shapes, level_start_index, sampling_locations,
            attention_weights, im2col_step)
    if _use_cpu_kernel(value):
        # Same AMP convention as mmcv: the dtype of ``value`` decides.
        return MultiScaleDeformAttnCPUFunction.apply(
            value, spatial_shapes, level_start_index,
            sampling_locations.to(value.dtype),
            attention_weights.to(value.dtype))
    return multi_scale_deformable_attn_pytorch(value, spatial_shapes,
                                               sampling_locations,
                                               attention_weights)
