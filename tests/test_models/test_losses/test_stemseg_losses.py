# Copyright (c) mmvidseg contributors. All rights reserved.
import math

import pytest
import torch
import torch.nn.functional as F

from mmvidseg.models.losses.stemseg_losses import (StemSegEmbeddingLoss,
                                                   StemSegSemsegLoss,
                                                   instance_masks_to_semseg,
                                                   lovasz_hinge_flat)


def test_lovasz_hinge_hand_made():
    assert lovasz_hinge_flat(torch.tensor([1., -1.]),
                             torch.tensor([1, 0])).item() == 0.
    assert lovasz_hinge_flat(torch.tensor([0., 0.]),
                             torch.tensor([1, 0])).item() == pytest.approx(1.)
    # errors [-1, 1.5], both positive labels: grad [.5, .5] -> 0.75
    assert lovasz_hinge_flat(torch.tensor([2., -.5]), torch.tensor(
        [1, 1])).item() == pytest.approx(0.75)
    assert lovasz_hinge_flat(torch.zeros(0), torch.zeros(0)).item() == 0.


def _map(emb, var, seed):
    """Per-pixel (E), (V), scalar lists -> (1, E + V + 1, 1, 1, P)."""
    chans = torch.cat([torch.tensor(emb).T, torch.tensor(var).T,
                       torch.tensor([seed])], 0)  # (C, P)
    return chans[None, :, None, None, :].float()


def test_embedding_loss_xyt_hand_made():
    loss = StemSegEmbeddingLoss(embedding_mode='xyt', free_dim_stds=())
    lv = math.log(0.1)  # bandwidth exp(lv) * 10 = 1
    emb_map = _map([[0., 0., 0.], [0.5, 0., 0.]], [[lv] * 3, [lv] * 3],
                   [0.5, 0.2])
    masks = [torch.tensor([[[[True, False]]]])]  # (I=1, T=1, H=1, W=2)
    ignore = [torch.zeros(1, 1, 2, dtype=torch.bool)]
    out = loss(emb_map, masks, ignore)
    p1 = math.exp(-0.5 * 0.25)
    # Lovasz on logits [1, 2 p1 - 1] vs [1, 0] equals p1 (see derivation)
    assert out['loss_lovasz'].item() == pytest.approx(p1, rel=1e-5)
    assert out['loss_smoothness'].item() == pytest.approx(0.)
    # ((0.5 - 1)^2 + 0.2^2) / (1 instance + 1)
    assert out['loss_seediness'].item() == pytest.approx(0.145, rel=1e-5)
    # ignored background pixel: its seediness term vanishes
    out = loss(emb_map, masks, [torch.ones(1, 1, 2, dtype=torch.bool)])
    assert out['loss_seediness'].item() == pytest.approx(0.125, rel=1e-5)


def test_embedding_loss_free_dims_and_smoothness():
    loss = StemSegEmbeddingLoss(embedding_mode='xyff')
    assert torch.allclose(loss.free_dim_bandwidths,
                          torch.full((1, 2), 1 / 0.09))
    # 3 pixels: 2 in the instance (raw variances 0 and 1), 1 outside that
    # differs only by 0.3 in a free dim from the centre -> d = 1
    emb_map = _map([[0., 0., 0., 0.], [0., 0., 0., 0.], [0., 0., 0.3, 0.]],
                   [[0., 0.], [1., 1.], [0., 0.]], [1., 1., 0.])
    masks = [torch.tensor([True, True, False]).view(1, 1, 1, 3)]
    out = loss(emb_map, masks, [torch.zeros(1, 1, 3, dtype=torch.bool)])
    # smoothness: mean((v - mean v)^2) = 0.25, weight 10
    assert out['loss_smoothness'].item() == pytest.approx(2.5)
    p_out = math.exp(-0.5)
    # logits [1, 1, 2 p - 1] vs [1, 1, 0]: only the negative pixel errs, by
    # 2p; Lovasz grad of the first sorted (negative) error is 1/3
    assert out['loss_lovasz'].item() == pytest.approx(2 * p_out / 3,
                                                      rel=1e-5)


def test_embedding_loss_empty_and_checks():
    loss = StemSegEmbeddingLoss(embedding_mode='xyff')
    emb_map = torch.randn(2, 7, 2, 4, 4, requires_grad=True)
    masks = [torch.zeros(0, 2, 4, 4, dtype=torch.bool),
             torch.zeros(1, 2, 4, 4, dtype=torch.bool)]  # empty instance
    ignore = [torch.zeros(2, 4, 4, dtype=torch.bool)] * 2
    out = loss(emb_map, masks, ignore)
    total = sum(out.values())
    assert total.item() == 0.
    total.backward()
    assert emb_map.grad is not None
    with pytest.raises(ValueError, match='channels'):
        loss(torch.zeros(1, 6, 2, 4, 4), masks[:1], ignore[:1])
    with pytest.raises(ValueError, match='free_dim_stds'):
        StemSegEmbeddingLoss(embedding_mode='xyt', free_dim_stds=(0.3, ))


def test_semseg_targets_and_loss():
    masks = torch.zeros(2, 1, 2, 2, dtype=torch.bool)
    masks[0, 0, 0, :] = True
    masks[1, 0, :, 0] = True
    sem = instance_masks_to_semseg(masks, torch.tensor([3, 1]))
    assert sem.tolist() == [[[3, 3], [1, 0]]]  # overlap -> larger id
    assert instance_masks_to_semseg(
        torch.zeros(0, 2, 3, 3, dtype=torch.bool),
        torch.zeros(0)).shape == (2, 3, 3)
    logits = torch.randn(1, 5, 1, 2, 2)  # 3 classes + bg + fg channel
    ignore = torch.tensor([[[True, False], [False, False]]])
    out = StemSegSemsegLoss()(logits, [sem], [ignore])
    # parity quirk: CE is the plain mean, the ignore mask does not apply
    ce = F.cross_entropy(logits[0, :4].permute(1, 0, 2, 3), sem)
    assert out['loss_semseg'].item() == pytest.approx(ce.item(), rel=1e-6)
    bce = F.binary_cross_entropy_with_logits(
        logits[0, 4, 0], (sem[0] > 0).float(), reduction='none')
    assert out['loss_fg'].item() == pytest.approx(
        bce[~ignore[0]].mean().item(), rel=1e-6)
