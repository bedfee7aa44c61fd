# Copyright (c) mmvidseg contributors. All rights reserved.
import math

import numpy as np
import pytest

from mmvidseg.evaluation.functional.stq import STQuality, encode_panoptic

SHIFT = 16


def _pan(sem, inst):
    return encode_panoptic(np.array(sem), np.array(inst), SHIFT)


def _metric():
    # class 0 = stuff, class 1 = thing
    return STQuality(2, [1], 255, SHIFT, 1 << 24)


def test_gt_as_prediction_scores_one():
    metric = _metric()
    gt = _pan([[0, 1, 1], [0, 1, 255]], [[0, 3, 3], [0, 3, 0]])
    metric.update(gt, gt, 'a')
    metric.update(gt, gt, 'b')
    res = metric.result()
    assert res['STQ'] == res['AQ'] == res['IoU'] == 1.0
    assert res['ID_per_seq'] == ['a', 'b']
    assert res['Length_per_seq'] == [1, 1]


def test_hand_computed():
    metric = _metric()
    gt = _pan([[1, 1, 0, 0]], [[1, 1, 0, 0]])
    pred = _pan([[1, 0, 0, 0]], [[7, 0, 0, 0]])
    metric.update(gt, pred)
    res = metric.result()
    # IoU: class 0 = 2 / 3, class 1 = 1 / 2
    assert res['IoU'] == pytest.approx((2 / 3 + 1 / 2) / 2, abs=1e-12)
    # AQ: one GT tube of 2 px, TPA = 1, IoU = 1 / (2 + 1 - 1)
    assert res['AQ'] == pytest.approx(0.25, abs=1e-12)
    assert res['STQ'] == pytest.approx(math.sqrt(0.25 * 7 / 12), abs=1e-12)


def test_association_over_frames_and_single_frame_ids():
    metric = _metric()
    gt = _pan([[1, 1]], [[1, 1]])
    # the prediction switches id between frames: each id appears once
    metric.update(gt, _pan([[1, 1]], [[5, 5]]))
    metric.update(gt, _pan([[1, 1]], [[6, 6]]))
    res = metric.result()
    # GT tube 4 px; two pred tubes of 2 px, each TPA 2, IoU 2 / 4
    assert res['AQ'] == pytest.approx((2 * 0.5 + 2 * 0.5) / 4)
    assert res['IoU'] == 1.0


def test_crowd_and_void_excluded():
    metric = _metric()
    # crowd (thing, instance 0) pixels are removed from AQ
    gt = _pan([[1, 1, 1, 255]], [[0, 2, 2, 0]])
    pred = _pan([[1, 1, 1, 1]], [[4, 4, 4, 4]])
    metric.update(gt, pred)
    res = metric.result()
    # pred tube minus crowd = 3 px (incl. the void pixel), GT tube 2 px
    assert res['AQ'] == pytest.approx(2 * (2 / 3) / 2)
    # void GT row is dropped: class 1 IoU = 3 / 3
    assert res['IoU'] == 1.0


def test_empty_prediction():
    metric = _metric()
    gt = _pan([[1, 0]], [[1, 0]])
    metric.update(gt, np.full((1, 2), 255 << SHIFT))
    res = metric.result()
    assert res['AQ'] == 0.0 and res['STQ'] == 0.0
    # upstream quirk: the predicted-void column counts as a class (IoU 0)
    assert res['IoU'] == 0.0


def test_bad_input():
    with pytest.raises(ValueError, match='offset'):
        STQuality(2, [1], 255, SHIFT, 10)
    metric = _metric()
    with pytest.raises(ValueError, match='semantic ids'):
        metric.update(_pan([[0]], [[0]]), _pan([[9]], [[0]]))
    with pytest.raises(ValueError, match='pixels'):
        metric.update(_pan([[0, 0]], [[0, 0]]), _pan([[0]], [[0]]))


def test_parts_fast_path_equals_panoptic_path():
    rng = np.random.default_rng(0)
    sem = rng.choice([0, 1, 255], size=(2, 5, 6)).astype(np.uint8)
    inst = np.where(sem == 1, rng.integers(0, 3, sem.shape), 0)
    p_sem = np.where(rng.random(sem.shape) < 0.3, 1, sem).astype(np.uint8)
    p_inst = np.where(p_sem == 1, rng.integers(1, 4, sem.shape), 0)
    a, b = _metric(), _metric()
    for t in range(2):
        a.update(_pan(sem[t], inst[t]), _pan(p_sem[t], p_inst[t]), 's')
        b.add_statistics(b.frame_statistics_parts(
            sem[t], inst[t].astype(np.uint16), p_sem[t],
            p_inst[t].astype(np.uint16)), 's')
    ra, rb = a.result(), b.result()
    for key in ('STQ', 'AQ', 'IoU'):
        assert ra[key] == rb[key]
    assert 0 < ra['STQ'] < 1
    with pytest.raises(ValueError, match=r'prediction contains semantic '
                       r'ids \[200\]'):
        b.frame_statistics_parts(sem[0], inst[0], np.full_like(sem[0], 200),
                                 inst[0], where='frame x')


