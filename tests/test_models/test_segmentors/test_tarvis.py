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

from mmvidseg.models.segmentors.tarvis_targets import clip_targets
from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()

ROOT = Path(__file__).parents[3]
TINY_CFG = ROOT / 'configs/tarvis/tarvis_r18-b16-tiny_1xb4-1200i_toy-ytvis.py'


def build_tiny(**overrides):
    torch.manual_seed(0)
    cfg = copy.deepcopy(Config.fromfile(TINY_CFG).model)
    cfg.update(overrides)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def make_clip(num_frames, size=(64, 64), with_objects=True, seed=0,
              img_shape=None):
    """A square (label 1, id 1) moving right; a bar (label 2, id 2) in the
    first frame only."""
    rng = np.random.RandomState(seed)
    h, w = size
    img_shape = img_shape or size
    imgs = torch.from_numpy(rng.uniform(0, 40, (num_frames, 3, h, w))).float()
    frames = []
    for t in range(num_frames):
        boxes, labels, ids = [], [], []
        if with_objects:
            x0 = 8 + 4 * t
            boxes.append([x0, 16, x0 + 24, 40])
            labels.append(1)
            ids.append(1)
            if t == 0:
                boxes.append([30, 4, 50, 12])
                labels.append(2)
                ids.append(2)
        masks = np.zeros((len(boxes), h, w), np.uint8)
        for i, b in enumerate(boxes):
            masks[i, b[1]:b[3], b[0]:b[2]] = 1
            imgs[t, :, b[1]:b[3], b[0]:b[2]] = 200.0 + 20 * i
        sample = DetDataSample(
            metainfo=dict(
                img_id=t, video_id=1, frame_id=t, img_shape=img_shape,
                ori_shape=img_shape, pad_shape=size, batch_input_shape=size,
                scale_factor=(1.0, 1.0), video_length=num_frames))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            labels=torch.tensor(labels, dtype=torch.long),
            instances_ids=torch.tensor(ids, dtype=torch.long),
            masks=BitmapMasks(masks, h, w))
        frames.append(sample)
    return (imgs - 100.0) / 60.0, TrackDataSample(video_data_samples=frames)


def batch(num_clips=2, num_frames=2, **kwargs):
    clips = [make_clip(num_frames, seed=i, **kwargs) for i in range(num_clips)]
    return torch.stack([c[0] for c in clips]), [c[1] for c in clips]


def test_clip_targets_union_of_frames():
    _, samples = batch(num_clips=1, num_frames=3)
    masks, labels = clip_targets(samples, 3, (64, 64), torch.device('cpu'))
    assert masks[0].shape == (2, 3, 64, 64)
    assert labels[0].tolist() == [2, 3]  # 0-based + 1 (0 = background)
    assert masks[0][1, 0].any() and not masks[0][1, 1:].any()
    assert masks[0][0, 2, 20, 16 + 8]


def test_loss_keys_values_and_train_step():
    model = build_tiny().train()
    inputs, samples = batch()
    losses = model.loss(inputs, samples)
    names = ('loss_mask_ce', 'loss_mask_dice', 'loss_cls', 'loss_sem_ce')
    assert set(losses) == {f'{p}{n}' for n in names
                           for p in ['', 'd0.', 'd1.', 'd2.']}
    assert all(torch.isfinite(v) for v in losses.values())
    optim = torch.optim.AdamW(model.parameters(), lr=2e-3)
    history = []
    for _ in range(5):
        losses = model.loss(inputs, copy.deepcopy(samples))
        total = sum(losses.values())
        optim.zero_grad()
        total.backward()
        optim.step()
        history.append(total.item())
    assert history[-1] < history[0]


def test_loss_without_objects_and_one_frame():
    model = build_tiny().train()
    inputs, samples = batch(num_frames=1, with_objects=False)
    losses = model.loss(inputs, samples)
    assert losses['loss_mask_ce'].item() == 0.0
    sum(losses.values()).backward()
    assert model.embedding_container.semantic_queries.grad is not None


