// Copyright (c) mmvidseg contributors. All rights reserved.
// RoIAlign (Mask R-CNN, He et al., ICCV 2017) with average pooling:
// declarations of the CPU kernels in cpu/roi_align_cpu.cpp.
//
// Semantics are those of mmcv 2.1's `roi_align` with pool_mode='avg'
// (mmcv/ops/csrc/pytorch/cpu/roi_align.cpp), float32 and float64:
//   input   (N, C, H, W)
//   rois    (R, 5) rows (batch_index, x1, y1, x2, y2) in input-image pixels,
//           same dtype as input
//   output  (R, C, out_h, out_w)
// sampling_ratio > 0 samples that many points per bin side; 0 samples
// ceil(roi_size / out_size) points per bin side for each RoI (adaptive).
#pragma once

#include <torch/extension.h>

namespace mmvidseg {

at::Tensor roi_align_cpu_forward(const at::Tensor &input,
                                 const at::Tensor &rois, int64_t out_h,
                                 int64_t out_w, double spatial_scale,
                                 int64_t sampling_ratio, bool aligned);

// Returns grad_input (N, C, H, W); the RoIs get no gradient.
at::Tensor roi_align_cpu_backward(const at::Tensor &grad_output,
                                  const at::Tensor &rois, int64_t num_images,
                                  int64_t channels, int64_t height,
                                  int64_t width, double spatial_scale,
                                  int64_t sampling_ratio, bool aligned);

}  // namespace mmvidseg
