// Copyright (c) mmvidseg contributors. All rights reserved.
// CPU kernels of RoIAlign with average pooling (forward and backward).
//
// Arithmetic is that of mmcv 2.1's CPU kernel (roi_align.cpp, itself from
// Detectron2 / Caffe2), operation for operation, so results are bitwise
// equal to mmcv's in float32 and float64:
//   * sample k (0-based) of the s samples along a bin side of a RoI that
//     starts at `start` with bins of `bin` pixels sits at
//     start + p * bin + (k + .5) * bin / s,
//   * a sample outside [-1, H] x [-1, W] contributes nothing; otherwise its
//     coordinates are clamped to [0, H - 1] x [0, W - 1] and it is
//     interpolated bilinearly with corner weights (hy * hx, hy * lx,
//     ly * hx, ly * lx),
//   * a bin averages its samples in row-major sample order; the backward
//     pass adds grad * w / count to the four corners in the same order,
//   * spatial_scale goes through float (mmcv's binding takes a float), and
//     the adaptive grid is ceilf(roi_size / out_size) computed in float.
//
// Layout and parallelism (both passes): the bilinear set-up is separable,
// so each RoI gets a table of its out_h * grid_h sample rows and its
// out_w * grid_w sample columns, built once and shared by all channels.
// Work is split into (image, block of 16 float / 8 double channels) tasks,
// handed to threads dynamically: a task copies its planes channel-last
// into a per-thread buffer that stays in cache (one 64-byte line per
// pixel), then walks the RoIs of its image in their order in `rois` with
// the channel loop innermost (SIMD over channels, same operations per lane
// as mmcv's scalar code). In backward a task accumulates into its own
// buffer and copies it back to its planes of grad_input, so there are no
// write races and the accumulation order per element is mmcv's (RoI, bin,
// sample, corner).
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <vector>

#include "roi_align.h"