def test_predict_single_clip_format():
    model = build_tiny().eval()
    inputs, samples = batch(num_clips=1, num_frames=3, img_shape=(60, 50))
    with torch.no_grad():
        out = model.predict(inputs, samples)
    frames = out[0].video_data_samples
    assert len(frames) == 3
    pred = frames[0].pred_track_instances
    assert pred.masks.shape == (10, 60, 50) and pred.masks.dtype == torch.bool
    assert pred.bboxes.shape == (10, 4)
    assert pred.labels.max() < 3 and (pred.scores <= 1).all()
    assert torch.equal(pred.instances_id, frames[2].pred_track_instances
                       .instances_id)
    with torch.no_grad():
        raw = model.predict_clip(inputs, 'TOY_YTVIS')
    assert raw['mask_logits'].shape == (10, 3, 16, 16)
    assert raw['class_logits'].shape == (10, 4)
    assert raw['semantic_logits'].shape == (4, 3, 16, 16)


def test_batched_predict_clip_equals_per_clip():
    model = build_tiny().eval()
    inputs, samples = batch(num_clips=2, num_frames=2)
    with torch.no_grad():
        feats, mf = model.extract_feat(inputs)
        out = model.decode(feats, mf, 'TOY_YTVIS')
        for b in range(2):
            single = model.predict_clip(inputs[b:b + 1], 'TOY_YTVIS')
            torch.testing.assert_close(out['groups']['instance'][-1, b],
                                       single['mask_logits'], rtol=1e-4,
                                       atol=1e-4)


def test_padding_is_normalised_128_and_video_length_checked():
    model = build_tiny(data_preprocessor=dict(
        type='VideoDataPreprocessor', mean=[100.0] * 3, std=[2.0] * 3,
        pad_size_divisor=64)).eval()
    inputs, samples = batch(num_clips=1, num_frames=1, img_shape=(40, 30))
    filled = model.fill_padding(inputs, samples)
    assert (filled[0, 0, :, 40:] == 14.0).all()
    assert (filled[0, 0, :, :40, 30:] == 14.0).all()
    assert torch.equal(filled[0, 0, :, :40, :30], inputs[0, 0, :, :40, :30])


def test_predict_links_overlapping_clips():
    model = build_tiny().eval()
    calls = []
    predict_clip = model.predict_clip

    def spy(clip, name, *task):
        calls.append(clip.shape[1])
        return predict_clip(clip, name, *task)

    model.predict_clip = spy
    inputs, samples = batch(num_clips=1, num_frames=10)
    with torch.no_grad():
        out = model.predict(inputs, samples)
    assert calls == [8, 6]  # frames 0-7, 4-9 (clip 8, overlap 4)
    frames = out[0].video_data_samples
    assert len(frames) == 10
    assert all(f.pred_track_instances.masks.shape[1:] == (64, 64)
               for f in frames)


def test_unknown_dataset_is_named():
    with pytest.raises(KeyError, match="'YOUTUBE_VIS'.*'TOY_YTVIS'"):
        build_tiny(dataset_name='YOUTUBE_VIS')
    model = build_tiny().train()
    inputs, samples = batch(num_clips=1)
    for f in samples[0]:
        f.set_metainfo(dict(dataset_name='OVIS'))
    with pytest.raises(KeyError, match="'OVIS'"):
        model.loss(inputs, samples)


def test_vps_task_trains_semantic_queries_on_gt_sem_seg():
    from mmengine.structures import PixelData
    model = build_tiny(
        task='vps',
        semantic_loss=dict(type='TarViSSemanticLoss', num_points=256,
                           loss_name='loss_pan_sem_ce')).train()
    inputs, samples = batch(num_clips=1, num_frames=2)
    for frame in samples[0]:
        sem = torch.full((1, 64, 64), 255, dtype=torch.long)
        sem[:, :32] = 0
        sem[:, 32:] = 2
        frame.gt_sem_seg = PixelData(sem_seg=sem)
    losses = model.loss(inputs, samples)
    assert 'loss_pan_sem_ce' in losses and 'd0.loss_pan_sem_ce' in losses
    assert all(torch.isfinite(v) for v in losses.values())
    model.eval()
    with torch.no_grad():
        raw = model.predict_clip(inputs[:1], 'TOY_YTVIS')
    assert raw['semantic_logits'].shape == (3, 2, 16, 16)  # no bg row
    del samples[0][0].gt_sem_seg
    with pytest.raises(KeyError, match='gt_sem_seg'):
        model.train().loss(inputs, samples)
