# Copyright (c) mmvidseg contributors. All rights reserved.
import math

import numpy as np
import pytest

from mmvidseg.structures.masks import encode_mask
from mmvidseg.evaluation.functional.burst import evaluate_burst
from mmvidseg.evaluation.functional.hota import hota_sequence
from mmvidseg.evaluation.functional.mots import evaluate_mots
from mmvidseg.evaluation.functional.panoptic_io import (read_mots_txt,
                                                         write_mots_txt)


def _box(y0, x0, h, w, shape=(6, 8)):
    m = np.zeros(shape, np.uint8)
    m[y0:y0 + h, x0:x0 + w] = 1
    return m


def _obj(track_id, class_id, mask):
    return dict(track_id=track_id, class_id=class_id, rle=encode_mask(mask))


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


def _burst_gt(masks_by_frame, cat=4):
    rle = [{str(k): {'rle': encode_mask(m)['counts']}
            for k, m in frame.items()} for frame in masks_by_frame]
    return dict(split='val', sequences=[dict(
        id=1, width=8, height=6, seq_name='s', dataset='DS', fps=30,
        annotated_image_paths=[f'frame{i:04d}.jpg'
                               for i in range(len(rle))],
        neg_category_ids=[], not_exhaustive_category_ids=[],
        track_category_ids={'1': cat, '2': 13}, segmentations=rle)])


def test_burst_gt_as_prediction_and_absent_frames():
    frames = [{1: _box(0, 0, 2, 2), 2: _box(3, 3, 2, 4)},
              {2: _box(3, 4, 2, 3)}, {1: _box(1, 1, 2, 2)}]
    gt = _burst_gt(frames)
    res = evaluate_burst(gt, gt)
    for split in ('all', 'common'):
        assert res[f'HOTA_{split}'] == pytest.approx(100.0)
    assert np.isnan(res['HOTA_uncommon'])  # ids 4 and 13 are common
    empty = dict(gt, sequences=[dict(gt['sequences'][0], segmentations=[
        {} for _ in frames])])
    assert evaluate_burst(gt, empty)['HOTA_all'] == 0.0
    bad = dict(gt, sequences=[dict(gt['sequences'][0],
                                   segmentations=frames[:1])])
    with pytest.raises(ValueError, match='sequence 1'):
        evaluate_burst(gt, bad)


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
