# Copyright (c) mmvidseg contributors. All rights reserved.
"""STEm-Seg's sequential clustering on mmvidseg's C++ CPU kernel.

``mmvidseg.ops._ext.stemseg_clustering`` (``csrc/cpu/
stemseg_clustering_cpu.cpp``) runs the loop of ``SequentialClustering``
(sabarim/STEm-Seg: ``stemseg/inference/clusterers.py``) in one pass over the
remaining points per cluster, with labels identical to the PyTorch reference
(``sequential_clustering_reference`` in
``mmvidseg/models/trackers/stemseg_clustering.py``): same float32
operations in the same order, and the probability tests
``exp(-0.5 * sqrt(s)) > thr`` replaced by ``s < s*``, where ``s*`` is found
here by evaluating that very torch expression on every float32 near the
boundary (:func:`squared_distance_threshold`), so torch's exp decides.

:func:`stemseg_clustering_kernel` returns None where the kernel does not
apply (extension not built, not float32 on CPU, more than 5 embedding dims,
non-finite inputs, a threshold outside (1e-30, 1)); callers then run the
PyTorch path.
"""
from functools import lru_cache
from typing import List, Optional, Tuple

import torch
from torch import Tensor

from .ext_loader import get_ext

MAX_KERNEL_DIMS = 5


def _accepts(sq_dist: Tensor, prob_thr: float) -> Tensor:
    """The reference's test, on squared distances (float32)."""
    return (-0.5 * sq_dist.sqrt()).exp() > prob_thr


@lru_cache(maxsize=16)
def squared_distance_threshold(prob_thr: float) -> Optional[float]:
    """The float32 ``s*`` with ``exp(-0.5 * sqrt(s)) > prob_thr`` (torch,
    float32) exactly for ``0 <= s < s*``.

    Every float32 within 0.1% of ``(2 * ln(1 / prob_thr)) ** 2`` is tested
    with torch; away from it the test cannot flip (torch's float32 exp is
    within a few ulp). Returns None if ``prob_thr`` is not in (1e-30, 1) or
    the test is not monotonic there (then the kernel is not used).
    """
    prob_thr = float(prob_thr)
    if not 1e-30 < prob_thr < 1:
        return None
    centre = (2. * torch.tensor(1. / prob_thr, dtype=torch.float64).log())**2
    bounds = torch.tensor([centre * (1 - 1e-3), centre * (1 + 1e-3)],
                          dtype=torch.float32).view(torch.int32).tolist()
    values = torch.arange(
        bounds[0], bounds[1] + 1, dtype=torch.int32).view(torch.float32)
    ok = _accepts(values, prob_thr)
    num_true = int(ok.sum())
    if not (ok[:num_true].all() and num_true < ok.numel() and num_true > 0):
        return None
    return float(values[num_true])


def stemseg_clustering_kernel(
        embeddings: Tensor,
        bandwidths: Tensor,
        seediness: Tensor,
        free_dim_bandwidths: Tensor,
        primary_prob_thr: float = 0.5,
        secondary_prob_thr: float = 0.3,
        min_seediness_prob: float = 0.8,
        max_instances: int = 20,
        label_start: int = 1) -> Optional[Tuple[Tensor, List[int]]]:
    """Sequential clustering on the C++ kernel, or None where it does not
    apply.

    Arguments and outputs are those of ``sequential_clustering_reference``
    (``(P, E)`` embeddings, ``(P, E - F)`` bandwidths, ``(P,)`` or
    ``(P, 1)`` seediness, ``(F,)`` free-dim bandwidths; returns ``(P,)``
    labels with -1 for outliers and the list of cluster labels).
    """
    ext = get_ext()
    tensors = (embeddings, bandwidths, seediness, free_dim_bandwidths)
    if ext is None or not hasattr(ext, 'stemseg_clustering') or any(
            t.device.type != 'cpu' or t.dtype != torch.float32
            for t in tensors) or embeddings.dim() != 2 or not (
                1 <= embeddings.shape[1] <= MAX_KERNEL_DIMS):
        return None
    thr_1 = squared_distance_threshold(primary_prob_thr)
    thr_2 = squared_distance_threshold(secondary_prob_thr)
    if thr_1 is None or thr_2 is None:
        return None
    # the reference compares a float32 seediness with the threshold in
    # float32
    min_seed = torch.tensor(min_seediness_prob, dtype=torch.float32).item()
    labels, num_clusters = ext.stemseg_clustering(
        embeddings, bandwidths, seediness.reshape(-1), free_dim_bandwidths,
        thr_1, thr_2, min_seed, int(max_instances), int(label_start))
    if num_clusters < 0:  # non-finite input: the kernel computed nothing
        return None
    return labels, list(range(label_start, label_start + num_clusters))
