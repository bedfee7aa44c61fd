# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest

from ._ytvis_cases import box, gt_ann, make_gt


@pytest.fixture
def two_videos():
    a0, a1 = box(8, 8, 0, 4, 0, 4), box(8, 8, 2, 6, 2, 6)
    b0 = box(6, 10, 1, 5, 0, 3)
    gt = make_gt({1: (8, 8, 2), 2: (6, 10, 3)}, [
        gt_ann(1, 1, 1, [a0, a1]),
        gt_ann(2, 1, 2, [None, a0]),
        gt_ann(3, 2, 1, [b0, None, b0]),  # absent in the middle frame
    ])
    return gt
