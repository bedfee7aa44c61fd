# Copyright (c) mmvidseg contributors. All rights reserved.
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

from ._tevit_tiny import batch, build_tiny, tiny_model_cfg

register_all_modules()
ROOT = Path(__file__).parents[3]
TINY_CFG = ROOT / 'configs/tevit/tevit_msgshift-tiny_1xb4-toy.py'


def test_loss_keys_and_values():
    model = build_tiny().train()
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    assert model.roi_head.num_stages == 4
    assert set(losses) == {
        f's{s}.{k}'
        for s in range(4)
        for k in ('loss_cls', 'loss_bbox', 'loss_iou', 'loss_mask', 'pos_acc')
    }
    assert all(torch.isfinite(v).all() for v in losses.values())


def test_loss_without_annotated_instances():
    model = build_tiny().train()
    inputs, samples = batch(with_objects=False)
    losses = model.loss(inputs, samples)
    total = sum(v for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    total.backward()  # no positive query: only the background focal loss
    assert losses['s0.loss_bbox'].item() == 0.0


def test_a_few_iterations_decrease_the_loss():
    model = build_tiny().train()
    optim = torch.optim.AdamW(model.parameters(), lr=2e-3)
    inputs, samples = batch(num_clips=1, num_frames=2)
    history = []
    for _ in range(6):
        losses = model.loss(inputs, copy.deepcopy(samples))
        total = sum(v for k, v in losses.items() if 'loss' in k)
        optim.zero_grad()
        total.backward()
        optim.step()
        history.append(total.item())
    assert np.mean(history[-2:]) < 0.8 * np.mean(history[:2]), history


def test_predict_whole_video():
    model = build_tiny().eval()
    inputs, samples = batch(num_clips=1, num_frames=4)
    with torch.no_grad():
        out = model.predict(inputs, samples)
    assert len(out) == 1 and len(out[0]) == 4
    preds = [f.pred_track_instances for f in out[0]]
    for p in preds:
        assert p.masks.dtype == torch.bool
        assert p.masks.shape == (10, 64, 64)
        assert p.bboxes.shape == (10, 4)
        assert p.instances_id.tolist() == list(range(10))
    # video-level scores and labels: identical in every frame, sorted
    for p in preds[1:]:
        torch.testing.assert_close(p.scores, preds[0].scores)
        assert torch.equal(p.labels, preds[0].labels)
    assert torch.all(preds[0].scores[:-1] >= preds[0].scores[1:])


def test_frame_averaged_topk_matches_manual_computation():
    model = build_tiny().eval()
    inputs, samples = batch(num_clips=1, num_frames=3)
    frames = samples[0].video_data_samples
    with torch.no_grad():
        x = model.extract_feat(inputs[0], 3)
        rpn = model.rpn_head.predict(x, frames)
        head = model.roi_head
        props = [r.bboxes for r in rpn]
        feats = torch.stack([r.features for r in rpn])
        metas = [f.metainfo for f in frames]
        from mmdet.structures.bbox import bbox2roi
        for stage in range(head.num_stages):
            res = head._bbox_forward(stage, x, bbox2roi(props), feats, metas,
                                     3)
            feats, props = res['object_feats'], res['detached_proposals']
        video = res['cls_score'].sigmoid().mean(0).flatten()
        expected = video.topk(10).values
        out = model.predict(inputs, samples)
    torch.testing.assert_close(
        out[0][0].pred_track_instances.scores, expected)


def test_non_messenger_backbone_and_bad_inputs():
    cfg = tiny_model_cfg()
    cfg.backbone = dict(
        type='ResNet',
        depth=18,
        base_channels=8,
        out_indices=(0, 1, 2, 3),
        norm_cfg=dict(type='BN', requires_grad=True),
        init_cfg=None)
    cfg.neck.in_channels = [8, 16, 32, 64]
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()  # whole-image initial proposals
    model.eval()
    assert not model.with_messengers
    inputs, samples = batch(num_clips=1, num_frames=2)
    with torch.no_grad():
        out = model.predict(inputs, samples)
    assert len(out[0]) == 2
    with pytest.raises(ValueError, match=r'\(N, T, C, H, W\)'):
        model.predict(inputs[0], samples)
    with pytest.raises(ValueError, match='batch size 1'):
        model.predict(torch.cat([inputs, inputs]), samples * 2)
    with pytest.raises(ValueError, match='has 2 frame samples'):
        model.loss(torch.cat([inputs, inputs], 1), samples)


def test_toy_config_is_consistent():
    cfg = Config.fromfile(TINY_CFG)
    model_cfg = cfg.model
    num_queries = model_cfg.rpn_head.num_proposals
    num_classes = model_cfg.roi_head.bbox_head.num_classes
    # the video top-k over (query, class) pairs must find max_per_img tracks
    assert num_queries * num_classes >= model_cfg.test_cfg.rcnn.max_per_img
    assert model_cfg.roi_head.mask_head.num_classes == num_classes
    sampler = cfg.train_dataloader.dataset.pipeline[0]
    assert sampler.type == 'VideoClipSample'
    assert sampler.num_frames == cfg.num_frames >= 2  # temporal exchange
    widths = [model_cfg.backbone.embed_dims * 2**i for i in range(4)]
    assert model_cfg.neck.in_channels == widths
    step = cfg.param_scheduler[1].milestones[0]
    assert 0 < step < cfg.train_cfg.max_iters == cfg.max_iters


def test_one_head_dict_stands_for_every_stage():
    """The OVIS config overrides only ``num_classes`` of the base heads."""
    cfg = Config.fromfile(ROOT / 'configs/tevit/tevit_msgshift_8xb2-9200i_ovis.py')
    roi_cfg = copy.deepcopy(cfg.model.roi_head)
    roi_cfg.update(train_cfg=cfg.model.train_cfg.rcnn,
                   test_cfg=cfg.model.test_cfg.rcnn)
    roi_head = MODELS.build(roi_cfg)
    assert roi_head.num_stages == len(roi_head.bbox_head) == \
        len(roi_head.mask_head) == len(roi_head.bbox_assigner) == 6
    for bbox_head, mask_head in zip(roi_head.bbox_head, roi_head.mask_head):
        assert bbox_head.num_classes == mask_head.num_classes == 25
        assert bbox_head.fc_cls.out_features == 25  # sigmoid focal loss
        assert mask_head.conv_logits.out_channels == 25
    # stages are separate modules, not one shared head
    assert roi_head.bbox_head[0] is not roi_head.bbox_head[1]
