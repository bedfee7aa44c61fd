// Copyright (c) mmvidseg contributors. All rights reserved.
// STEm-Seg's sequential clustering (Athar et al., ECCV 2020;
// sabarim/STEm-Seg: stemseg/inference/clusterers.py, SequentialClustering):
// declaration of the CPU kernel in cpu/stemseg_clustering_cpu.cpp.
//
//   embeddings       (P, E) float32, E in 1..5
//   bandwidths       (P, E - F) float32 (activated: exp(v) * 10)
//   seediness        (P,) float32
//   free_bandwidths  (F,) float32
//   primary_sq_thr / secondary_sq_thr: float32 values s* such that the
//       reference's `exp(-0.5 * sqrt(s)) > prob_thr` holds exactly for the
//       float32 squared distances 0 <= s < s* (mmvidseg/ops/
//       stemseg_clustering.py finds them with torch's own exp)
//   min_seediness: float32 value of the seed threshold
// Returns (labels (P,) int64 with -1 for outliers, number of clusters K);
// cluster k has label label_start + k. K == -1 means the input holds a
// non-finite value or a negative bandwidth: nothing was computed and the
// caller must use the PyTorch path.
#pragma once

#include <torch/extension.h>

#include <tuple>

namespace mmvidseg {

std::tuple<at::Tensor, int64_t> stemseg_clustering_cpu(
    const at::Tensor &embeddings, const at::Tensor &bandwidths,
    const at::Tensor &seediness, const at::Tensor &free_bandwidths,
    double primary_sq_thr, double secondary_sq_thr, double min_seediness,
    int64_t max_instances, int64_t label_start);

}  // namespace mmvidseg
