# Copyright (c) mmvidseg contributors. All rights reserved.
import math

import pytest
import torch

from mmvidseg.models.losses.mttr_loss import (MTTRCriterion,
                                              match_instance_sequences,
                                              referred_targets,
                                              sequence_dice_coef)
from mmvidseg.registry import MODELS


def test_referred_targets():
    target = referred_targets(3, 2, 1, torch.tensor([True, False, True]),
                              'cpu')
    expected = torch.tensor([[[0., 1.], [1., 0.]], [[0., 1.], [0., 1.]],
                             [[0., 1.], [1., 0.]]])
    assert torch.equal(target, expected)
    assert (referred_targets(2, 2, 0, None, 'cpu')[:, 0, 0] == 1).all()


def test_sequence_dice_coef():
    gt = torch.zeros(2, 1, 4, 4)
    gt[:, 0, :2] = 1
    perfect = (gt * 2 - 1) * 50  # (T, Q=1, H, W) logits
    coef = sequence_dice_coef(perfect, gt)
    torch.testing.assert_close(coef, torch.ones(1, 1))
    # all-background prediction: dice = (0 + 1) / (8 + 1) every frame
    coef = sequence_dice_coef(torch.full((2, 1, 4, 4), -50.), gt)
    torch.testing.assert_close(coef, torch.full((1, 1), 1 / 9))


def _clip():
    gt = torch.zeros(2, 2, 8, 8)  # (T, K, H, W)
    gt[:, 0, :4] = 1
    gt[:, 1, 4:, 4:] = 1
    masks = torch.full((2, 5, 8, 8), -20.)  # (T, Q, H, W)
    masks[:, 3] = (gt[:, 0] * 2 - 1) * 20
    masks[:, 1] = (gt[:, 1] * 2 - 1) * 20
    logits = torch.zeros(2, 5, 2)
    return masks, logits, gt


def test_matching_follows_masks():
    masks, logits, gt = _clip()
    rows, cols = match_instance_sequences(masks, logits, gt, 1, None)
    assert rows.tolist() == [1, 3] and cols.tolist() == [1, 0]


def test_equal_masks_referred_goes_to_the_referred_query():
    """Where two queries' masks fit both objects equally (early training,
    or one mask covering both), the ``cost_is_referred`` term gives the
    referred instance to the query that already says "referred", whichever
    instance the sentence names: p(referred) then gets no sentence-dependent
    target (the "one referred query per video" state of the toy runs,
    configs/mttr/README.md); with ``cost_is_referred=0`` the assignment
    does not depend on which instance is referred."""
    gt = torch.zeros(2, 2, 8, 8)  # (T, K, H, W)
    gt[:, 0, :4] = 1
    gt[:, 1, 4:] = 1
    masks = torch.full((2, 4, 8, 8), -20.)  # (T, Q, H, W)
    masks[:, 0] = masks[:, 2] = 0.  # p = 0.5 everywhere: equal dice
    logits = torch.zeros(2, 4, 2)
    logits[:, 2] = torch.tensor([3., -3.])  # query 2 says "referred"
    for referred in (0, 1):
        rows, cols = match_instance_sequences(masks, logits, gt, referred,
                                              None)
        assert rows[cols == referred].item() == 2
    # mask-only matching: the same assignment whichever one is referred
    pairs = [match_instance_sequences(masks, logits, gt, referred, None,
                                      cost_is_referred=0.)
             for referred in (0, 1)]
    assert [r.tolist() for r in pairs[0]] == [r.tolist() for r in pairs[1]]


def test_loss_values_hand_computed():
    masks, logits, gt = _clip()
    crit = MODELS.build(dict(type='MTTRCriterion'))
    out = dict(pred_masks=masks[None].requires_grad_(),
               pred_is_referred=logits[None].requires_grad_())
    losses = crit([out, out], [gt], [1])
    assert set(losses) == {'loss_is_referred', 'loss_sigmoid_focal',
                           'loss_dice', 'loss_is_referred_0',
                           'loss_sigmoid_focal_0', 'loss_dice_0'}
    # uniform logits: every (frame, query) costs ln 2; weight 1 for the
    # referred query, 0.1 for the 4 others; / (B*T); x 2
    expected = 2 * math.log(2) * (1 + 4 * 0.1)
    assert losses['loss_is_referred'].item() == pytest.approx(expected,
                                                              rel=1e-5)
    assert losses['loss_dice'].item() < 1e-6
    assert losses['loss_sigmoid_focal'].item() < 1e-6
    sum(losses.values()).backward()
    assert out['pred_is_referred'].grad.abs().sum() > 0


def test_visibility_and_unmatched_referred():
    masks, logits, gt = _clip()
    logits[:, 1] = torch.tensor([3., -3.])  # query 1 says "referred"
    crit = MTTRCriterion()
    out = dict(pred_masks=masks[None], pred_is_referred=logits[None])
    seen = crit([out], [gt], [1], [torch.tensor([True, True])])
    hidden = crit([out], [gt], [1], [torch.tensor([True, False])])
    # in the frame where the referred object is hidden, "referred" is wrong
    assert hidden['loss_is_referred'] > seen['loss_is_referred']
    # one query for two instances: it takes the smaller one (higher dice
    # of an empty prediction), the referred instance 0 is left unmatched
    with pytest.raises(ValueError, match='not matched'):
        crit([dict(pred_masks=masks[None, :, :1],
                   pred_is_referred=logits[None, :, :1])], [gt], [0])
