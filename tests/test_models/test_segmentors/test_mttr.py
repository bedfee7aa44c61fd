# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData

from mmvidseg.registry import MODELS
from ..test_layers.test_mttr_transformer import tiny_text_encoder

pytest.importorskip('transformers')  # optional: MTTR text encoder


def _model(tmp_path, **test_cfg):
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='MTTR',
        backbone=dict(type='MTTRVideoSwin', embed_dim=8, depths=(1, 1, 1),
                      num_heads=(2, 2, 4), window_size=(2, 3, 3),
                      dpr_depths=(1, 1, 1, 1)),
        head=dict(type='MTTRHead', in_channels=(8, 16, 32), num_queries=4,
                  transformer=dict(d_model=64, nheads=2,
                                   num_encoder_layers=1,
                                   num_decoder_layers=2, dim_feedforward=32,
                                   text_encoder=tiny_text_encoder(tmp_path))),
        test_cfg=test_cfg))


def _sample(t, text, img_shape=(32, 32), ori_shape=(64, 48), with_gt=True):
    frames = []
    for j in range(t):
        f = DetDataSample(metainfo=dict(
            img_shape=img_shape, ori_shape=ori_shape, text=text,
            referred_instance_id=7, frame_id=j))
        if with_gt:
            gt = InstanceData()
            masks = torch.zeros(2, *img_shape, dtype=torch.bool)
            masks[0, :8, :8] = True
            masks[1, 16:, 16:] = True
            gt.masks = masks if j == 0 else masks[1:]
            gt.instances_ids = torch.tensor([7, 3] if j == 0 else [3])
            f.gt_instances = gt
        frames.append(f)
    s = TrackDataSample()
    s.video_data_samples = frames
    return s


def test_loss(tmp_path):
    model = _model(tmp_path)
    model.train()
    inputs = torch.randn(2, 2, 3, 32, 32)
    samples = [_sample(2, 'a dog'), _sample(2, 'the man on the left',
                                            img_shape=(32, 24))]
    losses = model.loss(inputs, samples)
    assert len(losses) == 6
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    assert model.head.obj_queries.weight.grad is not None
    assert model.backbone.patch_embed.proj.weight.grad is not None
    masks, ref, visible = model._clip_targets(samples[0], 0, 32, 32, 'cpu')
    assert masks.shape == (2, 2, 32, 32) and ref == 0
    assert visible.tolist() == [True, False]
    assert masks[1, 0].sum() == 0 and masks[1, 1].sum() == 256
    for frame in samples[1]:
        frame.set_metainfo(dict(text='  '))
    with pytest.raises(ValueError, match='clip 1.*empty referring'):
        model.loss(inputs, samples)
    for frame in samples[1]:
        frame.set_metainfo(dict(text='the man on the left'))
    samples[0][0].set_metainfo(dict(referred_instance_id=99))
    with pytest.raises(ValueError, match='referred instance 99'):
        model.loss(inputs, samples)


@pytest.mark.parametrize('mode,k', [('rvos', 1), ('all', 4)])
def test_predict(tmp_path, mode, k):
    model = _model(tmp_path, mode=mode).eval()
    inputs = torch.randn(1, 3, 3, 32, 32)
    sample = _sample(3, 'a dog', img_shape=(32, 24), ori_shape=(50, 40),
                     with_gt=False)
    with torch.no_grad():
        out = model.predict(inputs, [sample])
        raw = model._forward(inputs, [sample])[-1]
    frames = list(out[0])
    assert len(frames) == 3
    prob = raw['pred_is_referred'].softmax(-1)[0, ..., 0]  # (T, Q)
    for t, f in enumerate(frames):
        pred = f.pred_track_instances
        assert pred.masks.shape == (k, 50, 40) and pred.masks.dtype == \
            torch.bool
        if mode == 'rvos':
            best = prob.mean(0).argmax()
            assert pred.instances_id.tolist() == [best.item()]
            torch.testing.assert_close(pred.scores, prob.mean(0)[best:best + 1])
        else:
            torch.testing.assert_close(pred.scores, prob[t])
    with pytest.raises(KeyError, match="'text'"):
        s = _sample(1, 'x', with_gt=False)
        s[0].set_metainfo(dict(text=None))
        del s[0].text
        model.predict(inputs[:, :1], [s])


