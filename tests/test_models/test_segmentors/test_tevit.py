# Copyright (c) mmvidseg contributors. All rights reserved.
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmvidseg.models.heads.tevit_roi_head import paste_masks
from mmvidseg.models.segmentors.tevit_chunked import (mask_iou_over_frames,
                                                      window_starts)
from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()

ROOT = Path(__file__).parents[3]
TINY_CFG = ROOT / 'configs/tevit/tevit_msgshift-tiny_1xb4-toy.py'


def tiny_model_cfg():
    return copy.deepcopy(Config.fromfile(TINY_CFG).model)


def build_tiny(**overrides):
    torch.manual_seed(0)
    cfg = tiny_model_cfg()
    cfg.update(overrides)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def make_clip(num_frames: int, size=(64, 64), with_objects=True, seed=0,
              video_id=1):
    """One clip: a square (label 1, id 1) moving right and a bar (label 2,
    id 2) visible in the first frame only."""
    rng = np.random.RandomState(seed)
    h, w = size
    frames = []
    imgs = torch.from_numpy(rng.uniform(0, 40, (num_frames, 3, h, w))).float()
    for t in range(num_frames):
        boxes, labels, ids, masks = [], [], [], []
        if with_objects:
            x0 = 8 + 4 * t
            boxes.append([x0, 16, x0 + 24, 40])
            labels.append(1)
            ids.append(1)
            if t == 0:
                boxes.append([40, 4, 60, 12])
                labels.append(2)
                ids.append(2)
        for box in boxes:
            m = np.zeros((h, w), np.uint8)
            m[box[1]:box[3], box[0]:box[2]] = 1
            masks.append(m)
            imgs[t, :, box[1]:box[3], box[0]:box[2]] = 200.0 + 20 * len(masks)
        sample = DetDataSample(
            metainfo=dict(
                img_id=t,
                video_id=video_id,
                frame_id=t,
                img_shape=size,
                ori_shape=size,
                pad_shape=size,
                batch_input_shape=size,
                scale_factor=(1.0, 1.0),
                video_length=num_frames))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            labels=torch.tensor(labels, dtype=torch.long),
            instances_ids=torch.tensor(ids, dtype=torch.long),
            masks=BitmapMasks(
                np.stack(masks) if masks else np.zeros((0, h, w), np.uint8),
                h, w))
        frames.append(sample)
    imgs = (imgs - 100.0) / 60.0  # roughly normalised
    return imgs, TrackDataSample(video_data_samples=frames)


def batch(num_clips=2, num_frames=3, **kwargs):
    clips = [make_clip(num_frames, seed=i, **kwargs) for i in range(num_clips)]
    return torch.stack([c[0] for c in clips]), [c[1] for c in clips]


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


def test_chunked_inference_links_identities():
    model = build_tiny(test_cfg=dict(
        rpn=None,
        rcnn=dict(max_per_img=10, mask_thr_binary=0.5),
        chunk=dict(num_frames=3, overlap=1, iou_thr=0.0))).eval()
    inputs, samples = batch(num_clips=1, num_frames=7)
    with torch.no_grad():
        out = model.predict(inputs, samples)
    preds = [f.pred_track_instances for f in out[0]]
    assert len(preds) == 7
    assert all(p.masks.shape[1:] == (64, 64) for p in preds)
    # with iou_thr=0 every track of a window continues one of the previous
    # window (Hungarian on 10 x 10), so the ids never exceed 0..9
    ids = torch.cat([p.instances_id for p in preds])
    assert ids.max().item() < 10


def test_paste_masks_handles_boxes_outside_the_image():
    logits = torch.full((3, 2, 4, 4), 5.0)  # sigmoid > 0.5 everywhere
    boxes = torch.tensor([[8., 8., 24., 24.], [-30., 0., -10., 10.],
                          [0., 70., 10., 90.]])
    masks = paste_masks(logits, boxes, torch.tensor([0, 1, 1]), (64, 64), 0.5)
    assert masks.shape == (3, 64, 64)
    # the box interior is filled (bilinear pasting rounds off the corners)
    assert masks[0, 9:23, 8:24].all() and masks[0, 8:24, 9:23].all()
    assert masks[0].sum().item() == masks[0, 8:24, 8:24].sum().item()
    assert not masks[1:].any()


def test_window_starts_and_mask_iou():
    assert window_starts(5, 8, 2) == [0]
    assert window_starts(10, 4, 1) == [0, 3, 6]
    assert window_starts(11, 4, 1) == [0, 3, 6, 7]
    with pytest.raises(ValueError, match='overlap'):
        window_starts(10, 4, 4)
    a = torch.zeros(2, 4, 4, dtype=torch.bool)
    a[0, :2] = True  # top half
    a[1, 2:] = True  # bottom half
    b = torch.zeros(1, 4, 4, dtype=torch.bool)
    b[0, :, :] = True
    iou = mask_iou_over_frames([a, a], [b, b])
    torch.testing.assert_close(iou, torch.tensor([[0.5], [0.5]]))


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
