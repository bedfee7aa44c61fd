// Copyright (c) mmvidseg contributors. All rights reserved.
// CPU kernel of STQ's per-frame statistics (see ../stq_statistics.h).
//
// Two passes over the pixels, no sorting: pass 1 fills the raw (256 x 256)
// semantic confusion histogram and dense histograms of the GT and
// predicted thing-tube keys (slot << 16 | instance); the non-empty keys are
// then numbered in ascending order, and pass 2 counts the (GT tube,
// predicted tube) pairs in a dense matrix. Counts are exact int64, so the
// results equal the numpy path of mmvidseg/evaluation/functional/stq.py
// (np.unique of the same keys) exactly.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "stq_statistics.h"

namespace mmvidseg {
namespace {

constexpr int64_t kInstBits = 16;
constexpr int64_t kMaxSlots = 15;

// Non-empty bins of a histogram (ascending) and their compact numbers.
void number_bins(const std::vector<int32_t> &hist, std::vector<int64_t> &keys,
                 std::vector<int64_t> &counts, int32_t *index) {
  for (int64_t k = 0; k < static_cast<int64_t>(hist.size()); ++k) {
    if (hist[k] > 0) {
      index[k] = static_cast<int32_t>(keys.size());
      keys.push_back(k);
      counts.push_back(hist[k]);
    }
  }
}

at::Tensor to_tensor(const std::vector<int64_t> &v) {
  at::Tensor t = at::empty({static_cast<int64_t>(v.size())}, at::kLong);
  std::copy(v.begin(), v.end(), t.data_ptr<int64_t>());
  return t;
}

// Pixel accessors: separate uint8 semantic + instance maps, or int64
// panoptic labels (semantic << 16) + instance.
template <typename I>
struct Parts {
  const uint8_t *sem;
  const I *inst;
  int64_t semantic(int64_t i) const { return sem[i]; }
  int64_t instance(int64_t i) const { return static_cast<int64_t>(inst[i]); }
};

struct Panoptic {
  const int64_t *label;
  int64_t semantic(int64_t i) const { return label[i] >> kInstBits; }
  int64_t instance(int64_t i) const {
    return label[i] & ((int64_t(1) << kInstBits) - 1);
  }
};

template <typename A>
std::vector<at::Tensor> statistics(const A &gt, const A &pred, int64_t n,
                                   const int32_t *slot) {
  int64_t max_slot = 0;
  for (int k = 0; k < 256; ++k) max_slot = std::max<int64_t>(max_slot, slot[k]);
  const int64_t num_bins = (max_slot + 1) << kInstBits;
  // no ATen parallel region anywhere (at::zeros would fill in parallel):
  // the offline evaluator calls this in forked worker processes, where
  // entering an OpenMP pool inherited from the parent can hang
  // int32 histograms (a frame has < 2**31 pixels) keep them in cache
  std::vector<int32_t> cm(256 * 256, 0);
  std::vector<int32_t> gt_hist(num_bins, 0), pred_hist(num_bins, 0);
  const int64_t mask = (int64_t(1) << kInstBits) - 1;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t sem_t = gt.semantic(i), sem_p = pred.semantic(i);
    ++cm[(sem_t << 8) | sem_p];
    const int64_t gs = slot[sem_t], ps = slot[sem_p];
    const int64_t gi = gt.instance(i) & mask;
    if (gs && gi == 0) continue;  // crowd: removed from GT and prediction
    if (gs) ++gt_hist[(gs << kInstBits) | gi];
    if (ps) ++pred_hist[(ps << kInstBits) | (pred.instance(i) & mask)];
  }
  std::vector<int64_t> gt_keys, gt_counts, pred_keys, pred_counts;
  std::unique_ptr<int32_t[]> gt_index(new int32_t[num_bins]);
  std::unique_ptr<int32_t[]> pred_index(new int32_t[num_bins]);
  number_bins(gt_hist, gt_keys, gt_counts, gt_index.get());
  number_bins(pred_hist, pred_keys, pred_counts, pred_index.get());
  const int64_t num_gt = gt_keys.size(), num_pred = pred_keys.size();
  // pair number of every pixel of a GT tube and a predicted tube
  auto for_each_pair = [&](auto &&fn) {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t gs = slot[gt.semantic(i)], ps = slot[pred.semantic(i)];
      const int64_t gi = gt.instance(i) & mask;
      if (!gs || !ps || gi == 0) continue;
      const int64_t pi = pred.instance(i) & mask;
      fn(int64_t(gt_index[(gs << kInstBits) | gi]) * num_pred +
         pred_index[(ps << kInstBits) | pi]);
    }
  };
  std::vector<int64_t> pair_gt, pair_pred, pair_counts;
  auto add_pair = [&](int64_t pair, int64_t count) {
    pair_gt.push_back(pair / num_pred);
    pair_pred.push_back(pair % num_pred);
    pair_counts.push_back(count);
  };
  if (num_gt * num_pred <= (int64_t(1) << 22)) {  // dense matrix
    std::vector<int64_t> pairs(num_gt * num_pred, 0);
    for_each_pair([&](int64_t pair) { ++pairs[pair]; });
    for (int64_t k = 0; k < num_gt * num_pred; ++k) {
      if (pairs[k] > 0) add_pair(k, pairs[k]);
    }
  } else {  // many tubes: sort the pixels' pair numbers
    std::vector<int64_t> pairs;
    for_each_pair([&](int64_t pair) { pairs.push_back(pair); });
    std::sort(pairs.begin(), pairs.end());
    for (size_t k = 0; k < pairs.size();) {
      size_t end = k;
      while (end < pairs.size() && pairs[end] == pairs[k]) ++end;
      add_pair(pairs[k], static_cast<int64_t>(end - k));
      k = end;
    }
  }
  at::Tensor raw = at::empty({256, 256}, at::kLong);
  std::copy(cm.begin(), cm.end(), raw.data_ptr<int64_t>());
  return {raw,
          to_tensor(gt_keys),
          to_tensor(gt_counts),
          to_tensor(pred_keys),
          to_tensor(pred_counts),
          to_tensor(pair_gt),
          to_tensor(pair_pred),
          to_tensor(pair_counts)};
}

}  // namespace

