// Copyright (c) mmvidseg contributors. All rights reserved.
// CPU kernels of multi-scale deformable attention (forward and backward).
//
// Sampling convention (identical to mmcv's CUDA kernel and to
// `F.grid_sample(mode='bilinear', padding_mode='zeros', align_corners=False)`
// in mmcv's `multi_scale_deformable_attn_pytorch`): a normalised location
// (x, y) in a level of size (h, w) is the pixel coordinate
// (x * w - 0.5, y * h - 0.5); the four neighbouring pixels are interpolated
// bilinearly and pixels outside the map count as zeros. A point whose pixel
// coordinate is not inside (-1, h) x (-1, w) contributes nothing and gets no
// gradient (as in mmcv's CUDA kernel).
//
// Parallelism:
//   forward   over bs x num_queries x num_heads (each item owns its output).
//   backward  over bs x num_heads (x query chunks): grad_value[b, :, h] is
//             only written by the task that owns (b, h), so there are no
//             write races; when bs * num_heads is smaller than the number of
//             threads, queries are split into chunks that accumulate into
//             private copies of grad_value, summed at the end.
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "ms_deform_attn.h"

namespace mmvidseg {
namespace {

struct Level {
  int64_t h;
  int64_t w;
  int64_t start;  // first key of the level in `value`
};

// The (up to) four pixels that a sampling point interpolates.
template <typename scalar_t>
struct Bilinear {
  int64_t key[4];    // key offset inside the level, -1 when outside the map
  scalar_t wt[4];    // interpolation weights of the four corners
  scalar_t lh, lw;   // fractional parts of the pixel coordinates
};

// Fills `s` and returns true when the point touches the map.
// Corner order: (h_low, w_low), (h_low, w_high), (h_high, w_low),
// (h_high, w_high).
template <typename scalar_t>
inline bool bilinear_corners(scalar_t loc_x, scalar_t loc_y, const Level &lv,
                             Bilinear<scalar_t> &s) {
  const scalar_t h_im = loc_y * static_cast<scalar_t>(lv.h) - scalar_t(0.5);
  const scalar_t w_im = loc_x * static_cast<scalar_t>(lv.w) - scalar_t(0.5);
  // Written so that NaN locations are rejected too.
  if (!(h_im > scalar_t(-1) && w_im > scalar_t(-1) &&
        h_im < static_cast<scalar_t>(lv.h) &&
        w_im < static_cast<scalar_t>(lv.w))) {
    return false;
  }
  const int64_t h_low = static_cast<int64_t>(std::floor(h_im));
  const int64_t w_low = static_cast<int64_t>(std::floor(w_im));
  const int64_t h_high = h_low + 1;
  const int64_t w_high = w_low + 1;
  s.lh = h_im - static_cast<scalar_t>(h_low);
  s.lw = w_im - static_cast<scalar_t>(w_low);
  const scalar_t hh = scalar_t(1) - s.lh;
  const scalar_t hw = scalar_t(1) - s.lw;
  const bool h_low_in = h_low >= 0;
  const bool h_high_in = h_high <= lv.h - 1;
  const bool w_low_in = w_low >= 0;
  const bool w_high_in = w_high <= lv.w - 1;
  s.key[0] = (h_low_in && w_low_in) ? h_low * lv.w + w_low : -1;
  s.key[1] = (h_low_in && w_high_in) ? h_low * lv.w + w_high : -1;
  s.key[2] = (h_high_in && w_low_in) ? h_high * lv.w + w_low : -1;
  s.key[3] = (h_high_in && w_high_in) ? h_high * lv.w + w_high : -1;
  s.wt[0] = hh * hw;
  s.wt[1] = hh * s.lw;
  s.wt[2] = s.lh * hw;
  s.wt[3] = s.lh * s.lw;
  return true;
}

struct Sizes {
  int64_t bs, num_keys, num_heads, head_dims, num_queries, num_levels,
      num_points;
};

template <typename scalar_t>
void forward_kernel(const scalar_t *value, const scalar_t *loc,
                    const scalar_t *attn, const std::vector<Level> &levels,
                    const Sizes &n, scalar_t *out) {
  const int64_t key_stride = n.num_heads * n.head_dims;
  const int64_t per_item = n.num_levels * n.num_points;
  // about 16k multiply-adds per thread at least
  const int64_t work = std::max<int64_t>(1, per_item * n.head_dims);
  const int64_t grain = std::max<int64_t>(1, 16384 / work);
  at::parallel_for(
      0, n.bs * n.num_queries * n.num_heads, grain,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          // i == (b * num_queries + q) * num_heads + h
          const int64_t h = i % n.num_heads;
          const int64_t b = i / (n.num_queries * n.num_heads);
          const scalar_t *v_bh = value + (b * n.num_keys * n.num_heads + h) *
                                             n.head_dims;
          const scalar_t *loc_i = loc + i * per_item * 2;
          const scalar_t *attn_i = attn + i * per_item;
          scalar_t *o = out + i * n.head_dims;
          std::fill(o, o + n.head_dims, scalar_t(0));
          Bilinear<scalar_t> s;
          for (int64_t l = 0; l < n.num_levels; ++l) {
            const Level &lv = levels[l];
            for (int64_t p = 0; p < n.num_points; ++p) {
              const int64_t j = l * n.num_points + p;
              if (!bilinear_corners(loc_i[2 * j], loc_i[2 * j + 1], lv, s)) {
                continue;
              }
              for (int c = 0; c < 4; ++c) {
                if (s.key[c] < 0) continue;
                const scalar_t wc = attn_i[j] * s.wt[c];
                const scalar_t *v = v_bh + (lv.start + s.key[c]) * key_stride;
#pragma omp simd
                for (int64_t d = 0; d < n.head_dims; ++d) o[d] += wc * v[d];
              }
            }
          }
        }
      });
}

