# Copyright (c) mmvidseg contributors. All rights reserved.
import numpy as np
from pycocotools import mask as mask_utils

from mmvidseg.structures.masks import empty_rle
from mmvidseg.structures.masks import encode_mask as rle


def test_frame_batched_ratios_equal_per_frame_iou():
    from mmvidseg.evaluation.functional.ytvis_iou import _frame_ratios
    rng = np.random.default_rng(0)
    h, w = 12, 16

    def rand_rle():
        m = np.zeros((h, w), np.uint8)
        y, x = rng.integers(0, h - 3), rng.integers(0, w - 3)
        m[y:y + rng.integers(2, 8), x:x + rng.integers(2, 9)] = 1
        return rle(m)

    dts = [[rand_rle(), None, rand_rle()] for _ in range(3)]  # F x R
    gts = [[rand_rle(), rand_rle()] for _ in range(3)]  # F x G
    got = _frame_ratios(dts, gts, h, w, empty_rle(h, w)['counts'])
    empty = empty_rle(h, w)
    for f in range(3):
        ref = mask_utils.iou([d or empty for d in dts[f]], gts[f], [1, 1])
        assert np.array_equal(got[f], ref)
    assert got.shape == (3, 3, 2) and got.max() > 0