namespace mmvidseg {
namespace {

// One sample coordinate along one axis (a row or a column).
template <typename T>
struct AxisSample {
  int64_t low;   // offset of the low neighbour (row * width, or column)
  int64_t step;  // offset from the low to the high neighbour (0 if clamped)
  T l;           // fractional part
  T h;           // 1 - l
  bool valid;    // inside [-1, size]
};

// mmcv's bilinear set-up restricted to one axis.
template <typename T>
AxisSample<T> axis_sample(T v, int64_t size, int64_t stride) {
  AxisSample<T> a{0, 0, T(0), T(0), false};
  if (v < -1.0 || v > size) return a;
  if (v <= 0) v = 0;
  int low = static_cast<int>(v);
  int high;
  if (low >= size - 1) {
    high = low = static_cast<int>(size - 1);
    v = static_cast<T>(low);
  } else {
    high = low + 1;
  }
  a.l = v - low;
  a.h = 1. - a.l;
  a.low = low * stride;
  a.step = (high - low) * stride;
  a.valid = true;
  return a;
}

template <typename T>
struct RoiPlan {
  int64_t batch;
  int64_t grid_h, grid_w;  // samples per bin side
  int64_t rows, cols;      // first entries in the row / column tables
};

struct Geometry {
  int64_t num_images, channels, height, width, out_h, out_w;
};

// Per-RoI sample tables plus the RoIs of every image, in input order.
template <typename T>
struct Plan {
  std::vector<RoiPlan<T>> rois;
  std::vector<AxisSample<T>> rows, cols;
  std::vector<std::vector<int64_t>> per_image;
};

template <typename T>
Plan<T> make_plan(const T *rois, int64_t num_rois, const Geometry &g,
                  double spatial_scale_d, int64_t sampling_ratio,
                  bool aligned) {
  // mmcv's binding takes spatial_scale as a C++ float
  const T spatial_scale =
      static_cast<T>(static_cast<float>(spatial_scale_d));
  Plan<T> plan;
  plan.rois.resize(num_rois);
  plan.per_image.resize(g.num_images);
  for (int64_t n = 0; n < num_rois; ++n) {
    const T *r = rois + n * 5;
    TORCH_CHECK(std::isfinite(static_cast<double>(r[0])) &&
                    std::isfinite(static_cast<double>(r[1])) &&
                    std::isfinite(static_cast<double>(r[2])) &&
                    std::isfinite(static_cast<double>(r[3])) &&
                    std::isfinite(static_cast<double>(r[4])),
                "roi_align: rois[", n, "] = (", r[0], ", ", r[1], ", ", r[2],
                ", ", r[3], ", ", r[4], ") is not finite");
    const int batch = static_cast<int>(r[0]);
    TORCH_CHECK(batch >= 0 && batch < g.num_images, "roi_align: rois[", n,
                ", 0] = ", r[0], " is not an image index of input with ",
                g.num_images, " images");
    const T offset = aligned ? T(0.5) : T(0.0);
    const T start_w = r[1] * spatial_scale - offset;
    const T start_h = r[2] * spatial_scale - offset;
    const T end_w = r[3] * spatial_scale - offset;
    const T end_h = r[4] * spatial_scale - offset;
    T roi_w = end_w - start_w;
    T roi_h = end_h - start_h;
    if (aligned) {
      TORCH_CHECK(roi_w >= 0 && roi_h >= 0, "roi_align: rois[", n,
                  "] = (x1=", r[1], ", y1=", r[2], ", x2=", r[3], ", y2=",
                  r[4], ") has a negative size; RoIs must have x2 >= x1 and "
                  "y2 >= y1 when aligned=True");
    } else {  // mmcv's legacy mode forces malformed RoIs to 1 x 1
      roi_w = std::max(roi_w, T(1.));
      roi_h = std::max(roi_h, T(1.));
    }
    const T bin_h = roi_h / static_cast<T>(g.out_h);
    const T bin_w = roi_w / static_cast<T>(g.out_w);
    RoiPlan<T> &p = plan.rois[n];
    p.batch = batch;
    p.grid_h = sampling_ratio > 0
                   ? sampling_ratio
                   : static_cast<int>(std::ceil(static_cast<float>(
                         roi_h / static_cast<T>(g.out_h))));
    p.grid_w = sampling_ratio > 0
                   ? sampling_ratio
                   : static_cast<int>(std::ceil(static_cast<float>(
                         roi_w / static_cast<T>(g.out_w))));
    p.rows = static_cast<int64_t>(plan.rows.size());
    p.cols = static_cast<int64_t>(plan.cols.size());
    for (int64_t ph = 0; ph < g.out_h; ++ph) {
      for (int64_t iy = 0; iy < p.grid_h; ++iy) {
        const T y = start_h + static_cast<int>(ph) * bin_h +
                    static_cast<T>(iy + .5f) * bin_h /
                        static_cast<T>(p.grid_h);
        plan.rows.push_back(axis_sample<T>(y, g.height, g.width));
      }
    }
    for (int64_t pw = 0; pw < g.out_w; ++pw) {
      for (int64_t ix = 0; ix < p.grid_w; ++ix) {
        const T x = start_w + static_cast<int>(pw) * bin_w +
                    static_cast<T>(ix + .5f) * bin_w /
                        static_cast<T>(p.grid_w);
        plan.cols.push_back(axis_sample<T>(x, g.width, 1));
      }
    }
    plan.per_image[batch].push_back(n);
  }
  return plan;
}

// Lanes of a channel block: one 64-byte cache line per pixel.
template <typename T>
constexpr int64_t kBlock = 64 / sizeof(T);

// Runs fn(b, c0, buffer) for every (image b, channel block c0) task.
// Threads take tasks t = block * num_images + b one at a time from a shared
// counter, which balances images with different numbers of RoIs and cores
// shared with other processes. `buffer` holds H * W * kBlock values and is
// reused by the tasks of one thread.
template <typename T, typename Fn>
void for_each_block(const Plan<T> &plan, const Geometry &g, Fn fn) {
  const int64_t num_rois = static_cast<int64_t>(plan.rois.size());
  const int64_t num_tasks =
      (g.channels + kBlock<T> - 1) / kBlock<T> * g.num_images;
  // samples of all RoIs (rows * cols per RoI, roughly) plus the copies
  const int64_t samples = static_cast<int64_t>(plan.rows.size()) *
                          static_cast<int64_t>(plan.cols.size()) /
                          std::max<int64_t>(1, num_rois);
  const int64_t work = kBlock<T> * (samples + num_tasks * g.height * g.width);
  const int64_t workers = std::max<int64_t>(
      1, std::min<int64_t>({static_cast<int64_t>(at::get_num_threads()),
                            num_tasks, work / 65536}));
  std::atomic<int64_t> next{0};
  at::parallel_for(0, workers, 1, [&](int64_t, int64_t) {
    std::vector<T> buffer(g.height * g.width * kBlock<T>);
    for (int64_t t = next++; t < num_tasks; t = next++) {
      fn(t % g.num_images, t / g.num_images * kBlock<T>, buffer.data());
    }
  });
}

// Channel-last copy of `lanes` planes of H * W values; lanes up to kBlock
// are zero.
template <typename T>
void planes_to_block(const T *src, int64_t lanes, int64_t hw, T *buf) {
  constexpr int64_t kb = kBlock<T>;
  constexpr int64_t kTile = 16;
  for (int64_t p0 = 0; p0 < hw; p0 += kTile) {
    const int64_t p1 = std::min(hw, p0 + kTile);
    for (int64_t k = 0; k < kb; ++k) {
      if (k < lanes) {
        const T *s = src + k * hw;
        for (int64_t p = p0; p < p1; ++p) buf[p * kb + k] = s[p];
      } else {
        for (int64_t p = p0; p < p1; ++p) buf[p * kb + k] = T(0);
      }
    }
  }
}

template <typename T>
void block_to_planes(const T *buf, int64_t lanes, int64_t hw, T *dst) {
  constexpr int64_t kb = kBlock<T>;
  constexpr int64_t kTile = 16;
  for (int64_t p0 = 0; p0 < hw; p0 += kTile) {
    const int64_t p1 = std::min(hw, p0 + kTile);
    for (int64_t k = 0; k < lanes; ++k) {
      T *d = dst + k * hw;
      for (int64_t p = p0; p < p1; ++p) d[p] = buf[p * kb + k];
    }
  }
}

// Output of the RoIs `roi_inds` for channels c0 .. c0 + lanes - 1 from the
// channel-last block `buf` (H * W pixels of kBlock lanes).
template <typename T>
void forward_block(const T *buf, const Plan<T> &plan,
                   const std::vector<int64_t> &roi_inds, const Geometry &g,
                   int64_t c0, int64_t lanes, T *out) {
  constexpr int64_t kb = kBlock<T>;
  const int64_t bins = g.out_h * g.out_w;
  for (const int64_t n : roi_inds) {
    const RoiPlan<T> &p = plan.rois[n];
    const T count = std::max<int64_t>(p.grid_h * p.grid_w, 1);
    T *o = out + (n * g.channels + c0) * bins;
    for (int64_t ph = 0; ph < g.out_h; ++ph) {
      const AxisSample<T> *ys = plan.rows.data() + p.rows + ph * p.grid_h;
      for (int64_t pw = 0; pw < g.out_w; ++pw) {
        const AxisSample<T> *xs = plan.cols.data() + p.cols + pw * p.grid_w;
        T acc[kb];
        for (int64_t k = 0; k < kb; ++k) acc[k] = T(0.);
        for (int64_t iy = 0; iy < p.grid_h; ++iy) {
          const AxisSample<T> &y = ys[iy];
          if (!y.valid) continue;
          for (int64_t ix = 0; ix < p.grid_w; ++ix) {
            const AxisSample<T> &x = xs[ix];
            if (!x.valid) continue;
            const T w1 = y.h * x.h, w2 = y.h * x.l, w3 = y.l * x.h,
                    w4 = y.l * x.l;
            const T *v1 = buf + (y.low + x.low) * kb;
            const T *v2 = v1 + x.step * kb;
            const T *v3 = v1 + y.step * kb;
            const T *v4 = v3 + x.step * kb;
#pragma omp simd
            for (int64_t k = 0; k < kb; ++k) {
              acc[k] += w1 * v1[k] + w2 * v2[k] + w3 * v3[k] + w4 * v4[k];
            }
          }
        }
        const int64_t bin = ph * g.out_w + pw;
        for (int64_t k = 0; k < lanes; ++k) o[k * bins + bin] = acc[k] / count;
      }
    }
  }
}

// kPow2: the sample count of the RoI is a power of two, so dividing by it
// equals multiplying by its (exact) reciprocal, bit for bit.
template <typename T, bool kPow2>
void backward_roi(const T *go, const RoiPlan<T> &p, const Plan<T> &plan,
                  const Geometry &g, int64_t lanes, T *buf) {
  constexpr int64_t kb = kBlock<T>;
  const int64_t bins = g.out_h * g.out_w;
  const T count = p.grid_h * p.grid_w;
  const T inv = T(1) / count;
  for (int64_t ph = 0; ph < g.out_h; ++ph) {
    const AxisSample<T> *ys = plan.rows.data() + p.rows + ph * p.grid_h;
    for (int64_t pw = 0; pw < g.out_w; ++pw) {
      const AxisSample<T> *xs = plan.cols.data() + p.cols + pw * p.grid_w;
      const int64_t bin = ph * g.out_w + pw;
      T grad[kb];
      for (int64_t k = 0; k < kb; ++k) {
        grad[k] = k < lanes ? go[k * bins + bin] : T(0);
      }
      for (int64_t iy = 0; iy < p.grid_h; ++iy) {
        const AxisSample<T> &y = ys[iy];
        if (!y.valid) continue;
        for (int64_t ix = 0; ix < p.grid_w; ++ix) {
          const AxisSample<T> &x = xs[ix];
          if (!x.valid) continue;
          const T w[4] = {y.h * x.h, y.h * x.l, y.l * x.h, y.l * x.l};
          T *v1 = buf + (y.low + x.low) * kb;
          T *v3 = v1 + y.step * kb;
          T *const corners[4] = {v1, v1 + x.step * kb, v3, v3 + x.step * kb};
          // corner by corner, as mmcv (clamped corners coincide)
          for (int j = 0; j < 4; ++j) {
            T *v = corners[j];
            const T wj = w[j];
            if (kPow2) {
#pragma omp simd
              for (int64_t k = 0; k < kb; ++k) v[k] += grad[k] * wj * inv;
            } else {
#pragma omp simd
              for (int64_t k = 0; k < kb; ++k) v[k] += grad[k] * wj / count;
            }
          }
        }
      }
    }
  }
}

template <typename T>
void backward_block(const T *grad_out, const Plan<T> &plan,
                    const std::vector<int64_t> &roi_inds, const Geometry &g,
                    int64_t c0, int64_t lanes, T *buf) {
  std::fill(buf, buf + g.height * g.width * kBlock<T>, T(0));
  const int64_t bins = g.out_h * g.out_w;
  for (const int64_t n : roi_inds) {
    const RoiPlan<T> &p = plan.rois[n];
    const int64_t count = p.grid_h * p.grid_w;
    const T *go = grad_out + (n * g.channels + c0) * bins;
    if ((count & (count - 1)) == 0) {
      backward_roi<T, true>(go, p, plan, g, lanes, buf);
    } else {
      backward_roi<T, false>(go, p, plan, g, lanes, buf);
    }
  }
}

void check_args(const at::Tensor &rois, const at::Tensor &data,
                int64_t out_h, int64_t out_w, int64_t sampling_ratio) {
  TORCH_CHECK(data.device().is_cpu() && rois.device().is_cpu(),
              "roi_align CPU kernel: tensors must be on the CPU");
  TORCH_CHECK(data.scalar_type() == at::kFloat ||
                  data.scalar_type() == at::kDouble,
              "roi_align CPU kernel: float32 or float64 features expected, "
              "got ", data.scalar_type());
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5,
              "roi_align: rois must be (num_rois, 5) rows (batch_index, x1, "
              "y1, x2, y2), got ", rois.sizes());
  TORCH_CHECK(rois.scalar_type() == data.scalar_type(),
              "roi_align: rois dtype ", rois.scalar_type(),
              " differs from the features' ", data.scalar_type());
  TORCH_CHECK(out_h > 0 && out_w > 0, "roi_align: output size must be "
              "positive, got (", out_h, ", ", out_w, ")");
  TORCH_CHECK(sampling_ratio >= 0, "roi_align: sampling_ratio must be >= 0 "
              "(0 = adaptive), got ", sampling_ratio);
}

}  // namespace

