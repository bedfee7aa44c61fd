# Copyright (c) mmvidseg contributors. All rights reserved.
"""Compiled ops with pure-PyTorch fallbacks.

``python -c "import mmvidseg.ops; print(mmvidseg.ops.info())"`` says what was
compiled. Everything here works without the extension (mmcv's PyTorch paths).
"""
from .ext_loader import get_ext, info
from .ms_deform_attn import (MultiScaleDeformableAttention,
                             convert_ms_deform_attn)
from .ms_deform_attn_func import (MultiScaleDeformAttnCPUFunction,
                                  check_ms_deform_attn_inputs,
                                  level_start_index_from_shapes,
                                  ms_deform_attn, ms_deform_attn_backend,
                                  multi_scale_deformable_attn_pytorch)
from .roi_align import (RoIAlign, RoIAlignCPUFunction, roi_align,
                        roi_align_backend_name, roi_align_uses_kernel)
from .stemseg_clustering import (squared_distance_threshold,
                                 stemseg_clustering_kernel)

__all__ = [
    'info', 'get_ext', 'ms_deform_attn', 'ms_deform_attn_backend',
    'MultiScaleDeformAttnCPUFunction', 'MultiScaleDeformableAttention',
    'convert_ms_deform_attn', 'check_ms_deform_attn_inputs',
    'level_start_index_from_shapes', 'multi_scale_deformable_attn_pytorch',
    'RoIAlign', 'RoIAlignCPUFunction', 'roi_align', 'roi_align_backend_name',
    'roi_align_uses_kernel', 'stemseg_clustering_kernel',
    'squared_distance_threshold'
]
