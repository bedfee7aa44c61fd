# Copyright (c) mmvidseg contributors. All rights reserved.
import numpy as np
import pytest

from mmvidseg.evaluation.functional.vpq import (compute_vpq, frame_stats,
                                                video_pq_stats)

CATS = {0: dict(id=0, isthing=1), 1: dict(id=1, isthing=0)}


def _info(ids, cats, crowd=()):
    return [dict(id=i, category_id=cats[i], iscrowd=int(i in crowd),
                 area=int((ids == i).sum())) for i in np.unique(ids) if i]


def _frame(gt, pred, gt_cats, pred_cats, crowd=()):
    gt, pred = np.array(gt, np.uint32), np.array(pred, np.uint32)
    return frame_stats(gt, pred, _info(gt, gt_cats, crowd),
                       [dict(id=i, category_id=pred_cats[i])
                        for i in np.unique(pred) if i], CATS, 'v f')


def test_gt_as_prediction_scores_100():
    gt = [[1, 1, 2], [0, 2, 2]]
    frames = [_frame(gt, gt, {1: 0, 2: 1}, {1: 0, 2: 1})] * 8
    res = compute_vpq({'v': frames}, CATS, 'vipseg')
    assert res['VPQ'] == res['VPQ_thing'] == res['VPQ_stuff'] == 100.0
    assert res['VPQ_nframes8'] == 100.0
    res = compute_vpq({'v': frames[:3]}, CATS, 'cityscapes_vps')
    assert set(k for k in res if k.startswith('VPQ_k')) >= {
        'VPQ_k0', 'VPQ_k5', 'VPQ_k10', 'VPQ_k15'}
    # 3 frames: the 4-frame window (k=15) has no window -> NaN
    assert np.isnan(res['VPQ_k15'])
    assert res['VPQ_k10'] == 100.0


def test_hand_computed_single_frame():
    # GT thing 1: 4 px; pred 7 covers 3 of them + 1 void pixel
    gt = [[1, 1, 1, 1, 0]]
    pred = [[7, 7, 7, 0, 7]]
    stat = video_pq_stats([_frame(gt, pred, {1: 0}, {7: 0})], 1)
    # union = 4 + 4 - 3 - 1 (void) = 4 -> IoU 0.75
    assert stat[0] == [0.75, 1, 0, 0]


def test_tube_iou_over_window():
    gt = [[1, 1, 0, 0]]
    f1 = _frame(gt, [[5, 5, 0, 0]], {1: 0}, {5: 0})
    f2 = _frame(gt, [[5, 0, 0, 0]], {1: 0}, {5: 0})  # frame IoU 0.5
    one = video_pq_stats([f1, f2], 1)
    assert one[0] == [1.0, 1, 1, 1]  # frame 2: IoU 0.5 is not > 0.5
    two = video_pq_stats([f1, f2], 2)
    assert two[0][0] == pytest.approx(3 / 4) and two[0][1:] == [1, 0, 0]


def test_void_and_crowd_ignore_false_positives():
    gt = [[0, 0, 0, 3, 3, 3]]
    pred = [[8, 8, 0, 9, 9, 0]]  # 8 on void, 9 on crowd of class 0
    stat = video_pq_stats(
        [_frame(gt, pred, {3: 0}, {8: 1, 9: 0}, crowd=(3, ))], 1)
    assert stat[0] == [0.0, 0, 0, 0] and stat[1] == [0.0, 0, 0, 0]


def test_empty_prediction_and_errors():
    gt = [[1, 2]]
    frame = _frame(gt, [[0, 0]], {1: 0, 2: 1}, {})
    res = compute_vpq({'v': [frame]}, CATS, 'vipseg', nframes_list=[1])
    assert res['VPQ'] == 0.0
    with pytest.raises(KeyError, match='not in its segments_info'):
        frame_stats(np.array(gt, np.uint32), np.array([[4, 0]], np.uint32),
                    _info(np.array(gt), {1: 0, 2: 1}), [], CATS, 'video x')
    with pytest.raises(KeyError, match='absent from its PNG'):
        frame_stats(np.array(gt, np.uint32), np.array([[0, 0]], np.uint32),
                    [], [dict(id=4, category_id=0)], CATS, 'video x')
    with pytest.raises(ValueError, match='video x.*size'):
        frame_stats(np.zeros((2, 2), np.uint32), np.zeros((2, 3), np.uint32),
                    [], [], CATS, 'video x')
    with pytest.raises(KeyError, match='unknown category_id 5'):
        frame_stats(np.array(gt, np.uint32), np.array([[4, 0]], np.uint32),
                    [], [dict(id=4, category_id=5)], CATS, 'video x')
