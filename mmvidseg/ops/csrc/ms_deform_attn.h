// Copyright (c) mmvidseg contributors. All rights reserved.
// Multi-scale deformable attention (Deformable DETR, Zhu et al., ICLR 2021):
// declarations of the CPU kernels in cpu/ms_deform_attn_cpu.cpp.
//
// Tensor layouts are those of mmcv's `ms_deform_attn_forward` (mmcv 2.1,
// mmcv/ops/csrc/pytorch/ms_deform_attn.cpp):
//   value               (bs, num_keys, num_heads, head_dims)
//   spatial_shapes      (num_levels, 2) int64, (h, w) per level
//   level_start_index   (num_levels,) int64
//   sampling_loc        (bs, num_queries, num_heads, num_levels, num_points,
//                       2) normalised (x, y) in [0, 1]
//   attn_weight         (bs, num_queries, num_heads, num_levels, num_points)
//   output              (bs, num_queries, num_heads * head_dims)
#pragma once

#include <torch/extension.h>

#include <vector>

namespace mmvidseg {

at::Tensor ms_deform_attn_cpu_forward(const at::Tensor &value,
                                      const at::Tensor &spatial_shapes,
                                      const at::Tensor &level_start_index,
                                      const at::Tensor &sampling_loc,
                                      const at::Tensor &attn_weight);

// Returns {grad_value, grad_sampling_loc, grad_attn_weight}.
std::vector<at::Tensor> ms_deform_attn_cpu_backward(
    const at::Tensor &value, const at::Tensor &spatial_shapes,
    const at::Tensor &level_start_index, const at::Tensor &sampling_loc,
    const at::Tensor &attn_weight, const at::Tensor &grad_output);

}  // namespace mmvidseg
