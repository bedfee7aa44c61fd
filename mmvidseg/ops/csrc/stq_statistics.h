// Copyright (c) mmvidseg contributors. All rights reserved.
// Per-frame statistics of STQ (Weber et al., "STEP: Segmenting and
// Tracking Every Pixel", NeurIPS 2021 datasets track; google-research/
// deeplab2: evaluation/numpy/segmentation_and_tracking_quality.py):
// declaration of the CPU kernel in cpu/stq_statistics_cpu.cpp.
//
//   sem_true, sem_pred    (N,) uint8 semantic ids
//   inst_true, inst_pred  (N,) int32 instance ids in [0, 65536)
//   thing_slot            (256,) int32: 1 + rank of the class among the
//                         thing classes, 0 for other classes (<= 15 things)
// Returns [raw confusion (256, 256) int64 counts of (sem_true, sem_pred),
//          gt keys, gt counts, pred keys, pred counts, pair gt index,
//          pair pred index, pair counts] where a tube key is
//          slot << 16 | instance (int64, ascending), crowd pixels (GT thing
//          pixels of instance 0) are removed from GT and prediction, and
//          pair (i, j) counts the pixels of GT tube i and predicted tube j
//          (indices into the key lists, ascending in (i, j)).
#pragma once

#include <torch/extension.h>

#include <vector>

namespace mmvidseg {

std::vector<at::Tensor> stq_frame_statistics_cpu(
    const at::Tensor &sem_true, const at::Tensor &inst_true,
    const at::Tensor &sem_pred, const at::Tensor &inst_pred,
    const at::Tensor &thing_slot);

// The same from int64 panoptic labels (semantic << 16) + instance in
// [0, 256 << 16) (the caller checks label_bit_shift == 16); an empty list
// when a label is outside that range.
std::vector<at::Tensor> stq_panoptic_statistics_cpu(
    const at::Tensor &y_true, const at::Tensor &y_pred,
    const at::Tensor &thing_slot);

}  // namespace mmvidseg