def test_many_classes_lookup_path():
    # semantic ids >= 256 take the generic lookup-table path
    metric = STQuality(300, [280], 299, SHIFT, 1 << 26)
    gt = _pan([[280, 280, 5, 299]], [[1, 1, 0, 0]])
    pred = _pan([[280, 5, 5, 5]], [[2, 0, 0, 0]])
    metric.update(gt, pred)
    res = metric.result()
    # IoU: class 5 = 1 / 2, class 280 = 1 / 2 (ignore column: IoU 0,
    # counted only when valid GT is predicted as ignore: not here)
    assert res['IoU'] == pytest.approx(0.5)
    assert res['AQ'] == pytest.approx(1 * (1 / 2) / 2)
    with pytest.raises(ValueError, match=r'\[301\]'):
        metric.update(gt, _pan([[301, 5, 5, 5]], [[0, 0, 0, 0]]))


def _random_frame(rng, num_classes, wide_ids):
    h, w = (int(v) for v in rng.integers(1, 40, 2))
    sem = [rng.integers(0, num_classes, (h, w)).astype(np.uint8)
           for _ in range(2)]
    sem[0][rng.random((h, w)) < 0.1] = 255
    sem[1][rng.random((h, w)) < 0.05] = 255
    inst = [rng.integers(0, 4, (h, w)).astype(np.uint16) for _ in range(2)]
    if wide_ids:
        inst = [(i * 16000).astype(np.uint16) for i in inst]
    return sem[0], inst[0], sem[1], inst[1]


@pytest.mark.parametrize('seed', range(40))
def test_kernel_statistics_equal_numpy(seed):
    from mmvidseg.evaluation.functional.stq import _stq_kernel
    if _stq_kernel() is None:
        pytest.skip('mmvidseg.ops._ext is not built')
    rng = np.random.default_rng(seed)
    num_classes = int(rng.integers(3, 30))
    things = sorted(set(rng.integers(0, num_classes,
                                     int(rng.integers(0, 6))).tolist()))
    frame = list(_random_frame(rng, num_classes, seed % 3 == 0))
    if seed % 4 == 1:  # int64 instance maps take the int32 conversion
        frame[1], frame[3] = frame[1].astype(np.int64), frame[3].astype(
            np.int64)
    kernel = STQuality(num_classes, things, 255, SHIFT, 1 << 24)
    numpy_ = STQuality(num_classes, things, 255, SHIFT, 1 << 24)
    numpy_._luts['slots'] = None  # the numpy path
    a = kernel.frame_statistics_parts(*frame)
    b = numpy_.frame_statistics_parts(*frame)
    assert kernel._luts['slots'] is not None
    assert np.array_equal(a['confusion'], b['confusion'])
    for key in ('gt', 'pred', 'inter'):
        for got, want in zip(a[key], b[key]):
            assert got.dtype == want.dtype and np.array_equal(got, want)


@pytest.mark.parametrize('seed', range(10))
def test_kernel_on_panoptic_labels_equals_numpy(seed):
    from mmvidseg.evaluation.functional.stq import _stq_kernel
    if _stq_kernel() is None:
        pytest.skip('mmvidseg.ops._ext is not built')
    rng = np.random.default_rng(seed)
    st, it, sp, ip = _random_frame(rng, 20, seed % 2 == 0)
    y_true, y_pred = _pan(st, it), _pan(sp, ip)
    kernel = STQuality(20, [3, 7], 255, SHIFT, 1 << 24)
    numpy_ = STQuality(20, [3, 7], 255, SHIFT, 1 << 24)
    numpy_._luts['slots'] = None
    a = kernel.frame_statistics(y_true, y_pred)
    b = numpy_.frame_statistics(y_true, y_pred)
    assert np.array_equal(a['confusion'], b['confusion'])
    for key in ('gt', 'pred', 'inter'):
        for got, want in zip(a[key], b[key]):
            assert got.dtype == want.dtype and np.array_equal(got, want)
    # a semantic id outside the classes: the numpy path's error
    bad = y_true.copy()
    bad.flat[0] = 40 << SHIFT
    with pytest.raises(ValueError, match=r'semantic ids \[40\]'):
        kernel.frame_statistics(bad, y_pred)
