# Copyright (c) mmvidseg contributors. All rights reserved.
"""Hypothesis strategies shared by the fuzzed evaluator tests (issue 17).

Every random video is a pair of (T, H, W) int64 label maps, ground truth and
prediction: 0 is background, ``k > 0`` is object / track ``k`` (masks of one
map never overlap, as in every annotation format scored here). Maps are
drawn on a coarse grid of at most 4 x 4 cells and upsampled by 1..4 per
axis (<= 16 x 16 pixels, blobby objects); the prediction keeps a random
subset of the ground-truth cells and draws the others, so predictions both
match and miss, and some predicted frames have their ids permuted (identity
switches).
"""
import math
from typing import Dict, List, Sequence, Tuple

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mmvidseg.structures.masks import encode_mask

# derandomize: CI sees the same examples every run; database=None: no
# .hypothesis folder in the checkout.
FUZZ = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=False,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

Video = Tuple[np.ndarray, np.ndarray]


@st.composite
def video_pair(draw, max_ids: int = 3, min_frames: int = 1,
               max_frames: int = 3) -> Video:
    """One (ground truth, prediction) pair of (T, H, W) label maps."""
    num_t = draw(st.integers(min_frames, max_frames))
    h, w = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    sy, sx = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    ids = st.integers(0, max_ids)
    gt = draw(arrays(np.int64, (num_t, h, w), elements=ids))
    other = draw(arrays(np.int64, (num_t, h, w), elements=ids))
    keep = draw(arrays(np.bool_, (num_t, h, w)))
    pred = np.where(keep, gt, other)
    # identity switches: some predicted frames get their ids permuted
    for t in range(num_t):
        if draw(st.integers(0, 3)) == 0:
            perm = np.array([0] + draw(st.permutations(range(1, max_ids + 1))))
            pred[t] = perm[pred[t]]

    def up(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a.repeat(sy, 1).repeat(sx, 2))

    return up(gt), up(pred)


def video_pairs(max_videos: int = 3, **kwargs) -> st.SearchStrategy:
    """1..max_videos (ground truth, prediction) pairs."""
    return st.lists(video_pair(**kwargs), min_size=1, max_size=max_videos)


def table(values: Sequence, size: int) -> st.SearchStrategy:
    """A random lookup table ``id -> value`` for ids ``0..size-1``."""
    return st.lists(st.sampled_from(list(values)), min_size=size,
                    max_size=size)


def object_ids(labels: np.ndarray) -> List[int]:
    """Non-zero ids present in a label map, ascending."""
    return [int(k) for k in np.unique(labels) if k]


def track_rles(labels: np.ndarray, k: int) -> List:
    """Per frame the RLE of id ``k`` in a (T, H, W) map, None if absent."""
    return [encode_mask(f == k) if (f == k).any() else None for f in labels]


def relabel(labels: np.ndarray, mapping: Dict[int, int]) -> np.ndarray:
    """Apply ``mapping`` to the ids of a label map (others unchanged)."""
    out = labels.copy()
    for old, new in mapping.items():
        out[labels == old] = new
    return out


def not_higher(new: float, old: float, tol: float = 1e-12) -> bool:
    """``new <= old`` for scores where NaN / -1 / -inf mean "undefined"."""
    if isinstance(old, float) and math.isnan(old):
        return True  # compared by the caller where it matters
    return new <= old + tol


def same(a, b, tol: float = 1e-9) -> bool:
    """Equal floats (NaN == NaN, inf == inf) up to ``tol``."""
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol
