# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

from mmvidseg.models.losses.tarvis_losses import (TarViSInstanceLoss,
                                                  TarViSSemanticLoss,
                                                  instance_masks_to_semantic)
from mmvidseg.models.losses.tarvis_matcher import (TarViSHungarianMatcher,
                                                   sample_uncertain_points)


def square_masks(num_frames=2, size=32):
    """Two GT tracks: left half and right half of every frame."""
    m = torch.zeros(2, num_frames, size, size, dtype=torch.bool)
    m[0, :, :, :size // 2] = True
    m[1, :, :, size // 2:] = True
    return m


def logits_from_masks(masks, scale=8.0):
    """1/4-resolution logits that agree with ``masks``."""
    small = F.interpolate(masks.float(), scale_factor=0.25)
    return (small * 2 - 1) * scale


def test_matcher_recovers_a_permutation():
    torch.manual_seed(0)
    gt = square_masks()
    pred = torch.full((4, 2, 8, 8), -8.0)
    pred[3], pred[1] = logits_from_masks(gt)  # query 3 = gt 0, query 1 = gt 1
    cls = torch.zeros(4, 1 + 3)
    rows, cols = TarViSHungarianMatcher(num_points=256).match_single(
        pred, cls, gt, torch.tensor([2, 1]))
    assert dict(zip(cols.tolist(), rows.tolist())) == {0: 3, 1: 1}


def test_matcher_class_cost_breaks_mask_ties():
    torch.manual_seed(0)
    gt = square_masks()[:1]
    pred = logits_from_masks(square_masks()[[0, 0]])  # two identical masks
    cls = torch.zeros(2, 4)
    cls[1, 2] = 5.0  # query 1 confident of class 2
    rows, cols = TarViSHungarianMatcher(num_points=128).match_single(
        pred, cls, gt, torch.tensor([2]))
    assert rows.tolist() == [1] and cols.tolist() == [0]


def frame_masks(size=32):
    """Two GT tracks with no spatial boundary: track 0 fills frame 0, track
    1 fills frame 1 (point-sampled losses are then exact)."""
    m = torch.zeros(2, 2, size, size, dtype=torch.bool)
    m[0, 0] = m[1, 1] = True
    return m


def test_instance_loss_values_and_keys():
    torch.manual_seed(0)
    gt = frame_masks()
    good = torch.full((2, 1, 4, 2, 8, 8), -8.0)  # (L, B, Q, T, h, w)
    good[:, 0, 0, 0] = good[:, 0, 2, 1] = 8.0  # q0 = track 0, q2 = track 1
    cls = torch.full((2, 1, 4, 4), -4.0)
    cls[:, 0, 0, 2] = cls[:, 0, 2, 1] = 4.0
    cls[:, 0, [1, 3], 0] = 4.0
    loss = TarViSInstanceLoss(num_points=256)
    losses = loss(good, cls, [gt], [torch.tensor([2, 1])])
    assert set(losses) == {
        'loss_mask_ce', 'loss_mask_dice', 'loss_cls', 'd0.loss_mask_ce',
        'd0.loss_mask_dice', 'd0.loss_cls'
    }
    # point_sample pads with zeros (detectron2), so points within half a
    # logit pixel of the border see damped logits: small, not zero
    assert losses['loss_mask_ce'] < 1.0 and losses['loss_mask_dice'] < 2.0
    assert losses['loss_cls'] < 0.01
    # swapped masks: BCE = 8 + log(1 + e^-8) away from the border, weight 5,
    # normalised by num_gt * T = 4 over the 2 x 2 (mask, frame) rows
    bad = good.clone()
    bad[:, 0, [0, 2]] = good[:, 0, [2, 0]]
    swapped = TarViSInstanceLoss(num_points=256, matcher_costs=dict(
        cost_mask=0.0, cost_dice=0.0))(bad, cls, [gt],
                                       [torch.tensor([2, 1])])
    expected = 5 * (8 + torch.log1p(torch.exp(torch.tensor(-8.0))))
    assert 0.7 * expected < swapped['loss_mask_ce'] < expected
    assert swapped['loss_mask_dice'] > 4.9  # 5 x dice ~1


def test_background_weight_and_empty_targets():
    torch.manual_seed(0)
    mask_logits = torch.randn(1, 2, 3, 2, 8, 8, requires_grad=True)
    cls = torch.randn(1, 2, 3, 4, requires_grad=True)
    empty = [torch.zeros(0, 2, 32, 32, dtype=torch.bool)] * 2
    labels = [torch.zeros(0, dtype=torch.long)] * 2
    losses = TarViSInstanceLoss(num_points=64)(mask_logits, cls, empty,
                                               labels)
    assert losses['loss_mask_ce'].item() == 0.0
    # all queries -> background; the weight cancels in the weighted mean
    expected = 2.0 * F.cross_entropy(cls[0].flatten(0, 1),
                                     torch.zeros(6, dtype=torch.long))
    torch.testing.assert_close(losses['loss_cls'], expected)
    sum(losses.values()).backward()
    assert mask_logits.grad is not None and cls.grad.abs().sum() > 0


def test_class_loss_weights_background_0_1():
    loss = TarViSInstanceLoss(num_points=16)
    logits = torch.randn(1, 2, 3)
    indices = [(torch.tensor([1]), torch.tensor([0]))]
    got = loss.class_loss(logits, [torch.tensor([2])], indices)
    ce = F.cross_entropy(logits[0], torch.tensor([0, 2]), reduction='none')
    torch.testing.assert_close(got, (0.1 * ce[0] + ce[1]) / 1.1)


def test_gt_resolution_is_checked():
    loss = TarViSInstanceLoss(num_points=16)
    with pytest.raises(ValueError, match='4h, 4w'):
        loss(torch.zeros(1, 1, 2, 1, 8, 8), torch.zeros(1, 1, 2, 3),
             [torch.zeros(1, 1, 16, 16)], [torch.tensor([1])])


def test_semantic_rasterisation_small_objects_win():
    big = torch.zeros(1, 8, 8, dtype=torch.bool)
    big[:, :6, :6] = True
    small = torch.zeros(1, 8, 8, dtype=torch.bool)
    small[:, 2:4, 2:4] = True
    sem = instance_masks_to_semantic([torch.stack([small, big])],
                                     [torch.tensor([3, 1])])
    assert sem.shape == (1, 1, 8, 8)
    assert sem[0, 0, 2, 2] == 3 and sem[0, 0, 0, 0] == 1
    assert sem[0, 0, 7, 7] == 0


def test_semantic_loss_vis_and_vps():
    torch.manual_seed(0)
    gt = torch.zeros(2, 2, 32, 32, dtype=torch.long)  # (B, T, H, W)
    gt[:, 1] = 2  # frame 0: class 0, frame 1: class 2
    logits = torch.full((3, 2, 3, 2, 8, 8), -5.0)  # (L, B, K, T, h, w)
    logits[:, :, 0, 0] = 5.0
    logits[:, :, 2, 1] = 5.0
    vis = TarViSSemanticLoss(num_points=128, loss_weight=2.0)
    out = vis(logits, gt)
    assert set(out) == {'loss_sem_ce', 'd0.loss_sem_ce', 'd1.loss_sem_ce'}
    # damped logits near the border (zero padding) cost up to 2 * log 3
    assert out['loss_sem_ce'] < 2.0
    assert vis(-logits, gt)['loss_sem_ce'] > 10 * out['loss_sem_ce']
    # VPS: a wrong prediction on void pixels costs nothing
    ignore = torch.zeros_like(gt, dtype=torch.bool)
    ignore[:, 0] = True
    wrong_frame0 = logits.clone()
    wrong_frame0[:, :, :, 0] *= -1
    vps = TarViSSemanticLoss(num_points=128, loss_name='loss_pan_sem_ce')
    masked = vps(wrong_frame0, gt, ignore)['loss_pan_sem_ce']
    assert masked < 2.0
    assert vps(wrong_frame0, gt)['loss_pan_sem_ce'] > 3 * masked
    with pytest.raises(ValueError, match='outside'):
        vis(logits, gt + 5)


def test_uncertain_points_prefer_the_boundary():
    torch.manual_seed(0)
    ramp = torch.linspace(-8, 8, 16)  # |logit| smallest at x = 0.5
    logits = ramp.view(1, 1, 1, 16).expand(1, 1, 16, 16)
    coords = sample_uncertain_points(logits, lambda x: -x.abs(), 64, 3, 1.0)
    assert coords.shape == (1, 64, 2)
    # (a few points at the top / bottom border: zero padding damps them)
    assert ((coords[0, :, 0] - 0.5).abs() < 0.25).float().mean() > 0.9
    uniform = sample_uncertain_points(logits, lambda x: -x.abs(), 64, 3, 0.0)
    assert ((uniform[0, :, 0] - 0.5).abs() > 0.25).any()
