# Copyright (c) mmvidseg contributors. All rights reserved.
"""Referring metrics: MTTR's A2D / JHMDB numbers and referring J&F."""
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmvidseg.structures.masks import encode_mask as rle
from mmvidseg.evaluation.functional.refer import (expression_jf,
                                                  masks_to_coco_predictions,
                                                  refer_a2d_metrics,
                                                  refer_jf_summary)


def a2d_gt(masks):
    h, w = masks[0].shape
    return dict(
        images=[dict(id=f'v_{i}', height=h, width=w)
                for i in range(len(masks))],
        annotations=[dict(id=i + 1, image_id=f'v_{i}', category_id=1,
                          iscrowd=0, segmentation=rle(m),
                          area=float(m.sum()),
                          bbox=list(mask_utils.toBbox(rle(m))))
                     for i, m in enumerate(masks)],
        categories=[dict(id=1, name='object')])


def test_a2d_gt_as_prediction():
    masks = [np.zeros((20, 30), bool) for _ in range(3)]
    for i, m in enumerate(masks):
        m[i:i + 8, 2 * i:2 * i + 10] = True
    preds = masks_to_coco_predictions(
        [f'v_{i}' for i in range(3)], [m[None] for m in masks],
        [[0.9]] * 3)
    out = refer_a2d_metrics(a2d_gt(masks), preds)
    assert out['mAP'] == pytest.approx(1.0) and out['AP50'] == 1.0
    assert out['P@0.9'] == 1.0 and out['overall_iou'] == 1.0
    assert out['mean_iou'] == 1.0


def test_a2d_float32_iou_top_score_and_missing_sample():
    big = np.zeros((50, 80), bool)
    big[:25, :80] = True  # 2000 px
    half = np.zeros_like(big)
    half[:25, :40] = True  # 1000 px, IoU 1/2
    gt = a2d_gt([big, big, big])
    preds = masks_to_coco_predictions(
        ['v_0', 'v_1', 'v_1'], [half[None], np.stack([half, big])],
        [[0.5], [0.7, 0.7]])  # tie: the last of the maxima is used
    out = refer_a2d_metrics(gt, preds)
    # sample 0: (1000 + 1e-6) / (2000 + 1e-6) is exactly 0.5 in float32, so
    # not > 0.5 (float64 would say 0.50000000025 and count it)
    assert out['P@0.5'] == pytest.approx(1 / 3)
    # sample 2 has no prediction: an empty mask, IoU 1e-6 / 2000
    assert out['overall_iou'] == pytest.approx(3000 / 6000)
    assert out['mean_iou'] == pytest.approx((0.5 + 1 + 0) / 3, abs=1e-6)
    with pytest.raises(KeyError, match="image_id 'nope'"):
        refer_a2d_metrics(gt, [dict(preds[0], image_id='nope')])
    assert refer_a2d_metrics(gt, [])['mAP'] == 0.0


def test_expression_jf_and_summary():
    gt = np.zeros((3, 10, 10), bool)
    gt[:, 2:6, 2:6] = True
    j, f = expression_jf(gt, gt.copy())
    assert (j == 1).all() and (f == 1).all()
    j0, f0 = expression_jf(gt, np.zeros_like(gt))
    assert (j0 == 0).all() and (f0 == 0).all()
    out = refer_jf_summary({'v/0': (j, f), 'v/1': (j0, f0)})
    assert out['J&F'] == 0.5 and out['per_expression']['v/1']['J'] == 0.0
