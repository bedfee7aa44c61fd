# Copyright (c) mmvidseg contributors. All rights reserved.
"""Mask2FormerTTT (Video-TTT): the two passes, losses, gradients, outputs."""
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import InstanceData, PixelData

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()

ROOT = Path(__file__).parents[3]
TINY_CFG = ROOT / 'configs/video_ttt/video-ttt_r18-b16-tiny_toy.py'
H, W = 64, 96  # padded size
IMG = (60, 90)  # image size inside the padding


@pytest.fixture(autouse=True, scope='module')
def one_thread():
    """Tiny tensors: one intra-op thread avoids oversubscription on a
    shared machine (2 threads were 8x slower under load)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def build_tiny(test_cfg=None, classes=(3, 0), **overrides):
    init_default_scope('mmvidseg')
    torch.manual_seed(0)
    cfg = copy.deepcopy(Config.fromfile(TINY_CFG).model)
    things, stuff = classes
    cfg.panoptic_head.num_things_classes = things
    cfg.panoptic_head.num_stuff_classes = stuff
    cfg.panoptic_head.loss_cls.class_weight = [1.0] * (things + stuff) + [0.1]
    cfg.panoptic_fusion_head.num_things_classes = things
    cfg.panoptic_fusion_head.num_stuff_classes = stuff
    if test_cfg:
        cfg.test_cfg.update(test_cfg)
    cfg.update(overrides)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def make_batch(seed=0, sem=False):
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randn(2, 3, H, W, generator=g)
    inputs[..., IMG[0]:, :] = 0  # padding is 0 after normalisation
    inputs[..., IMG[1]:] = 0
    samples = []
    for i in range(2):
        s = DetDataSample(metainfo=dict(
            img_shape=IMG, ori_shape=(30, 45), pad_shape=(H, W),
            batch_input_shape=(H, W), scale_factor=(0.5, 0.5)))
        m = np.zeros((1, H, W), np.uint8)
        m[0, 10 + i:30, 20:50] = 1
        gi = InstanceData(
            masks=BitmapMasks(m, H, W), labels=torch.tensor([1]),
            bboxes=torch.tensor([[20., 10., 50., 30.]]))
        s.gt_instances = gi
        if sem:
            seg = torch.zeros(1, H, W, dtype=torch.long)
            seg[0, 10:30, 20:50] = 2
            seg[0, IMG[0]:] = 255
            s.gt_sem_seg = PixelData(sem_seg=seg)
            s.gt_instances = InstanceData(
                masks=BitmapMasks(np.zeros((0, H, W), np.uint8), H, W),
                labels=torch.zeros(0, dtype=torch.long),
                bboxes=torch.zeros(0, 4))
        samples.append(s)
    return inputs, samples


def _capture_backbone_input(model):
    seen = []
    orig = model.backbone.forward

    def hook(x):
        seen.append(x.detach().clone())
        return orig(x)

    model.backbone.forward = hook
    return seen


def test_segmentation_pass_uses_ones_mask():
    model = build_tiny().eval()
    inputs, samples = make_batch()
    seen = _capture_backbone_input(model)
    with torch.no_grad():
        model.predict(inputs, samples)
    assert len(seen) == 1 and seen[0].shape == (2, 4, H, W)
    assert torch.equal(seen[0][:, :3], inputs)
    assert torch.all(seen[0][:, 3] == 1)  # padding included


def test_reconstruction_pass_input_and_loss_value():
    model = build_tiny().eval()
    inputs, _ = make_batch()
    masks = model.patch_mask(2, H, W, torch.Generator().manual_seed(0))
    seen = _capture_backbone_input(model)
    loss = model.loss_recon(inputs, masks)['loss_recon']
    x = seen[0]
    assert torch.equal(x[:, :3], inputs * masks) and torch.equal(
        x[:, 3:], masks)
    assert torch.all(x[:, :3][masks.expand(-1, 3, -1, -1) == 0] == 0)
    recon = model.recon_forward(inputs, masks)
    assert recon.shape == (2, 3, H, W)
    # official ReconCriterion: mean over (C, H, W), then over the batch
    expect = ((recon - inputs)**2).mean(dim=(1, 2, 3)).mean()
    assert torch.allclose(loss, expect, rtol=1e-6)
    model.ttt_cfg.recon_masked_only = True
    loss_m = model.loss_recon(inputs, masks)['loss_recon']
    hidden = (1 - masks).expand(-1, 3, -1, -1).bool()
    expect_m = torch.stack([((recon[b] - inputs[b])**2)[hidden[b]].mean()
                            for b in range(2)]).mean()
    assert torch.allclose(loss_m, expect_m, rtol=1e-5)
    model.ttt_cfg.recon_masked_only = False
    model.ttt_cfg.recon_loss_weight = 2.0
    assert torch.allclose(model.loss_recon(inputs, masks)['loss_recon'],
                          2 * expect, rtol=1e-6)


def test_loss_recon_grads_reach_backbone_and_recon_head_only():
    model = build_tiny().train()
    inputs, _ = make_batch()
    masks = model.patch_mask(2, H, W)
    model.loss_recon(inputs, masks)['loss_recon'].backward()
    got = {n.split('.')[0] for n, p in model.named_parameters()
           if p.grad is not None and p.grad.abs().sum() > 0}
    assert got == {'backbone', 'recon_head'}
    assert all(p.grad is None for p in model.panoptic_head.parameters())
    assert model.backbone.conv1.weight.grad[:, 3].abs().sum() > 0


def test_joint_loss_and_switch():
    model = build_tiny().train()
    inputs, samples = make_batch()
    losses = model.loss(inputs, samples)
    assert {'loss_cls', 'loss_mask', 'loss_dice', 'loss_recon'} <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())
    model.ttt_cfg.joint_recon_loss = False
    assert 'loss_recon' not in model.loss(inputs, samples)


def test_semantic_joint_loss():
    model = build_tiny(classes=(0, 4), test_cfg=dict(
        instance_on=False, semantic_on=True)).train()
    inputs, samples = make_batch(sem=True)
    losses = model.loss(inputs, samples)
    assert {'loss_cls', 'loss_recon'} <= set(losses)
    assert all(torch.isfinite(v) for v in losses.values())


def test_patch_mask_like_pads_with_zero():
    model = build_tiny()
    _, samples = make_batch()
    masks = model.patch_mask_like(samples, (H, W),
                                  torch.Generator().manual_seed(0))
    assert masks.shape == (2, 1, H, W)
    assert masks[..., IMG[0]:, :].sum() == 0 and masks[..., IMG[1]:].sum() == 0
    # ceil(60/16) x ceil(90/16) = 4 x 6 patches, int(24 * 0.15) = 3 kept
    assert masks.sum().item() > 0
    assert masks[:, :, :IMG[0], :IMG[1]].mean() < 0.2


@pytest.mark.parametrize('mode', ['instance', 'panoptic', 'semantic'])
def test_predict_shapes(mode):
    cfgs = dict(
        instance=((3, 0), dict(instance_on=True)),
        panoptic=((3, 2), dict(panoptic_on=True, instance_on=True)),
        semantic=((0, 4), dict(instance_on=False, semantic_on=True)))
    classes, test_cfg = cfgs[mode]
    model = build_tiny(test_cfg=test_cfg, classes=classes).eval()
    inputs, samples = make_batch()
    with torch.no_grad():
        out = model.predict(inputs, samples)
    assert len(out) == 2
    if mode == 'instance':
        inst = out[0].pred_instances
        assert inst.masks.shape == (10, 30, 45)  # max_per_image 10
        assert inst.scores.shape == (10, ) and inst.labels.max() < 3
    elif mode == 'panoptic':
        assert out[0].pred_panoptic_seg.sem_seg.shape == (1, 30, 45)
        assert out[0].pred_instances.labels.lt(3).all()
    else:
        sem = out[0].pred_sem_seg.sem_seg
        assert sem.shape == (1, 30, 45) and sem.max() < 4


def test_reconstruct_range_and_no_recon_head():
    model = build_tiny().eval()
    inputs, _ = make_batch()
    masks = model.patch_mask(2, H, W)
    rec = model.reconstruct(inputs, masks)
    assert rec.shape == (2, 3, H, W)
    assert rec.min() >= 0 and rec.max() <= 255
    seg_only = build_tiny(recon_head=None)
    assert not seg_only.has_recon_head and model.has_recon_head
    assert not any(k.startswith('recon_head.')
                   for k in seg_only.state_dict())
    with pytest.raises(RuntimeError, match='no recon_head'):
        seg_only.loss_recon(inputs, masks)


def test_bad_inputs():
    model = build_tiny()
    inputs, _ = make_batch()
    with pytest.raises(ValueError, match=r'\(B, 1, H, W\)'):
        model.loss_recon(inputs, torch.ones(2, 1, H, W - 4))
    with pytest.raises(ValueError, match='multiple of recon_patch_size'):
        model.loss_recon(inputs[..., :62], torch.ones(2, 1, H, 62))
    with pytest.raises(ValueError, match=r'\(B, 3, H, W\)'):
        model.extract_feat(torch.zeros(1, 4, H, W))
    init_default_scope('mmvidseg')
    cfg = copy.deepcopy(Config.fromfile(TINY_CFG).model)
    cfg.backbone.in_channels = 3
    with pytest.raises(ValueError, match='in_channels=4'):
        MODELS.build(cfg)
