# Copyright (c) mmvidseg contributors. All rights reserved.
"""DAVIS 2017 J&F: hand-computed cases and a full-frame reference."""
import cv2
import numpy as np
import pytest

from mmvidseg.evaluation.functional.davis import (bound_pixels, davis_summary,
                                                  db_statistics, disk,
                                                  evaluate_davis_sequence)


def squares(num_frames, h, w, boxes):
    """(T, H, W) ids; boxes: {id: (y0, y1, x0, x1)} in every frame."""
    out = np.zeros((num_frames, h, w), np.uint8)
    for k, (y0, y1, x0, x1) in boxes.items():
        out[:, y0:y1, x0:x1] = k
    return out


def full_frame_f(gt, pred, void=None, bound_th=0.008):
    """The official f_measure written plainly on the whole frame."""
    void = np.zeros_like(gt, bool) if void is None else void

    def bmap(seg):
        seg = seg.astype(bool)
        e, s, se = (np.zeros_like(seg) for _ in range(3))
        e[:, :-1], s[:-1, :], se[:-1, :-1] = seg[:, 1:], seg[1:], seg[1:, 1:]
        b = (seg ^ e) | (seg ^ s) | (seg ^ se)
        b[-1, :] = seg[-1, :] ^ e[-1, :]
        b[:, -1] = seg[:, -1] ^ s[:, -1]
        b[-1, -1] = 0
        return b

    fb, gb = bmap(pred & ~void), bmap(gt & ~void)
    kernel = disk(bound_pixels(gt.shape, bound_th))
    fd = cv2.dilate(fb.astype(np.uint8), kernel)
    gd = cv2.dilate(gb.astype(np.uint8), kernel)
    n_fg, n_gt = fb.sum(), gb.sum()
    if n_fg == 0 or n_gt == 0:
        p, r = (1, 0) if n_fg == 0 and n_gt else (0, 1) if n_fg else (1, 1)
    else:
        p, r = (fb & (gd > 0)).sum() / n_fg, (gb & (fd > 0)).sum() / n_gt
    return 0 if p + r == 0 else 2 * p * r / (p + r)


