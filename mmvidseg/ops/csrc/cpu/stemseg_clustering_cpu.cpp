// Copyright (c) mmvidseg contributors. All rights reserved.
// CPU kernel of STEm-Seg's sequential clustering (SequentialClustering in
// sabarim/STEm-Seg: stemseg/inference/clusterers.py), with labels identical
// to the PyTorch reference loop
// (mmvidseg/models/trackers/stemseg_clustering.py,
// sequential_clustering_reference).
//
// Why the labels are identical, operation by operation:
//   * the squared distance of a point to a cluster is computed in float32
//     as torch does it: t_k = ((e_k - c_k) * (e_k - c_k)) * b_k (torch's
//     pow(x, 2) is x * x), summed over k in the order of torch's CPU
//     reduction of a (P, E) tensor over its last dim: sequentially for
//     E <= 4, ((((t0 + t4) + t1) + t2) + t3) for E = 5 (four accumulators);
//     other E are not compiled (the caller uses the PyTorch path);
//   * the reference's test exp(-0.5 * sqrt(s)) > thr is replaced by
//     0 <= s < s*, where s* (per threshold) is found by the Python wrapper
//     by evaluating that very torch expression on every float32 around the
//     boundary, so torch's own exp decides;
//   * the next center is the first point, in input order, of largest
//     seediness among the unassigned points (torch's argmax); the working
//     set is compacted in place, keeping the input order;
//   * the secondary pass runs on the points that were unassigned at the
//     start of the last executed iteration (the reference's quirk: after
//     max_instances iterations this includes the last cluster's points) and
//     picks, per point, the first cluster of largest distance sqrt(s)
//     (torch's max over dim 1) and assigns it if that cluster's s < s2*;
//     a NaN distance (inf * 0 bandwidth) assigns nothing, as in torch.
// Compile without floating-point contraction (an FMA would round
// differently): see the pragmas after the includes.
//
// One thread: the loop is sequential by nature (each cluster removes the
// points it takes before the next center is chosen); each iteration is one
// pass over the remaining points, in blocks whose squared distances are
// computed with SIMD (compiler-vectorised) before the scalar compaction.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "stemseg_clustering.h"

// after the includes, so that only this file's functions are affected
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace mmvidseg {
namespace {

constexpr int64_t kBlock = 256;
constexpr int kMaxDims = 5;

// torch's float32 sum over the last dim of a (P, E) tensor, E <= 5.
template <int E>
inline float reduce_sum(const float *t) {
  if (E == 5) return (((t[0] + t[4]) + t[1]) + t[2]) + t[3];
  float s = t[0];
  for (int k = 1; k < E; ++k) s = s + t[k];
  return s;
}

template <int E>
inline float sq_dist(const float *e, const float *c, const float *b) {
  float t[E];
  for (int k = 0; k < E; ++k) {
    const float d = e[k] - c[k];
    t[k] = (d * d) * b[k];
  }
  return reduce_sum<E>(t);
}

// Squared distances of points [begin, begin + m) of the working set (E
// planes of stride `stride`) to center c with bandwidth b.
template <int E>
void block_sq_dist(const float *__restrict planes, int64_t stride,
                   int64_t begin, int64_t m, const float *c, const float *b,
                   float *__restrict out) {
  float cc[E], bb[E];
  for (int k = 0; k < E; ++k) {
    cc[k] = c[k];
    bb[k] = b[k];
  }
  const float *p = planes + begin;
  for (int64_t i = 0; i < m; ++i) {
    float t[E];
    for (int k = 0; k < E; ++k) {
      const float d = p[k * stride + i] - cc[k];
      t[k] = (d * d) * bb[k];
    }
    out[i] = reduce_sum<E>(t);
  }
}

inline bool accept(float s, float thr) { return s < thr && !(s < 0.f); }

template <int E>
std::tuple<at::Tensor, int64_t> cluster(const float *emb, const float *bw,
                                        const float *seed_in,
                                        const float *free_bw, int64_t P,
                                        int64_t F, float thr1, float thr2,
                                        float min_seed, int64_t max_instances,
                                        int64_t label_start) {
  const int64_t D = E - F;
  const auto unsupported = std::make_tuple(at::Tensor(), int64_t(-1));
  for (int64_t k = 0; k < F; ++k) {
    if (!std::isfinite(free_bw[k]) || free_bw[k] < 0) return unsupported;
  }
  for (int64_t i = 0; i < P * D; ++i) {
    if (!std::isfinite(bw[i]) || bw[i] < 0) return unsupported;
  }
  // working set, structure of arrays: E planes, seediness, input index
  std::vector<float> planes(static_cast<size_t>(E * P));
  std::vector<float> seed(seed_in, seed_in + P);
  std::vector<int64_t> idx(P);
  for (int64_t p = 0; p < P; ++p) {
    if (!std::isfinite(seed[p])) return unsupported;
    for (int k = 0; k < E; ++k) {
      const float v = emb[p * E + k];
      if (!std::isfinite(v)) return unsupported;
      planes[k * P + p] = v;
    }
    idx[p] = p;
  }
  at::Tensor labels = at::full({P}, -1, at::kLong);
  int64_t *lab = labels.data_ptr<int64_t>();

  int64_t n = P, best = 0;
  for (int64_t i = 1; i < n; ++i) {
    if (seed[i] > seed[best]) best = i;
  }
  std::vector<float> centers, center_bws;
  std::vector<int64_t> taken;  // points taken by the last iteration
  std::vector<float> sbuf(kBlock);
  bool stopped = false;
  int64_t num_clusters = 0;
  for (int64_t it = 0; it < max_instances; ++it) {
    if (n == 0 || seed[best] < min_seed) {
      stopped = true;
      break;
    }
    const int64_t p = idx[best];
    float c[E], b[E];
    for (int k = 0; k < E; ++k) {
      c[k] = emb[p * E + k];
      b[k] = k < D ? bw[p * D + k] : free_bw[k - D];
    }
    centers.insert(centers.end(), c, c + E);
    center_bws.insert(center_bws.end(), b, b + E);
    ++num_clusters;
    const int64_t label = label_start + it;
    taken.clear();
    int64_t w = 0, next_best = -1;
    float best_seed = 0.f;
    for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
      const int64_t m = std::min(kBlock, n - b0);
      block_sq_dist<E>(planes.data(), P, b0, m, c, b, sbuf.data());
      for (int64_t j = 0; j < m; ++j) {
        const int64_t r = b0 + j;
        if (accept(sbuf[j], thr1)) {
          lab[idx[r]] = label;
          taken.push_back(idx[r]);
          continue;
        }
        if (w != r) {  // w < r: slot w was read already
          for (int k = 0; k < E; ++k) planes[k * P + w] = planes[k * P + r];
          seed[w] = seed[r];
          idx[w] = idx[r];
        }
        if (next_best < 0 || seed[w] > best_seed) {
          best_seed = seed[w];
          next_best = w;
        }
        ++w;
      }
    }
    n = w;
    best = next_best;
  }

  // secondary pass over the points unassigned at the start of the last
  // executed iteration
  const int64_t num_unassigned =
      stopped ? n : n + static_cast<int64_t>(taken.size());
  if (num_clusters == 0 || num_unassigned == 0) {
    return std::make_tuple(labels, num_clusters);
  }
  auto secondary = [&](int64_t p) {
    const float *e = emb + p * E;
    float far_d = 0.f, far_s = 0.f;
    int64_t far = 0;
    for (int64_t j = 0; j < num_clusters; ++j) {
      const float s = sq_dist<E>(e, &centers[j * E], &center_bws[j * E]);
      const float d = std::sqrt(s);
      if (std::isnan(d)) return;  // torch's max returns NaN: no update
      if (j == 0 || d > far_d) {
        far_d = d;
        far_s = s;
        far = j;
      }
    }
    if (accept(far_s, thr2)) lab[p] = label_start + far;
  };
  for (int64_t i = 0; i < n; ++i) secondary(idx[i]);
  if (!stopped) {
    for (int64_t p : taken) secondary(p);
  }
  return std::make_tuple(labels, num_clusters);
}

}  // namespace

