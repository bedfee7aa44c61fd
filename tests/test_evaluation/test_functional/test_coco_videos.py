# Copyright (c) mmvidseg contributors. All rights reserved.
"""COCO-Videos (Video-TTT): per-frame AP / PQ and frame-weighted means."""
import math

import numpy as np
import pytest

from mmvidseg.structures.masks import encode_mask as rle
from mmvidseg.evaluation.functional.coco_videos import (OFFICIAL_WEIGHTS,
                                                        coco_videos_summary,
                                                        frame_mask_ap,
                                                        frame_pq)


def test_frame_mask_ap_gt_as_prediction_and_empty_frame():
    m = np.zeros((20, 20), bool)
    m[2:10, 3:12] = True
    gt = dict(images=[dict(id=1, height=20, width=20),
                      dict(id=2, height=20, width=20)],
              annotations=[dict(id=i, image_id=i, category_id=1, iscrowd=0,
                                segmentation=rle(m), area=float(m.sum()),
                                bbox=[3, 2, 9, 8]) for i in (1, 2)],
              categories=[dict(id=1, name='a')])
    preds = [dict(image_id=1, category_id=1, segmentation=rle(m), score=1.)]
    out = frame_mask_ap(gt, preds)
    assert out[1] == pytest.approx(100.0)
    assert math.isnan(out[2])  # no predictions: detectron2 gives NaN


def test_frame_pq_hand_computed():
    gt = np.zeros((10, 10), np.int64)
    gt[:, :5] = 1  # thing, 50 px
    gt[:, 5:] = 2  # stuff, 50 px
    pred = np.zeros_like(gt)
    pred[:, :6] = 7  # IoU with 1: 50 / 60
    pred[:, 6:] = 8  # IoU with 2: 40 / 50
    cats = {1: dict(isthing=1), 2: dict(isthing=0)}
    gseg = [dict(id=1, category_id=1, area=50), dict(id=2, category_id=2,
                                                     area=50)]
    pseg = [dict(id=7, category_id=1), dict(id=8, category_id=2)]
    assert frame_pq(gt, pred, gseg, pseg, cats) == pytest.approx(
        100 * (50 / 60 + 40 / 50) / 2)
    assert frame_pq(gt, gt, gseg, [dict(id=1, category_id=1),
                                   dict(id=2, category_id=2)],
                    cats) == pytest.approx(100.0)


def test_summary_weights():
    per_video = {'bar': [10., 20.], 'paris': [40.]}
    out = coco_videos_summary(per_video)
    assert out['per_video'] == {'bar': 15.0, 'paris': 40.0}
    assert out['overall'] == pytest.approx((15 * 2 + 40) / 3)
    official = coco_videos_summary(per_video, 'official')
    wb, wp = OFFICIAL_WEIGHTS['bar'], OFFICIAL_WEIGHTS['paris']
    assert official['overall'] == pytest.approx((15 * wb + 40 * wp) /
                                                (wb + wp))
    with pytest.raises(KeyError, match='no official weight'):
        coco_videos_summary({'mine': [1.]}, 'official')