def test_annotated_frames_only(tmp_path):
    """A2D: the backbone sees the window, the heads the annotated frame."""
    model = _model(tmp_path, mode='all').eval()
    inputs = torch.randn(1, 3, 3, 32, 32)
    sample = _sample(3, 'a dog', with_gt=False)
    for j, f in enumerate(sample):
        f.set_metainfo(dict(is_annotated=j == 1))
    assert model.annotated_frames([sample]) == [1]
    with torch.no_grad():
        out = model.predict(inputs, [sample])
        every = model._forward(inputs, [sample], [0, 1, 2])[-1]
        centre = model._forward(inputs, [sample])[-1]
    assert centre['pred_masks'].shape[1] == 1
    torch.testing.assert_close(centre['pred_masks'][:, 0],
                               every['pred_masks'][:, 1])
    sizes = [len(f.pred_track_instances) for f in out[0]]
    assert sizes == [0, 4, 0]
    assert out[0][0].pred_track_instances.masks.shape == (0, 64, 48)
    # training: targets from the annotated frame only
    model.train()
    train = _sample(3, 'a dog')
    for j, f in enumerate(train):
        f.set_metainfo(dict(is_annotated=j == 0))
    losses = model.loss(inputs, [train])
    assert torch.isfinite(sum(losses.values()))
    other = _sample(3, 'a cat')
    with pytest.raises(ValueError, match='annotated frames'):
        model.annotated_frames([train, other])


def test_windowed_predict_equals_per_window_clips(tmp_path):
    """test_cfg.window: each window is predicted as its own clip and picks
    its own query ('rvos'); window >= T is the whole-clip pass."""
    model = _model(tmp_path, mode='rvos').eval()
    inputs = torch.randn(1, 5, 3, 32, 32)

    def run(x, t, window):
        model.test_cfg['window'] = window
        with torch.no_grad():
            return [f.pred_track_instances for f in model.predict(
                x, [_sample(t, 'a dog', with_gt=False)])[0]]

    whole = run(inputs, 5, None)
    same = run(inputs, 5, 5)
    for a, b in zip(whole, same):
        assert torch.equal(a.masks, b.masks) and torch.equal(a.scores,
                                                            b.scores)
    windowed = run(inputs, 5, 2)
    parts = run(inputs[:, :2], 2, None) + run(inputs[:, 2:4], 2, None) + \
        run(inputs[:, 4:], 1, None)
    assert len(windowed) == 5
    for a, b in zip(windowed, parts):
        assert torch.equal(a.masks, b.masks)
        assert a.instances_id.tolist() == b.instances_id.tolist()
        torch.testing.assert_close(a.scores, b.scores)


def test_toy_config_trains_and_scores(toy_root, tmp_path):
    """The toy config trains a few iterations on the toy Ref-YouTube-VOS
    data and is scored by J&F and mAP (numbers in configs/mttr/README.md)."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmvidseg.testing import REPO_ROOT
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(
        f'{REPO_ROOT}/configs/mttr/'
        'mttr_swin-t-tiny_1xb4-2000i_toy-ref-youtube-vos.py')
    root = str(toy_root / 'ref_youtube_vos') + '/'
    cfg.train_dataloader.dataset.data_root = root
    cfg.train_dataloader.batch_size = 2
    cfg.val_dataloader.dataset.data_root = root
    cfg.val_evaluator[0].outfile_prefix = str(tmp_path / 'submission')
    cfg.train_cfg.update(max_iters=2, val_interval=100)
    cfg.param_scheduler = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=-1)
    cfg.work_dir = str(tmp_path)
    runner = Runner.from_cfg(cfg)
    runner.train()
    scores = runner.val_loop.run()
    assert 0 <= scores['refer/J&F'] <= 1
    assert 'refer_a2d/mAP' in scores
    assert (tmp_path / 'submission' / 'submission.zip').is_file()