template <typename scalar_t>
void backward_kernel(const scalar_t *value, const scalar_t *loc,
                     const scalar_t *attn, const scalar_t *grad_out,
                     const std::vector<Level> &levels, const Sizes &n,
                     int64_t num_chunks, scalar_t *grad_value,
                     scalar_t *grad_loc, scalar_t *grad_attn) {
  const int64_t key_stride = n.num_heads * n.head_dims;
  const int64_t per_item = n.num_levels * n.num_points;
  const int64_t value_numel = n.bs * n.num_keys * key_stride;
  const int64_t chunk_len = (n.num_queries + num_chunks - 1) / num_chunks;
  at::parallel_for(
      0, n.bs * n.num_heads * num_chunks, 1, [&](int64_t begin, int64_t end) {
        for (int64_t t = begin; t < end; ++t) {
          const int64_t chunk = t % num_chunks;
          const int64_t h = (t / num_chunks) % n.num_heads;
          const int64_t b = t / (num_chunks * n.num_heads);
          const int64_t bh_offset =
              (b * n.num_keys * n.num_heads + h) * n.head_dims;
          const scalar_t *v_bh = value + bh_offset;
          scalar_t *gv_bh = grad_value + chunk * value_numel + bh_offset;
          const int64_t q_end =
              std::min(n.num_queries, (chunk + 1) * chunk_len);
          Bilinear<scalar_t> s;
          for (int64_t q = chunk * chunk_len; q < q_end; ++q) {
            const int64_t i = (b * n.num_queries + q) * n.num_heads + h;
            const scalar_t *go = grad_out + i * n.head_dims;
            for (int64_t l = 0; l < n.num_levels; ++l) {
              const Level &lv = levels[l];
              for (int64_t p = 0; p < n.num_points; ++p) {
                const int64_t j = i * per_item + l * n.num_points + p;
                if (!bilinear_corners(loc[2 * j], loc[2 * j + 1], lv, s)) {
                  continue;  // gradients stay zero
                }
                const scalar_t a = attn[j];
                // dot[c] = <grad_out, value at corner c>
                scalar_t dot[4] = {0, 0, 0, 0};
                for (int c = 0; c < 4; ++c) {
                  if (s.key[c] < 0) continue;
                  const int64_t off = (lv.start + s.key[c]) * key_stride;
                  const scalar_t *v = v_bh + off;
                  scalar_t *gv = gv_bh + off;
                  const scalar_t wc = a * s.wt[c];
                  scalar_t acc = 0;
#pragma omp simd reduction(+ : acc)
                  for (int64_t d = 0; d < n.head_dims; ++d) {
                    acc += go[d] * v[d];
                    gv[d] += wc * go[d];
                  }
                  dot[c] = acc;
                }
                const scalar_t hh = scalar_t(1) - s.lh;
                const scalar_t hw = scalar_t(1) - s.lw;
                grad_attn[j] = s.wt[0] * dot[0] + s.wt[1] * dot[1] +
                               s.wt[2] * dot[2] + s.wt[3] * dot[3];
                // d(sample)/d(w_im) and d(sample)/d(h_im), chained through
                // w_im = x * w - 0.5 and h_im = y * h - 0.5.
                const scalar_t d_w = hh * (dot[1] - dot[0]) +
                                     s.lh * (dot[3] - dot[2]);
                const scalar_t d_h = hw * (dot[2] - dot[0]) +
                                     s.lw * (dot[3] - dot[1]);
                grad_loc[2 * j] = a * d_w * static_cast<scalar_t>(lv.w);
                grad_loc[2 * j + 1] = a * d_h * static_cast<scalar_t>(lv.h);
              }
            }
          }
        }
      });
}

