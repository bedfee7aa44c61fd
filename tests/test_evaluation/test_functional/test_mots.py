# Copyright (c) mmvidseg contributors. All rights reserved.
import math

import pytest

from mmvidseg.evaluation.functional.mots import evaluate_mots
from mmvidseg.evaluation.functional.panoptic_io import (read_mots_txt,
                                                        write_mots_txt)

from ._mots_objects import _box, _obj


def test_mots_hand_computed_id_switch(tmp_path):
    car = _box(0, 0, 2, 2)  # 4 px
    gt = {'0000': {0: [_obj(1001, 1, car)], 1: [_obj(1001, 1, car)]}}
    pred = {'0000': {0: [_obj(1005, 1, car)],
                     1: [_obj(1006, 1, _box(0, 0, 2, 3))]}}  # IoU 4 / 6
    res = evaluate_mots(gt, pred, {'0000': 1})['cars']
    assert res['tp'] == 2 and res['fp'] == 0 and res['IDS'] == 1
    assert res['sMOTSA'] == pytest.approx((1 + 4 / 6 - 1) / 2)
    assert res['MOTSA'] == pytest.approx(1 - 1 / 2)
    assert res['MOTSP'] == pytest.approx((1 + 4 / 6) / 2)
    # round trip through the official txt format
    write_mots_txt(str(tmp_path / '0000.txt'), pred['0000'])
    again = read_mots_txt(str(tmp_path / '0000.txt'))
    res2 = evaluate_mots(gt, {'0000': again}, {'0000': 1})['cars']
    assert res2['sMOTSA'] == res['sMOTSA']


def test_mots_ignore_region_and_empty():
    gt = {'0000': {0: [_obj(10000, 10, _box(0, 0, 3, 3))]}}
    pred = {'0000': {0: [_obj(2001, 2, _box(0, 0, 2, 2)),
                         _obj(2002, 2, _box(4, 4, 2, 2))]}}
    res = evaluate_mots(gt, pred, {'0000': 0})['pedestrians']
    assert res['n_itr'] == 1 and res['fp'] == 1
    assert res['sMOTSA'] == -math.inf  # no GT, as upstream
    empty = evaluate_mots({'0000': {0: [_obj(1001, 1, _box(0, 0, 2, 2))]}},
                          {}, {'0000': 0})['cars']
    assert empty['fn'] == 1 and empty['MOTSA'] == 0.0
