# Copyright (c) mmvidseg contributors. All rights reserved.
"""Hand-computed cases for YouTube-VIS track AP (official ytvoseval)."""
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmvidseg.structures.masks import rle_areas
from mmvidseg.evaluation.functional import ytvis_2022_ap, ytvis_ap

from ._ytvis_cases import box, gt_ann, gt_as_results, make_gt, pred


def test_gt_as_prediction_scores_one(two_videos):
    stats = ytvis_ap(two_videos, gt_as_results(two_videos))
    for key in ('AP', 'AP50', 'AP75', 'AP_S', 'AR1', 'AR10', 'AR100', 'AR_S'):
        # precision is tp / (tp + fp + eps): 1 up to 1e-16, as upstream
        assert stats[key] == pytest.approx(1.0, abs=1e-12), key
    # every object is small: medium / large are undefined (-1)
    assert stats['AP_M'] == stats['AP_L'] == -1.
    assert stats['AR_M'] == stats['AR_L'] == -1.


def test_spatio_temporal_iou_hand_computed():
    # GT: 4 px in frame 0, absent in frame 1. Prediction: the same 4 px and
    # 2 extra px in frame 1 -> IoU = 4 / (4 + 2) = 0.667: a match at the
    # thresholds 0.50 ... 0.65 (4 of 10) -> AP = AR = 0.4.
    m = box(4, 4, 0, 2, 0, 2)
    gt = make_gt({7: (4, 4, 2)}, [gt_ann(5, 7, 1, [m, None])])
    res = [pred(7, 1, 0.5, [m, box(4, 4, 3, 4, 0, 2)])]
    stats = ytvis_ap(gt, res, return_arrays=True)
    assert stats['AP'] == pytest.approx(0.4)
    assert stats['AR100'] == pytest.approx(0.4)
    assert stats['AP50'] == pytest.approx(1.0) and stats['AP75'] == 0.0
    assert stats['recall'][:4, 0, 0, 2].tolist() == [1.0] * 4
    assert stats['recall'][4:, 0, 0, 2].tolist() == [0.0] * 6


def test_false_positive_ranked_first_halves_precision():
    m = box(4, 4, 0, 2, 0, 2)
    gt = make_gt({1: (4, 4, 1)}, [gt_ann(1, 1, 1, [m])])
    res = [pred(1, 1, 0.9, [box(4, 4, 2, 4, 2, 4)]),  # no overlap
           pred(1, 1, 0.8, [m])]
    stats = ytvis_ap(gt, res)
    # precision (0, 0.5) at recall (0, 1): interpolated 0.5 everywhere
    assert stats['AP'] == pytest.approx(0.5)
    assert stats['AR1'] == 0.0 and stats['AR10'] == 1.0


def test_wrong_category_is_a_miss(two_videos):
    res = gt_as_results(two_videos)
    for r in res:
        r['category_id'] = 3 - r['category_id']
    stats = ytvis_ap(two_videos, res)
    assert stats['AP'] == 0.0 and stats['AR100'] == 0.0


def test_empty_predictions(two_videos):
    stats = ytvis_ap(two_videos, [])
    assert stats['AP'] == 0.0 and stats['AR100'] == 0.0
    assert stats['AP_M'] == -1.


def test_crowd_ground_truth_is_ignored():
    m, c = box(8, 8, 0, 3, 0, 3), box(8, 8, 4, 8, 4, 8)
    gt = make_gt({1: (8, 8, 1)}, [gt_ann(1, 1, 1, [m]),
                                  gt_ann(2, 1, 1, [c], iscrowd=1)])
    # a prediction on the crowd region is neither TP nor FP
    res = [pred(1, 1, 0.9, [c]), pred(1, 1, 0.8, [m])]
    assert ytvis_ap(gt, res)['AP'] == pytest.approx(1.0)
    # without the crowd flag it is a ranked-first TP and the other a TP too
    gt['annotations'][1]['iscrowd'] = 0
    assert ytvis_ap(gt, res)['AP'] == pytest.approx(1.0)
    # crowd alone: no positive ground truth -> undefined
    only_crowd = make_gt({1: (8, 8, 1)}, [gt_ann(2, 1, 1, [c], iscrowd=1)])
    assert ytvis_ap(only_crowd, res)['AP'] == -1.


def test_area_ranges_use_average_area_of_present_frames():
    big = box(300, 300, 0, 200, 0, 200)  # 40000 px > 128^2
    empty = np.zeros((300, 300), np.uint8)
    gt = make_gt({1: (300, 300, 3)}, [gt_ann(1, 1, 1, [big, None, empty])])
    stats = ytvis_ap(gt, [pred(1, 1, 1.0, [big, None, None])])
    # average area over non-empty frames = 40000: medium; IoU = 1
    assert stats['AP_M'] == pytest.approx(1.0) and stats['AP_S'] == -1.
    assert stats['AP_L'] == -1. and stats['AP'] == pytest.approx(1.0)


def test_track_present_in_one_frame_only():
    m = box(5, 5, 1, 3, 1, 3)
    gt = make_gt({1: (5, 5, 4)}, [gt_ann(1, 1, 1, [None, None, m, None])])
    stats = ytvis_ap(gt, [pred(1, 1, .3, [None, None, m, None])])
    assert stats['AP'] == pytest.approx(1.)
    # the same mask one frame late never overlaps: IoU 0
    assert ytvis_ap(gt, [pred(1, 1, .3, [None, m, None, None])])['AP'] == 0.


def test_max_dets_per_video_and_category():
    m = box(6, 6, 0, 3, 0, 3)
    gt = make_gt({1: (6, 6, 1)}, [gt_ann(1, 1, 1, [m])])
    other = box(6, 6, 4, 6, 4, 6)
    res = [pred(1, 1, 0.9, [other]) for _ in range(100)]
    res.append(pred(1, 1, 0.1, [m]))  # 101st by score: cut by maxDets 100
    assert ytvis_ap(gt, res)['AR100'] == 0.0
    res[-1]['score'] = 0.95
    stats = ytvis_ap(gt, res)
    assert stats['AR1'] == 1.0 and stats['AP'] == pytest.approx(1.0)


def test_ytvis_2022_is_mean_of_short_and_long(two_videos):
    res = gt_as_results(two_videos)
    res = [r for r in res if r['video_id'] == 1]  # long video 2 missed
    stats = ytvis_2022_ap(two_videos, res, long_video_ids=[2])
    assert stats['AP_short'] == pytest.approx(1.0)
    assert stats['AP_long'] == 0.0
    assert stats['AP'] == pytest.approx(0.5)


def test_rle_areas_more_than_255_masks():
    masks = np.zeros((3, 3, 300), np.uint8, order='F')
    masks[0, 0, 1::2] = 1
    rles = mask_utils.encode(masks)
    assert rle_areas(rles).sum() == 150