std::vector<at::Tensor> stq_frame_statistics_cpu(
    const at::Tensor &sem_true, const at::Tensor &inst_true,
    const at::Tensor &sem_pred, const at::Tensor &inst_pred,
    const at::Tensor &thing_slot) {
  const int64_t n = sem_true.numel();
  TORCH_CHECK(sem_true.scalar_type() == at::kByte &&
                  sem_pred.scalar_type() == at::kByte,
              "stq_frame_statistics: semantic maps must be uint8");
  TORCH_CHECK(inst_true.scalar_type() == inst_pred.scalar_type() &&
                  (inst_true.scalar_type() == at::kInt ||
                   inst_true.scalar_type() == at::kUInt16),
              "stq_frame_statistics: instance maps must both be int32 or "
              "uint16");
  TORCH_CHECK(n < (int64_t(1) << 31), "stq_frame_statistics: at most "
              "2**31 - 1 pixels per frame");
  TORCH_CHECK(sem_pred.numel() == n && inst_true.numel() == n &&
                  inst_pred.numel() == n,
              "stq_frame_statistics: the four maps must have the same "
              "number of pixels");
  TORCH_CHECK(thing_slot.scalar_type() == at::kInt && thing_slot.numel() == 256,
              "stq_frame_statistics: thing_slot must be (256,) int32");
  for (const at::Tensor *t :
       {&sem_true, &inst_true, &sem_pred, &inst_pred, &thing_slot}) {
    TORCH_CHECK(t->device().is_cpu(), "stq_frame_statistics: CPU tensors");
  }
  TORCH_CHECK(thing_slot.is_contiguous(), "stq_frame_statistics: "
              "thing_slot must be contiguous");
  const int32_t *s = thing_slot.data_ptr<int32_t>();
  for (int k = 0; k < 256; ++k) {
    TORCH_CHECK(s[k] >= 0 && s[k] <= kMaxSlots, "stq_frame_statistics: "
                "thing slots must be in [0, ", kMaxSlots, "]");
  }
  for (const at::Tensor *t : {&sem_true, &inst_true, &sem_pred, &inst_pred}) {
    TORCH_CHECK(t->is_contiguous(), "stq_frame_statistics: the maps must "
                "be contiguous (no copy here: see the note on forks)");
  }
  const at::Tensor &st = sem_true, &sp = sem_pred;
  const at::Tensor &it = inst_true, &ip = inst_pred;
  if (it.scalar_type() == at::kInt) {
    const int32_t *a = it.data_ptr<int32_t>(), *b = ip.data_ptr<int32_t>();
    for (int64_t i = 0; i < n; ++i) {
      TORCH_CHECK(a[i] >= 0 && a[i] < (1 << kInstBits) && b[i] >= 0 &&
                      b[i] < (1 << kInstBits),
                  "stq_frame_statistics: instance ids must be in [0, 65536)");
    }
    return statistics(Parts<int32_t>{st.data_ptr<uint8_t>(), a},
                      Parts<int32_t>{sp.data_ptr<uint8_t>(), b}, n, s);
  }
  return statistics(
      Parts<uint16_t>{st.data_ptr<uint8_t>(),
                      reinterpret_cast<const uint16_t *>(it.data_ptr())},
      Parts<uint16_t>{sp.data_ptr<uint8_t>(),
                      reinterpret_cast<const uint16_t *>(ip.data_ptr())},
      n, s);
}

std::vector<at::Tensor> stq_panoptic_statistics_cpu(
    const at::Tensor &y_true, const at::Tensor &y_pred,
    const at::Tensor &thing_slot) {
  const int64_t n = y_true.numel();
  TORCH_CHECK(y_true.scalar_type() == at::kLong &&
                  y_pred.scalar_type() == at::kLong && y_pred.numel() == n &&
                  y_true.device().is_cpu() && y_pred.device().is_cpu() &&
                  y_true.is_contiguous() && y_pred.is_contiguous(),
              "stq_panoptic_statistics: labels must be contiguous int64 CPU "
              "tensors of the same size");
  TORCH_CHECK(n < (int64_t(1) << 31), "stq_panoptic_statistics: at most "
              "2**31 - 1 pixels per frame");
  TORCH_CHECK(thing_slot.scalar_type() == at::kInt &&
                  thing_slot.numel() == 256 && thing_slot.is_contiguous(),
              "stq_panoptic_statistics: thing_slot must be (256,) int32");
  const int32_t *s = thing_slot.data_ptr<int32_t>();
  for (int k = 0; k < 256; ++k) {
    TORCH_CHECK(s[k] >= 0 && s[k] <= kMaxSlots, "stq_panoptic_statistics: "
                "thing slots must be in [0, ", kMaxSlots, "]");
  }
  const int64_t *a = y_true.data_ptr<int64_t>(), *b = y_pred.data_ptr<int64_t>();
  const int64_t limit = int64_t(256) << kInstBits;
  for (int64_t i = 0; i < n; ++i) {
    // other encodings: the caller falls back to its general path
    if (a[i] < 0 || a[i] >= limit || b[i] < 0 || b[i] >= limit) return {};
  }
  return statistics(Panoptic{a}, Panoptic{b}, n, s);
}

}  // namespace mmvidseg