at::Tensor roi_align_cpu_forward(const at::Tensor &input,
                                 const at::Tensor &rois, int64_t out_h,
                                 int64_t out_w, double spatial_scale,
                                 int64_t sampling_ratio, bool aligned) {
  check_args(rois, input, out_h, out_w, sampling_ratio);
  TORCH_CHECK(input.dim() == 4, "roi_align: input must be (N, C, H, W), "
              "got ", input.sizes());
  const at::Tensor x = input.contiguous();
  const at::Tensor r = rois.contiguous();
  const Geometry g{x.size(0), x.size(1), x.size(2), x.size(3), out_h, out_w};
  at::Tensor out = at::empty({r.size(0), g.channels, out_h, out_w},
                             x.options());
  if (out.numel() == 0) return out;
  TORCH_CHECK(g.height > 0 && g.width > 0, "roi_align: input has an empty "
              "feature map ", x.sizes());
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "roi_align_cpu_forward", [&] {
    const Plan<scalar_t> plan =
        make_plan<scalar_t>(r.data_ptr<scalar_t>(), r.size(0), g,
                            spatial_scale, sampling_ratio, aligned);
    const scalar_t *in = x.data_ptr<scalar_t>();
    scalar_t *o = out.data_ptr<scalar_t>();
    const int64_t hw = g.height * g.width;
    for_each_block(plan, g, [&](int64_t b, int64_t c0, scalar_t *buf) {
      const std::vector<int64_t> &inds = plan.per_image[b];
      if (inds.empty()) return;
      const int64_t lanes = std::min(kBlock<scalar_t>, g.channels - c0);
      planes_to_block(in + (b * g.channels + c0) * hw, lanes, hw, buf);
      forward_block<scalar_t>(buf, plan, inds, g, c0, lanes, o);
    });
  });
  return out;
}

