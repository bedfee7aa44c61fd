# Copyright (c) mmvidseg contributors. All rights reserved.
"""detectron2 SemSegEvaluator mIoU per frame, hand-computed cases."""
import numpy as np
import pytest

from mmvidseg.evaluation.functional.frame_miou import (frame_miou,
                                                       weighted_video_mean)


def test_hand_computed():
    gt = np.array([[0, 0, 1, 255]])
    pred = np.array([[0, 1, 1, 2]])
    # class 0: 1/2, class 1: 1/2; class 2 only on an ignored pixel
    assert frame_miou(gt, pred, 3) == pytest.approx(50.0)
    # a class only predicted counts in the denominator with IoU 0
    gt = np.array([[0, 0, 0, 0]])
    pred = np.array([[0, 0, 0, 2]])
    assert frame_miou(gt, pred, 3) == pytest.approx(0.75 / 2 * 100)
    assert frame_miou(gt, gt, 3) == 100.0
    assert np.isnan(frame_miou(np.full((2, 2), 255), np.zeros((2, 2)), 3))


def test_errors():
    with pytest.raises(ValueError, match='f1.*shape'):
        frame_miou(np.zeros((2, 2)), np.zeros((2, 3)), 3, where='f1')
    with pytest.raises(ValueError, match='predicted labels'):
        frame_miou(np.zeros((2, 2)), np.full((2, 2), 3), 3)


def test_weighted_video_mean():
    out = weighted_video_mean({'a': [10, 20], 'b': [40]})
    assert out['per_video'] == {'a': 15.0, 'b': 40.0}
    assert out['overall'] == pytest.approx((15 * 2 + 40) / 3)
    out = weighted_video_mean({'a': [10, 20], 'b': [40]}, {'a': 1, 'b': 3})
    assert out['overall'] == pytest.approx((15 + 120) / 4)
