# Copyright (c) mmvidseg contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmvidseg.structures.refer_sample import (as_int_or_str, frame_key,
                                              pred_masks_scores)


def _frame(**pred):
    return dict(video_id='v', exp_id=torch.tensor(3), frame_id=None,
                ori_shape=(4, 5), pred_track_instances=pred)


def test_pred_masks_scores_shapes_and_defaults():
    masks = np.zeros((2, 4, 5), bool)
    masks[0, 1:3, 1:4] = True
    got, scores, raw = pred_masks_scores(
        _frame(masks=torch.from_numpy(masks), scores=torch.tensor([.9, .2])),
        (4, 5))
    assert got.shape == (2, 4, 5) and got.dtype == bool
    assert np.array_equal(got, masks)
    assert scores.dtype == np.float64
    np.testing.assert_allclose(scores, [0.9, 0.2], rtol=1e-6)
    assert set(raw) == {'masks', 'scores'}
    # one mask without scores: score 1; two masks without scores: an error
    _, scores, _ = pred_masks_scores(_frame(masks=masks[:1]), (4, 5))
    assert scores.tolist() == [1.0]
    with pytest.raises(KeyError, match='no "scores"'):
        pred_masks_scores(_frame(masks=masks), (4, 5))
    with pytest.raises(ValueError, match='2 predicted masks but 1 scores'):
        pred_masks_scores(_frame(masks=masks, scores=np.ones(1)), (4, 5))
    with pytest.raises(KeyError, match='neither'):
        pred_masks_scores(dict(video_id='v'), (4, 5))


def test_frame_key_and_ids():
    assert as_int_or_str(np.int64(7)) == 7
    assert type(as_int_or_str(np.int64(7))) is int
    assert as_int_or_str('a') == 'a'
    # frame_id defaults to the index in the video
    assert frame_key(_frame(), 5) == ('v', 3, 5)
    assert frame_key(dict(_frame(), frame_id=torch.tensor(2)), 5) == (
        'v', 3, 2)
    with pytest.raises(KeyError, match='exp_id'):
        frame_key(dict(video_id='v'), 0)
