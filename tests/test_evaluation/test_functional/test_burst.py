# Copyright (c) mmvidseg contributors. All rights reserved.
import numpy as np
import pytest

from mmvidseg.structures.masks import encode_mask
from mmvidseg.evaluation.functional.burst import evaluate_burst

from ._mots_objects import _box


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
