// Copyright (c) mmvidseg contributors. All rights reserved.
// Python bindings of mmvidseg.ops._ext (see mmvidseg/ops/__init__.py).
#include <torch/extension.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "ms_deform_attn.h"
#include "roi_align.h"
#include "stemseg_clustering.h"
#include "stq_statistics.h"

namespace {

bool compiled_with_openmp() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

bool compiled_with_cuda() {
#ifdef WITH_CUDA
  return true;
#else
  return false;
#endif
}

}  // namespace

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.doc() = "mmvidseg compiled ops";
  m.def("ms_deform_attn_forward", &mmvidseg::ms_deform_attn_cpu_forward,
        "Multi-scale deformable attention forward (CPU). Returns output "
        "(bs, num_queries, num_heads * head_dims).",
        py::arg("value"), py::arg("spatial_shapes"),
        py::arg("level_start_index"), py::arg("sampling_loc"),
        py::arg("attn_weight"));
  m.def("ms_deform_attn_backward", &mmvidseg::ms_deform_attn_cpu_backward,
        "Multi-scale deformable attention backward (CPU). Returns "
        "[grad_value, grad_sampling_loc, grad_attn_weight].",
        py::arg("value"), py::arg("spatial_shapes"),
        py::arg("level_start_index"), py::arg("sampling_loc"),
        py::arg("attn_weight"), py::arg("grad_output"));
  m.def("roi_align_forward", &mmvidseg::roi_align_cpu_forward,
        "RoIAlign forward with average pooling (CPU, mmcv semantics). "
        "Returns output (num_rois, C, out_h, out_w).",
        py::arg("input"), py::arg("rois"), py::arg("out_h"), py::arg("out_w"),
        py::arg("spatial_scale"), py::arg("sampling_ratio"),
        py::arg("aligned"));
  m.def("roi_align_backward", &mmvidseg::roi_align_cpu_backward,
        "RoIAlign backward with average pooling (CPU). Returns grad_input "
        "(num_images, channels, height, width).",
        py::arg("grad_output"), py::arg("rois"), py::arg("num_images"),
        py::arg("channels"), py::arg("height"), py::arg("width"),
        py::arg("spatial_scale"), py::arg("sampling_ratio"),
        py::arg("aligned"));
  m.def("stemseg_clustering", &mmvidseg::stemseg_clustering_cpu,
        "STEm-Seg sequential clustering (CPU, float32, 1 to 5 embedding "
        "dims). Returns (labels (P,) int64, number of clusters); -1 clusters "
        "means a non-finite input or negative bandwidth (use the PyTorch "
        "path).",
        py::arg("embeddings"), py::arg("bandwidths"), py::arg("seediness"),
        py::arg("free_bandwidths"), py::arg("primary_sq_thr"),
        py::arg("secondary_sq_thr"), py::arg("min_seediness"),
        py::arg("max_instances"), py::arg("label_start"));
  m.def("stq_frame_statistics", &mmvidseg::stq_frame_statistics_cpu,
        "Per-frame STQ statistics (CPU; releases the GIL): raw (256, 256) "
        "confusion, GT / predicted thing-tube keys and counts, tube pairs "
        "and counts.",
        py::arg("sem_true"), py::arg("inst_true"), py::arg("sem_pred"),
        py::arg("inst_pred"), py::arg("thing_slot"),
        py::call_guard<py::gil_scoped_release>());
  m.def("stq_panoptic_statistics", &mmvidseg::stq_panoptic_statistics_cpu,
        "stq_frame_statistics from int64 panoptic labels (semantic << 16) "
        "+ instance (CPU; releases the GIL).",
        py::arg("y_true"), py::arg("y_pred"), py::arg("thing_slot"),
        py::call_guard<py::gil_scoped_release>());
  m.def("compiled_with_openmp", &compiled_with_openmp,
        "Whether the extension was compiled with OpenMP.");
  m.def("compiled_with_cuda", &compiled_with_cuda,
        "Whether the extension was compiled with CUDA sources.");
}
