# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest
import torch

from mmvidseg.models.losses.tarvis_vos_loss import (TarViSVOSLoss,
                                                    condense_object_logits)


def test_condense_is_max_over_each_objects_queries():
    x = torch.randn(2, 11, 3, 4, 4)
    out = condense_object_logits(x, [8, 1, 2], 1)
    assert out.shape == (2, 3, 3, 4, 4)
    assert torch.equal(out[:, 0], x[:, :8].max(1).values)
    assert torch.equal(out[:, 1], x[:, 8])
    assert torch.equal(out[:, 2], x[:, 9:].max(1).values)
    with pytest.raises(ValueError, match='do not add up'):
        condense_object_logits(x, [8, 1], 1)


def _gt():
    gt = torch.zeros(2, 1, 16, 16, dtype=torch.bool)  # 2 objects, T=1
    gt[0, 0, :8] = True
    gt[1, 0, 8:, :8] = True
    return gt


def test_vos_loss_prefers_the_right_masks_and_background():
    torch.manual_seed(0)
    gt = _gt()
    bg = ~gt.any(0, keepdim=True)
    target = torch.cat([bg, gt]).float()  # (3, 1, 16, 16)
    small = torch.nn.functional.avg_pool2d(target, 4)  # (3, 1, 4, 4)
    good = (small * 2 - 1) * 10  # confident right logits at 1/4
    loss = TarViSVOSLoss(num_points=64)
    ok = loss(good[None, None], [gt])
    bad = loss(-good[None, None], [gt])
    swapped = loss(good[None, None][:, :, [0, 2, 1]], [gt])
    assert set(ok) == {'loss_vos_ce', 'loss_vos_dice'}
    for k in ok:
        assert ok[k] < 0.3 * bad[k]
        assert swapped[k] > 2 * ok[k]  # objects are not matched
    two = loss(torch.stack([good, -good])[:, None], [gt])
    assert set(two) == {'d0.loss_vos_ce', 'd0.loss_vos_dice',
                        'loss_vos_ce', 'loss_vos_dice'}


def test_vos_loss_batch_is_mean_of_clips_and_counts_checked():
    # importance 1 / oversample 1: the points are one rand(rows, P, 2) draw,
    # so clip b of the batch sees the rows 3b..3b+2 of the same stream
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 1, 4, 4)
    gts = [_gt(), _gt().flip(-1)]
    loss = TarViSVOSLoss(num_points=32, oversample_ratio=1.0,
                         importance_sample_ratio=1.0)
    torch.manual_seed(5)
    both = loss(logits[None], gts)
    torch.manual_seed(5)
    one = [loss(logits[None, :1], gts[:1])]
    one.append(loss(logits[None, 1:], gts[1:]))  # continues the stream
    for k in both:
        assert torch.allclose(both[k], (one[0][k] + one[1][k]) / 2,
                              atol=1e-6)
    with pytest.raises(ValueError, match='same number of objects'):
        loss(logits[None], [gts[0], gts[1][:1]])
