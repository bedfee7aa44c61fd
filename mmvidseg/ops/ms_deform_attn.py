# Copyright (c) mmvidseg contributors. All rights reserved.
"""``MultiScaleDeformableAttention`` that runs a C++ kernel on CPU."""
from typing import Optional, no_type_check

import torch
from mmcv.ops.multi_scale_deform_attn import \
    MultiScaleDeformableAttention as MMCVMultiScaleDeformableAttention
from mmengine.utils import deprecated_api_warning
from torch import Tensor, nn

from .ms_deform_attn_func import ms_deform_attn


class MultiScaleDeformableAttention(MMCVMultiScaleDeformableAttention):
    """Multi-scale deformable attention with a compiled CPU path.

    Deformable DETR: Deformable Transformers for End-to-End Object Detection
    (Zhu et al., ICLR 2021, https://arxiv.org/abs/2010.04159). Re-implements
    the module of mmcv 2.1 (``mmcv/ops/multi_scale_deform_attn.py``, itself
    after ``fundamentalvision/Deformable-DETR`` ``models/ops/modules/
    ms_deform_attn.py``) and dispatches the sampling through
    :func:`mmvidseg.ops.ms_deform_attn`: mmcv's CUDA kernel for CUDA
    tensors, mmvidseg's C++ kernel for CPU float32 / float64 tensors, mmcv's
    ``grid_sample`` path otherwise (no extension, half precision on CPU).

    It is a drop-in replacement: same constructor (``embed_dims=256,
    num_heads=8, num_levels=4, num_points=4, im2col_step=64, dropout=0.1,
    batch_first=False, norm_cfg=None, init_cfg=None, value_proj_ratio=1.0``),
    same parameters (``sampling_offsets``, ``attention_weights``,
    ``value_proj``, ``output_proj``; state dicts are interchangeable), same
    initialisation, same ``identity`` residual (``residual`` is accepted with
    mmcv's deprecation warning) and ``batch_first`` semantics. It is
    registered as ``MultiScaleDeformableAttention`` in mmvidseg's ``MODELS``
    (by :mod:`mmvidseg.overrides`; ``ops/`` imports no registry),
    shadowing mmcv's class in the ``mmvidseg`` scope; modules that construct
    mmcv's class directly (mmdet's ``MSDeformAttnPixelDecoder``) are switched
    with :func:`convert_ms_deform_attn`.

    Deviations and parity quirks:

    * float32 outputs differ from the ``grid_sample`` path by rounding only
      (another summation order, about 1e-7 relative).
    * As in mmcv's CUDA kernel (and unlike ``grid_sample``), a point whose
      pixel coordinate lies exactly on ``-1`` or on ``h`` / ``w`` gets no
      gradient; its value is zero on every path.
    * ``**kwargs`` stays, as in mmcv: mmdet's encoder layers pass extra
      keys (``valid_ratios``) that this module ignores.
    """

    def _sampling_locations(self, query: Tensor, reference_points: Tensor,
                            spatial_shapes: Tensor) -> Tensor:
        """Reference points plus learnt offsets, normalised to [0, 1].

        Returns:
            Tensor: ``(bs, num_query, num_heads, num_levels, num_points, 2)``.
        """
        bs, num_query, _ = query.shape
        # (bs, num_query, num_heads, num_levels, num_points, 2)
        offsets = self.sampling_offsets(query).view(bs, num_query,
                                                    self.num_heads,
                                                    self.num_levels,
                                                    self.num_points, 2)
        if reference_points.shape[-1] == 2:
            # (num_levels, 2) holding (w, h)
            normalizer = torch.stack(
                [spatial_shapes[..., 1], spatial_shapes[..., 0]], -1)
            return reference_points[:, :, None, :, None, :] \
                + offsets / normalizer[None, None, None, :, None, :]
        if reference_points.shape[-1] == 4:
            # boxes (cx, cy, w, h): offsets are relative to the box size
            return reference_points[:, :, None, :, None, :2] \
                + offsets / self.num_points \
                * reference_points[:, :, None, :, None, 2:] * 0.5
        raise ValueError('MultiScaleDeformableAttention: the last dim of '
                         'reference_points must be 2 (points) or 4 (boxes), '
                         f'got shape {tuple(reference_points.shape)}')

    @no_type_check
    @deprecated_api_warning({'residual': 'identity'},
                            cls_name='MultiScaleDeformableAttention')
    def forward(self,
                query: Tensor,
                key: Optional[Tensor] = None,
                value: Optional[Tensor] = None,
                identity: Optional[Tensor] = None,
                query_pos: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None,
                reference_points: Optional[Tensor] = None,
                spatial_shapes: Optional[Tensor] = None,
                level_start_index: Optional[Tensor] = None,
                **kwargs) -> Tensor:
        """Attend from ``query`` to sampled points of ``value``.

        Args:
            query (Tensor): ``(num_query, bs, embed_dims)``, or
                ``(bs, num_query, embed_dims)`` with ``batch_first``.
            key (Tensor, optional): Unused (kept for the mmcv signature).
            value (Tensor, optional): ``(num_key, bs, embed_dims)`` (or batch
                first); ``query`` when None.
            identity (Tensor, optional): Added to the output; ``query``
                (before ``query_pos``) when None.
            query_pos (Tensor, optional): Added to ``query``.
            key_padding_mask (Tensor, optional): ``(bs, num_key)``, True
                where ``value`` is padding (zeroed).
            reference_points (Tensor): ``(bs, num_query, num_levels, 2)``
                normalised points or ``(..., 4)`` boxes ``(cx, cy, w, h)``.
            spatial_shapes (Tensor): ``(num_levels, 2)`` holding ``(h, w)``.
            level_start_index (Tensor): ``(num_levels,)``.

        Returns:
            Tensor: same layout and shape as ``query``.
        """
        if value is None:
            value = query
        if identity is None:
            identity = query
        if query_pos is not None:
            query = query + query_pos
        if not self.batch_first:
            query = query.permute(1, 0, 2)  # (bs, num_query, embed_dims)
            value = value.permute(1, 0, 2)  # (bs, num_key, embed_dims)
        bs, num_value, _ = value.shape
        num_query = query.shape[1]
        assert (spatial_shapes[:, 0] * spatial_shapes[:, 1]).sum() == \
            num_value, 'spatial_shapes do not cover the value tokens'

        value = self.value_proj(value)
        if key_padding_mask is not None:
            value = value.masked_fill(key_padding_mask[..., None], 0.0)
        # (bs, num_key, num_heads, head_dims)
        value = value.view(bs, num_value, self.num_heads, -1)
        # (bs, num_query, num_heads, num_levels * num_points)
        attention_weights = self.attention_weights(query).view(
            bs, num_query, self.num_heads,
            self.num_levels * self.num_points).softmax(-1)
        # (bs, num_query, num_heads, num_levels, num_points)
        attention_weights = attention_weights.view(bs, num_query,
                                                   self.num_heads,
                                                   self.num_levels,
                                                   self.num_points)
        sampling_locations = self._sampling_locations(query, reference_points,
                                                      spatial_shapes)
        # (bs, num_query, embed_dims)
        output = ms_deform_attn(value, spatial_shapes, level_start_index,
                                sampling_locations, attention_weights,
                                self.im2col_step)
        output = self.output_proj(output)
        if not self.batch_first:
            output = output.permute(1, 0, 2)  # (num_query, bs, embed_dims)
        return self.dropout(output) + identity


def convert_ms_deform_attn(model: nn.Module) -> int:
    """Make every mmcv ``MultiScaleDeformableAttention`` in ``model`` use
    mmvidseg's dispatch, in place.

    mmdet's ``MSDeformAttnPixelDecoder`` (through its deformable-DETR
    encoder layers) constructs mmcv's class directly, so a config cannot
    reach it. mmvidseg's class adds no parameter, buffer or attribute, so
    switching the class of each instance keeps its weights, hooks and state
    dict as they are.

    Args:
        model (nn.Module): Any module; converted in place.

    Returns:
        int: Number of attention modules converted.
    """
    converted = 0
    for module in model.modules():
        if type(module) is MMCVMultiScaleDeformableAttention:
            module.__class__ = MultiScaleDeformableAttention
            converted += 1
    return converted