at::Tensor roi_align_cpu_backward(const at::Tensor &grad_output,
                                  const at::Tensor &rois, int64_t num_images,
                                  int64_t channels, int64_t height,
                                  int64_t width, double spatial_scale,
                                  int64_t sampling_ratio, bool aligned) {
  TORCH_CHECK(grad_output.dim() == 4 && grad_output.size(0) == rois.size(0) &&
                  grad_output.size(1) == channels,
              "roi_align backward: grad_output must be (num_rois=",
              rois.size(0), ", channels=", channels, ", out_h, out_w), got ",
              grad_output.sizes());
  check_args(rois, grad_output, grad_output.size(2), grad_output.size(3),
             sampling_ratio);
  const at::Tensor go = grad_output.contiguous();
  const at::Tensor r = rois.contiguous();
  const Geometry g{num_images, channels, height, width, go.size(2),
                   go.size(3)};
  at::Tensor grad_input =
      at::empty({num_images, channels, height, width}, go.options());
  if (r.size(0) == 0 || grad_input.numel() == 0) return grad_input.zero_();
  AT_DISPATCH_FLOATING_TYPES(go.scalar_type(), "roi_align_cpu_backward", [&] {
    const Plan<scalar_t> plan =
        make_plan<scalar_t>(r.data_ptr<scalar_t>(), r.size(0), g,
                            spatial_scale, sampling_ratio, aligned);
    const scalar_t *gop = go.data_ptr<scalar_t>();
    scalar_t *gi = grad_input.data_ptr<scalar_t>();
    const int64_t hw = height * width;
    for_each_block(plan, g, [&](int64_t b, int64_t c0, scalar_t *buf) {
      const std::vector<int64_t> &inds = plan.per_image[b];
      const int64_t lanes = std::min(kBlock<scalar_t>, g.channels - c0);
      scalar_t *dst = gi + (b * g.channels + c0) * hw;
      if (inds.empty()) {
        std::fill(dst, dst + lanes * hw, scalar_t(0));
        return;
      }
      backward_block<scalar_t>(gop, plan, inds, g, c0, lanes, buf);
      block_to_planes(buf, lanes, hw, dst);
    });
  });
  return grad_input;
}

}  // namespace mmvidseg
