# Copyright (c) mmvidseg contributors. All rights reserved.
import math

import pytest

from ._mots_objects import _box, _obj


def test_kitti_mots_hota_ignore_region_and_perfect():
    from mmvidseg.evaluation.functional.mots_hota import evaluate_mots_hota
    car = _box(0, 0, 2, 2)
    ignore = _box(3, 4, 3, 4)
    gt = {'0000': {0: [_obj(1001, 1, car), _obj(10000, 10, ignore)],
                   1: [_obj(1001, 1, car)]}}
    res = evaluate_mots_hota(gt, gt, {'0000': 1})
    assert res['cars']['HOTA'] == pytest.approx(1.0)
    assert res['pedestrians']['HOTA'] == 0.0  # no GT, no prediction
    # an unmatched prediction inside the ignore region is removed ...
    inside = {0: [_obj(1001, 1, car), _obj(1002, 1, _box(3, 4, 2, 2))],
              1: [_obj(1001, 1, car)]}
    res = evaluate_mots_hota(gt, {'0000': inside}, {'0000': 1})['cars']
    assert res['HOTA'] == pytest.approx(1.0)
    # ... one outside is a false positive at every alpha
    outside = {0: [_obj(1001, 1, car), _obj(1002, 1, _box(0, 5, 2, 2))],
               1: [_obj(1001, 1, car)]}
    res = evaluate_mots_hota(gt, {'0000': outside}, {'0000': 1})['cars']
    assert res['DetA'] == pytest.approx(2 / 3)
    assert res['AssA'] == pytest.approx(1.0)
    assert res['HOTA'] == pytest.approx(math.sqrt(2 / 3))
    assert res['per_sequence']['0000']['HOTA'] == res['HOTA']
    with pytest.raises(ValueError, match='frames \\[1\\] outside 0..0'):
        evaluate_mots_hota(gt, gt, {'0000': 0})
    dup = {0: [_obj(1001, 1, car), _obj(1001, 2, _box(4, 0, 2, 2))]}
    with pytest.raises(ValueError, match='frame 0 has track ids \\[1001\\]'):
        evaluate_mots_hota(gt, {'0000': dup}, {'0000': 1})