// Validates the inputs and returns the sizes and the per-level geometry.
Sizes check_inputs(const at::Tensor &value, const at::Tensor &spatial_shapes,
                   const at::Tensor &level_start_index,
                   const at::Tensor &sampling_loc,
                   const at::Tensor &attn_weight, std::vector<Level> &levels) {
  for (const at::Tensor *t :
       {&value, &spatial_shapes, &level_start_index, &sampling_loc,
        &attn_weight}) {
    TORCH_CHECK(t->device().is_cpu(),
                "mmvidseg ms_deform_attn CPU kernel got a tensor on ",
                t->device(), "; CUDA tensors go to mmcv's CUDA kernel "
                "(mmvidseg.ops.ms_deform_attn dispatches them)");
  }
  TORCH_CHECK(value.dim() == 4,
              "value must be (bs, num_keys, num_heads, head_dims), got ",
              value.sizes());
  TORCH_CHECK(sampling_loc.dim() == 6 && sampling_loc.size(5) == 2,
              "sampling_locations must be (bs, num_queries, num_heads, "
              "num_levels, num_points, 2), got ", sampling_loc.sizes());
  Sizes n{value.size(0),        value.size(1),        value.size(2),
          value.size(3),        sampling_loc.size(1), sampling_loc.size(3),
          sampling_loc.size(4)};
  TORCH_CHECK(sampling_loc.size(0) == n.bs && sampling_loc.size(2) ==
                  n.num_heads,
              "sampling_locations ", sampling_loc.sizes(),
              " does not match value ", value.sizes(),
              " in batch size or number of heads");
  TORCH_CHECK(attn_weight.sizes() == sampling_loc.sizes().slice(0, 5),
              "attention_weights must be (bs, num_queries, num_heads, "
              "num_levels, num_points) = ", sampling_loc.sizes().slice(0, 5),
              ", got ", attn_weight.sizes());
  TORCH_CHECK(value.scalar_type() == sampling_loc.scalar_type() &&
                  value.scalar_type() == attn_weight.scalar_type(),
              "value, sampling_locations and attention_weights must share a "
              "dtype, got ", value.scalar_type(), ", ",
              sampling_loc.scalar_type(), ", ", attn_weight.scalar_type());
  TORCH_CHECK(spatial_shapes.dim() == 2 && spatial_shapes.size(0) ==
                  n.num_levels && spatial_shapes.size(1) == 2,
              "spatial_shapes must be (num_levels=", n.num_levels,
              ", 2), got ", spatial_shapes.sizes());
  TORCH_CHECK(level_start_index.dim() == 1 &&
                  level_start_index.size(0) == n.num_levels,
              "level_start_index must be (num_levels=", n.num_levels,
              ",), got ", level_start_index.sizes());
  const at::Tensor shapes = spatial_shapes.to(at::kLong).contiguous();
  const at::Tensor starts = level_start_index.to(at::kLong).contiguous();
  const int64_t *sh = shapes.data_ptr<int64_t>();
  const int64_t *st = starts.data_ptr<int64_t>();
  levels.clear();
  for (int64_t l = 0; l < n.num_levels; ++l) {
    Level lv{sh[2 * l], sh[2 * l + 1], st[l]};
    TORCH_CHECK(lv.h >= 0 && lv.w >= 0 && lv.start >= 0 &&
                    lv.start + lv.h * lv.w <= n.num_keys,
                "level ", l, " (h=", lv.h, ", w=", lv.w, ", start=", lv.start,
                ") does not fit into value with num_keys=", n.num_keys,
                "; check spatial_shapes and level_start_index");
    levels.push_back(lv);
  }
  return n;
}

}  // namespace

