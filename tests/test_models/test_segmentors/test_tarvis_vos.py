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

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()

ROOT = Path(__file__).parents[3]
TINY_CFG = ROOT / 'configs/tarvis/tarvis_r18-b16-tiny_1xb4-1200i_toy-ytvis.py'


def build_vos(task='vos', **test_cfg):
    torch.manual_seed(0)
    cfg = copy.deepcopy(Config.fromfile(TINY_CFG).model)
    feat = cfg.decoder.embed_dims
    cfg.update(
        task=task,
        object_encoder=dict(type='TarViSObjectEncoder', embed_dims=feat,
                            num_heads=4, feedforward_channels=4 * feat),
        vos_loss=dict(type='TarViSVOSLoss', num_points=64))
    cfg.decoder.group_names = ('instance', 'background', 'semantic',
                               'background_vos', 'vos')
    cfg.test_cfg.update(clip_length=4, overlap=2, **test_cfg)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def make_video(num_frames, size=(64, 64), late=None, points=False, seed=0):
    """Object 1: a square moving right in every frame; object 2: a bar
    that appears at frame ``late`` (absent if None)."""
    rng = np.random.RandomState(seed)
    h, w = size
    imgs = torch.from_numpy(rng.uniform(0, 40, (num_frames, 3, h, w))).float()
    frames = []
    for t in range(num_frames):
        boxes, ids = [[8 + 2 * t, 16, 32 + 2 * t, 40]], [1]
        if late is not None and t >= late:
            boxes.append([30, 44, 60, 56])
            ids.append(2)
        masks = np.zeros((len(boxes), h, w), np.uint8)
        for i, b in enumerate(boxes):
            masks[i, b[1]:b[3], b[0]:b[2]] = 1
            imgs[t, :, b[1]:b[3], b[0]:b[2]] = 200.0 + 20 * i
        sample = DetDataSample(metainfo=dict(
            img_id=t, video_id=3, frame_id=t, img_shape=size, ori_shape=size,
            pad_shape=size, batch_input_shape=size, scale_factor=(1., 1.),
            video_length=num_frames))
        gt = InstanceData(
            labels=torch.zeros(len(ids), dtype=torch.long),
            instances_ids=torch.tensor(ids),
            masks=BitmapMasks(masks, h, w))
        if points:
            gt.points = torch.tensor([[(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]
                                      for b in boxes])
        sample.gt_instances = gt
        frames.append(sample)
    return ((imgs - 100.0) / 60.0)[None], [TrackDataSample(
        video_data_samples=frames)]


def test_vos_loss_keys_and_grads():
    model = build_vos().train()
    x1, s1 = make_video(2, late=0)
    x2, s2 = make_video(2, late=0, seed=1)
    losses = model.loss(torch.cat([x1, x2]), s1 + s2)
    n_sets = model.decoder.num_layers + 1
    assert set(losses) == {f'{p}loss_vos_{k}' for k in ('ce', 'dice')
                           for p in [''] + [f'd{i}.'
                                            for i in range(n_sets - 1)]}
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    enc = model.object_encoder
    assert enc.cross_attn_layers[0].attn.in_proj_weight.grad is not None
    assert model.embedding_container.vos_queries.grad is not None


def test_vos_loss_one_frame_and_bad_batches():
    model = build_vos().train()
    x, s = make_video(1, late=0)
    assert torch.isfinite(sum(model.loss(x, s).values()))
    x, s = make_video(2, late=1)  # object 2 absent from reference frame 0
    assert torch.isfinite(sum(model.loss(x, s).values()))
    for f in s[0].video_data_samples:
        f.set_metainfo(dict(ref_frame_index=1))
    x2, s2 = make_video(2, late=1)
    with pytest.raises(ValueError, match='one reference frame index'):
        model.loss(torch.cat([x, x2]), s + s2)
    x, s = make_video(2)
    s[0].video_data_samples[0].gt_instances = InstanceData(
        labels=torch.zeros(0, dtype=torch.long),
        instances_ids=torch.zeros(0, dtype=torch.long),
        masks=BitmapMasks(np.zeros((0, 64, 64), np.uint8), 64, 64))
    with pytest.raises(ValueError, match='video 3.*no object'):
        model.loss(x, s)


def test_vos_batch_with_different_object_counts_trims_to_the_fewest():
    """Documented handling (official ``prepare_vos_inputs``): every sample
    keeps a random subset of min(counts) objects."""
    model = build_vos().train()
    x1, s1 = make_video(2, late=0)  # 2 objects in the reference frame
    x2, s2 = make_video(2)  # 1 object
    seen = []
    forward = model.object_encoder.forward

    def spy(*args, **kwargs):
        seen.append([m.shape[0] for m in kwargs['ref_masks']])
        return forward(*args, **kwargs)

    model.object_encoder.forward = spy
    losses = model.loss(torch.cat([x1, x2]), s1 + s2)
    assert torch.isfinite(sum(losses.values()))
    assert seen == [[1, 1]]


def test_vos_predict_clips_suppression_and_format():
    model = build_vos().eval()
    x, s = make_video(7, late=3)
    calls = []
    orig = model.predict_clip_vos

    def spy(clip, ids, ex, pad):
        out = orig(clip, ids, ex, pad)
        calls.append((ids, [(e['frame'], e['id']) for e in ex], out))
        return out

    model.predict_clip_vos = spy
    with torch.no_grad():
        out = model.predict(x, s)[0].video_data_samples
    assert [c[0] for c in calls][:2] == [[0, 1, 2, 3], [2, 3, 4, 5]]
    assert calls[0][1] == [(0, 1), (3, 2)]
    first = calls[0][2]
    assert first['instance_ids'] == [1, 2]
    # object 2 is given at frame 3: earlier frames suppressed
    assert (first['object_logits'][1, :3] == -1e3).all()
    assert len(out) == 7
    for f in out:
        pred = f.pred_track_instances
        assert pred.masks.shape[1:] == (64, 64)
        assert set(pred.instances_id.tolist()) <= {1, 2}
        assert len(pred.scores) == len(pred.labels) == len(pred.masks)


def test_pet_predict_and_bad_points():
    model = build_vos(task='pet').eval()
    x, s = make_video(5, late=2, points=True)
    with torch.no_grad():
        out = model.predict(x, s)[0].video_data_samples
    assert len(out) == 5
    x, s = make_video(5, late=2, points=True)
    s[0].video_data_samples[2].gt_instances.points[1] = torch.tensor(
        [70., 10.])
    with pytest.raises(ValueError, match='frame 2.*object 2.*outside'):
        model.predict(x, s)


def test_empty_exemplar_after_resize_and_no_exemplar():
    model = build_vos().eval()
    x, s = make_video(3, late=1)
    f = s[0].video_data_samples[1]
    tiny = np.zeros((2, 640, 640), np.uint8)
    tiny[0, 100:300, 100:300] = 1
    tiny[1, 5, 5] = 1  # one pixel at 10x: gone at the input size
    f.gt_instances.masks = BitmapMasks(tiny, 640, 640)
    with pytest.raises(ValueError, match='frame 1.*object 2.*empty'):
        model.predict(x, s)
    x, s = make_video(3)
    for f in s[0].video_data_samples:
        f.gt_instances = InstanceData()
    with pytest.raises(ValueError, match='no exemplar'):
        model.predict(x, s)


def test_predict_fills_the_padding_per_clip():
    """Whole-video VOS and VIS inference fill the padding of each clip copy
    (never a filled copy of the whole video, whose memory would grow with
    its length); the caller's frames stay unchanged and every clip the
    network sees has the normalised pad value 128 below / right of the
    frame."""
    model = build_vos().eval()
    x, s = make_video(7, late=3)
    for f in s[0].video_data_samples:
        f.set_metainfo(dict(img_shape=(60, 56)))  # pad: 4 rows, 8 columns
    before = x.clone()
    pp = model.data_preprocessor
    pad = ((128 - pp.mean) / pp.std).view(-1)  # (3, )
    lengths, seen = [], []
    fill = model.fill_padding

    def spy_fill(inputs, samples):
        lengths.append(inputs.shape[1])
        return fill(inputs, samples)

    def spy_extract(clip):
        seen.append(clip)
        return extract(clip)

    extract = model.extract_feat
    model.fill_padding = spy_fill
    model.extract_feat = spy_extract
    with torch.no_grad():
        model.predict(x, s)
        vos_clips = len(seen)
        for f in s[0].video_data_samples:
            f.set_metainfo(dict(task='vis', dataset_name='TOY_YTVIS'))
        model.predict(x, s)
    assert torch.equal(x, before)
    assert vos_clips == 3 and len(seen) > vos_clips
    assert lengths and max(lengths) <= 4  # clip_length, not 7 frames
    for clip in seen:  # (1, T, 3, 64, 64)
        assert torch.equal(clip[0, :, :, 60:],
                           pad.view(1, 3, 1, 1).expand_as(clip[0, :, :, 60:]))
        assert torch.equal(clip[0, :, :, :60, 56:], pad.view(1, 3, 1, 1)
                           .expand_as(clip[0, :, :, :60, 56:]))
