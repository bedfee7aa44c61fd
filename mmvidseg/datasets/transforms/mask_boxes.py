# Copyright (c) mmvidseg contributors. All rights reserved.
"""Tight boxes of binary masks, as the clip transforms rewrite them."""
from typing import Optional, Sequence, Tuple

import numpy as np

Box = Tuple[int, int, int, int]


def mask_bbox(mask: np.ndarray) -> Optional[Box]:
    """(x1, y1, x2, y2) of a (H, W) mask, x2 / y2 one past the last pixel
    (as mmdet's ``BitmapMasks.get_bboxes``); None for an empty mask
    (STEm-Seg's ``bbox_from_mask``)."""
    cols, rows = mask.any(0), mask.any(1)
    if not cols.any():
        return None
    xs, ys = np.flatnonzero(cols), np.flatnonzero(rows)
    return int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1


def mask_boxes(masks: Sequence[np.ndarray]) -> np.ndarray:
    """(N, H, W) masks -> (N, 4) float32 boxes of :func:`mask_bbox`; an
    empty mask gets (0, 0, 0, 0)."""
    return np.array([mask_bbox(m) or (0, 0, 0, 0) for m in masks],
                    np.float32).reshape(-1, 4)