std::tuple<at::Tensor, int64_t> stemseg_clustering_cpu(
    const at::Tensor &embeddings, const at::Tensor &bandwidths,
    const at::Tensor &seediness, const at::Tensor &free_bandwidths,
    double primary_sq_thr, double secondary_sq_thr, double min_seediness,
    int64_t max_instances, int64_t label_start) {
  for (const at::Tensor *t :
       {&embeddings, &bandwidths, &seediness, &free_bandwidths}) {
    TORCH_CHECK(t->device().is_cpu() && t->scalar_type() == at::kFloat,
                "stemseg_clustering: inputs must be float32 CPU tensors, "
                "got ", t->scalar_type(), " on ", t->device());
  }
  TORCH_CHECK(embeddings.dim() == 2, "stemseg_clustering: embeddings must be "
              "(P, E), got ", embeddings.sizes());
  const int64_t P = embeddings.size(0), E = embeddings.size(1);
  const int64_t F = free_bandwidths.numel();
  TORCH_CHECK(E >= 1 && E <= kMaxDims, "stemseg_clustering: the kernel "
              "supports 1 to ", kMaxDims, " embedding dims, got ", E,
              " (use the PyTorch path)");
  TORCH_CHECK(F <= E && bandwidths.dim() == 2 && bandwidths.size(0) == P &&
                  bandwidths.size(1) == E - F,
              "stemseg_clustering: bandwidths must be (P, E - F) = (", P,
              ", ", E - F, "), got ", bandwidths.sizes());
  TORCH_CHECK(seediness.numel() == P, "stemseg_clustering: seediness must "
              "hold ", P, " values, got ", seediness.sizes());
  TORCH_CHECK(max_instances >= 0, "stemseg_clustering: max_instances must "
              "be >= 0, got ", max_instances);
  const at::Tensor emb = embeddings.contiguous();
  const at::Tensor bw = bandwidths.contiguous();
  const at::Tensor seed = seediness.contiguous();
  const at::Tensor free_bw = free_bandwidths.contiguous();
  const float thr1 = static_cast<float>(primary_sq_thr);
  const float thr2 = static_cast<float>(secondary_sq_thr);
  const float min_seed = static_cast<float>(min_seediness);
#define MMVIDSEG_CLUSTER_CASE(DIMS)                                         \
  case DIMS:                                                                \
    return cluster<DIMS>(emb.data_ptr<float>(), bw.data_ptr<float>(),      \
                         seed.data_ptr<float>(), free_bw.data_ptr<float>(), \
                         P, F, thr1, thr2, min_seed, max_instances,         \
                         label_start);
  switch (E) {
    MMVIDSEG_CLUSTER_CASE(1)
    MMVIDSEG_CLUSTER_CASE(2)
    MMVIDSEG_CLUSTER_CASE(3)
    MMVIDSEG_CLUSTER_CASE(4)
    MMVIDSEG_CLUSTER_CASE(5)
    default:
      break;
  }
#undef MMVIDSEG_CLUSTER_CASE
  TORCH_CHECK(false, "stemseg_clustering: unsupported embedding dims ", E);
}

}  // namespace mmvidseg