def test_disk_and_tolerance():
    assert disk(1).tolist() == [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
    assert bound_pixels((480, 854)) == 8  # ceil(0.008 * 979.6)
    assert bound_pixels((480, 854), 3) == 3


@pytest.mark.parametrize('task', ['semi-supervised', 'unsupervised'])
def test_gt_as_prediction_scores_one(task):
    gt = squares(5, 20, 30, {1: (2, 8, 3, 9), 2: (10, 18, 12, 25)})
    j, f = evaluate_davis_sequence(gt, gt.copy(), task)
    assert j.shape == f.shape == (2, 3 if task == 'semi-supervised' else 5)
    assert (j == 1).all() and (f == 1).all()
    res = davis_summary({'seq': (j, f)})
    assert res['J&F-Mean'] == 1.0 and res['J-Decay'] == 0.0
    assert set(res['per_object']) == {'seq_1', 'seq_2'}


def test_hand_computed_j_and_empty_prediction():
    gt = squares(3, 10, 10, {1: (0, 4, 0, 4)})
    pred = np.zeros_like(gt)
    pred[1, 0:4, 0:2] = 1  # half of the object in the scored frame
    j, f = evaluate_davis_sequence(gt, pred)
    assert j.tolist() == [[0.5]]
    assert f[0, 0] == pytest.approx(full_frame_f(gt[1] == 1, pred[1] == 1))
    j, f = evaluate_davis_sequence(gt, np.zeros_like(gt))
    assert j.tolist() == [[0.0]] and f.tolist() == [[0.0]]  # P=1, R=0


def test_first_and_last_frames_are_not_scored():
    gt = squares(4, 12, 12, {1: (2, 6, 2, 6)})
    pred = gt.copy()
    pred[0] = pred[-1] = 0
    j, f = evaluate_davis_sequence(gt, pred)
    assert (j == 1).all() and (f == 1).all()


def test_boundary_matches_full_frame_reference():
    rng = np.random.default_rng(0)
    for _ in range(20):
        h, w = rng.integers(8, 60, 2)
        gt = np.zeros((3, h, w), np.uint8)
        pred = np.zeros((3, h, w), np.uint8)
        for arr in (gt, pred):
            y, x = rng.integers(0, h), rng.integers(0, w)  # may touch borders
            arr[:, y:y + rng.integers(1, h), x:x + rng.integers(1, w)] = 1
            arr[:, :, :][rng.random((3, h, w)) < 0.05] = 1
        gt[0, 0, 0] = 1  # one object
        _, f = evaluate_davis_sequence(gt, pred)
        assert f[0, 0] == full_frame_f(gt[1] == 1, pred[1] == 1)


def test_unsupervised_void_and_assignment():
    gt = squares(3, 16, 16, {1: (0, 6, 0, 6), 2: (8, 14, 8, 14)})
    gt[:, 6:8, :] = 255  # void band
    pred = np.zeros_like(gt)
    pred[:, 0:8, 0:6] = 3  # object 1 plus the void band under it
    pred[:, 8:14, 8:14] = 1  # object 2, under another id
    j, f = evaluate_davis_sequence(gt, pred, 'unsupervised')
    # proposal order: proposal 1 -> object 2, proposal 3 -> object 1
    assert (j == 1).all() and (f == 1).all()
    with pytest.raises(ValueError, match='maximum number of proposals'):
        evaluate_davis_sequence(gt, np.full_like(gt, 21), 'unsupervised')


def test_semi_supervised_rejects_unknown_ids():
    gt = squares(3, 8, 8, {1: (0, 3, 0, 3)})
    with pytest.raises(ValueError, match='sequence s.*id 2 is higher'):
        evaluate_davis_sequence(gt, gt * 2, name='s')


def test_statistics_hand_computed_and_decay_wrap():
    m, r, d = db_statistics(np.array([1., 1., 0., 0.]))
    assert (m, r, d) == (0.5, 0.5, 1.0)
    values = np.linspace(1, 0, 300)
    # > 255 frames: upstream uint8 bin edges wrap, the decay is NaN here
    assert np.isnan(db_statistics(values)[2])
    assert db_statistics(values, 'fixed')[2] == pytest.approx(
        values[:76].mean() - values[224:].mean())


def test_first_appearance_equals_official_when_all_start_in_frame_0():
    rng = np.random.default_rng(1)
    gt = squares(6, 16, 20, {1: (1, 6, 1, 7), 2: (8, 15, 9, 19)})
    pred = gt.copy()
    pred[rng.random(gt.shape) < 0.1] = 0
    pred[:, 0:3, 10:14] = 2
    official = evaluate_davis_sequence(gt, pred)
    late = evaluate_davis_sequence(gt, pred, objects_from='first_appearance')
    for a, b in zip(official, late):
        assert a.shape == b.shape == (2, 4) and np.array_equal(a, b)
    assert davis_summary({'s': official}) == davis_summary({'s': late})


def test_first_appearance_scores_late_objects_after_their_first_frame():
    gt = squares(6, 12, 12, {1: (0, 4, 0, 4)})
    gt[3:, 6:10, 6:10] = 2  # object 2 enters in frame 3
    gt[5, 0:2, 8:12] = 3  # object 3 only in the last frame: nothing scored
    pred = np.where(gt == 3, 0, gt)
    pred[1:3, 6:10, 6:10] = 2  # before object 2 exists: not scored
    pred[4, 6:10, 8:10] = 0  # half of object 2 in frame 4
    with pytest.raises(ValueError, match='id 2 is higher'):
        evaluate_davis_sequence(gt, pred)  # official: frame-0 objects only
    j, f = evaluate_davis_sequence(gt, pred, objects_from='first_appearance')
    assert j.shape == f.shape == (2, 4)  # objects 1, 2 over frames 1..4
    assert (j[0] == 1).all() and (f[0] == 1).all()
    assert np.isnan(j[1, :3]).all() and j[1, 3] == 0.5  # frame 4 only
    res = davis_summary({'s': (j, f)})
    assert res['per_object']['s_2']['J-Mean'] == 0.5
    assert res['per_object']['s_2']['J-Recall'] == 0.0  # 0.5 is not > 0.5
    assert res['J-Mean'] == 0.75
    with pytest.raises(ValueError, match='semi-supervised protocol'):
        evaluate_davis_sequence(gt, pred, 'unsupervised',
                                objects_from='first_appearance')
    with pytest.raises(ValueError, match="got 'later'"):
        evaluate_davis_sequence(gt, pred, objects_from='later')
