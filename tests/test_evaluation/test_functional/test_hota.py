# Copyright (c) mmvidseg contributors. All rights reserved.
import math

import numpy as np

from mmvidseg.evaluation.functional.hota import hota_sequence


def test_hota_perfect_and_hand_computed():
    one = [np.ones((1, 1)), np.ones((1, 1))]
    res = hota_sequence([np.array([1]), np.array([1])],
                        [np.array([4]), np.array([4])], one)
    assert np.allclose(res['HOTA'], 1.0) and np.allclose(res['LocA'], 1.0)
    # one GT track, two predicted tracks (one frame each, ids seen once)
    res = hota_sequence([np.array([1]), np.array([1])],
                        [np.array([4]), np.array([5])], one)
    assert np.allclose(res['DetA'], 1.0)
    assert np.allclose(res['AssA'], 0.5)
    assert np.allclose(res['HOTA'], math.sqrt(0.5))
    # empty prediction
    res = hota_sequence([np.array([1])], [np.zeros(0, int)],
                        [np.zeros((1, 0))])
    assert np.all(res['HOTA_FN'] == 1) and np.all(res['HOTA'] == 0)