at::Tensor ms_deform_attn_cpu_forward(const at::Tensor &value,
                                      const at::Tensor &spatial_shapes,
                                      const at::Tensor &level_start_index,
                                      const at::Tensor &sampling_loc,
                                      const at::Tensor &attn_weight) {
  std::vector<Level> levels;
  const Sizes n = check_inputs(value, spatial_shapes, level_start_index,
                               sampling_loc, attn_weight, levels);
  const at::Tensor v = value.contiguous();
  const at::Tensor loc = sampling_loc.contiguous();
  const at::Tensor attn = attn_weight.contiguous();
  at::Tensor out = at::empty({n.bs, n.num_queries, n.num_heads * n.head_dims},
                             value.options());
  AT_DISPATCH_FLOATING_TYPES(value.scalar_type(), "ms_deform_attn_cpu_forward",
                             [&] {
                               forward_kernel<scalar_t>(
                                   v.data_ptr<scalar_t>(),
                                   loc.data_ptr<scalar_t>(),
                                   attn.data_ptr<scalar_t>(), levels, n,
                                   out.data_ptr<scalar_t>());
                             });
  return out;
}

std::vector<at::Tensor> ms_deform_attn_cpu_backward(
    const at::Tensor &value, const at::Tensor &spatial_shapes,
    const at::Tensor &level_start_index, const at::Tensor &sampling_loc,
    const at::Tensor &attn_weight, const at::Tensor &grad_output) {
  std::vector<Level> levels;
  const Sizes n = check_inputs(value, spatial_shapes, level_start_index,
                               sampling_loc, attn_weight, levels);
  TORCH_CHECK(grad_output.device().is_cpu() &&
                  grad_output.scalar_type() == value.scalar_type() &&
                  grad_output.dim() == 3 && grad_output.size(0) == n.bs &&
                  grad_output.size(1) == n.num_queries &&
                  grad_output.size(2) == n.num_heads * n.head_dims,
              "grad_output must be a CPU ", value.scalar_type(), " tensor (",
              n.bs, ", ", n.num_queries, ", ", n.num_heads * n.head_dims,
              "), got ", grad_output.scalar_type(), " ", grad_output.sizes());
  const at::Tensor v = value.contiguous();
  const at::Tensor loc = sampling_loc.contiguous();
  const at::Tensor attn = attn_weight.contiguous();
  const at::Tensor go = grad_output.contiguous();
  // Split the queries of each (batch, head) pair only when there are fewer
  // pairs than threads; each extra chunk costs one copy of grad_value.
  const int64_t pairs = std::max<int64_t>(1, n.bs * n.num_heads);
  const int64_t threads = at::get_num_threads();
  const int64_t num_chunks =
      pairs >= threads
          ? 1
          : std::max<int64_t>(
                1, std::min<int64_t>(n.num_queries,
                                     (threads + pairs - 1) / pairs));
  at::Tensor grad_value_buf =
      num_chunks == 1 ? at::zeros_like(v)
                      : at::zeros({num_chunks, n.bs, n.num_keys, n.num_heads,
                                   n.head_dims},
                                  v.options());
  at::Tensor grad_loc = at::zeros_like(loc);
  at::Tensor grad_attn = at::zeros_like(attn);
  AT_DISPATCH_FLOATING_TYPES(
      value.scalar_type(), "ms_deform_attn_cpu_backward", [&] {
        backward_kernel<scalar_t>(
            v.data_ptr<scalar_t>(), loc.data_ptr<scalar_t>(),
            attn.data_ptr<scalar_t>(), go.data_ptr<scalar_t>(), levels, n,
            num_chunks, grad_value_buf.data_ptr<scalar_t>(),
            grad_loc.data_ptr<scalar_t>(), grad_attn.data_ptr<scalar_t>());
      });
  at::Tensor grad_value =
      num_chunks == 1 ? grad_value_buf : grad_value_buf.sum(0);
  return {grad_value, grad_loc, grad_attn};
}

}  // namespace mmvidseg
