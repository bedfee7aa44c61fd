# Copyright (c) mmvidseg contributors. All rights reserved.
"""OnlineTTT semantics on a tiny model: window, carry-over, restart,
standard / frozen modes, predictions change, bad input."""
import pytest
import torch

from mmvidseg.engine.runner import (OnlineTTT, draw_window_indices,
                                    ttt_param_groups)
from ._tiny_ttt import TinyTTTModel


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one intra-op thread avoids oversubscription on a
    shared machine (2 threads were >10x slower under load)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def make(mode='online', **kw):
    torch.manual_seed(0)
    model = TinyTTTModel()
    cfg = dict(window_size=4, batch_size=8, accum_iter=2,
               augment=dict(type='lsj', scale_range=(0.5, 1.5),
                            crop_size=(32, 32)), seed=0)
    cfg.update(kw)
    return model, OnlineTTT(model, mode=mode, **cfg)


def frame(i, size=(32, 48)):
    g = torch.Generator().manual_seed(i)
    return torch.randint(0, 255, (3, *size), generator=g, dtype=torch.uint8)


def test_param_groups():
    model = TinyTTTModel()
    groups = {(g['lr'], g['weight_decay']): g['names']
              for g in ttt_param_groups(model, lr=1e-4)}
    assert set(groups[(1e-5, 0.0)]) == {'backbone.1.weight', 'backbone.1.bias'}
    assert set(groups[(1e-5, 0.05)]) == {'backbone.0.weight', 'backbone.0.bias'}
    assert 'query.weight' in groups[(1e-4, 0.0)]  # nn.Embedding
    assert 'recon_head.weight' in groups[(1e-4, 0.05)]
    n = sum(len(v) for v in groups.values())
    assert n == len(list(model.parameters()))


def test_draw_window_indices_balanced():
    g = torch.Generator().manual_seed(0)
    idx = draw_window_indices(5, 32, g)
    counts = torch.bincount(torch.tensor(idx), minlength=5)
    assert len(idx) == 32 and set(counts.tolist()) <= {6, 7}
    counts = torch.bincount(torch.tensor(draw_window_indices(16, 32, g)))
    assert counts.tolist() == [2] * 16
    assert draw_window_indices(1, 4, g) == [0, 0, 0, 0]


def test_window_slides_and_short_stream():
    model, ttt = make()
    ttt.start_video('v')
    for t in range(3):  # shorter than the window: trains on what it has
        ttt.push(frame(t), t)
        out = ttt.step()
        assert out['loss_recon'] > 0
    assert ttt.window_frame_ids() == [0, 1, 2]
    for t in range(3, 7):
        ttt.push(frame(t), t)
    assert ttt.window_frame_ids() == [3, 4, 5, 6]
    ttt.start_video('w')
    assert ttt.window_frame_ids() == []


def test_online_carries_weights_and_restart_resets_optimizer_only():
    model, ttt = make(restart_optimizer=True)
    ckpt = model.backbone[0].weight.detach().clone()
    ttt.start_video('v')
    ttt.push(frame(0), 0)
    ttt.step()
    after0 = model.backbone[0].weight.detach().clone()
    assert not torch.equal(after0, ckpt)
    state_before = len(ttt.optimizer.state)
    assert state_before > 0
    model.calls.clear()
    ttt.push(frame(1), 1)
    ttt.step()
    # frame 1 started from the weights after frame 0 (implicit memory)
    assert torch.equal(model.calls[0]['weight'], after0)
    assert model.calls[0]['training']
    # restart: a fresh AdamW -> after one step every state has step == 1
    steps = {int(s['step']) for s in ttt.optimizer.state.values()}
    assert steps == {1}


def test_no_restart_keeps_optimizer_state():
    model, ttt = make(restart_optimizer=False)
    ttt.start_video('v')
    for t in range(2):
        ttt.push(frame(t), t)
        ttt.step()
    steps = {int(s['step']) for s in ttt.optimizer.state.values()}
    assert steps == {2}


def test_standard_reloads_checkpoint_each_frame():
    model, ttt = make('standard')
    ckpt = model.backbone[0].weight.detach().clone()
    ttt.start_video('v')
    for t in range(3):
        model.calls.clear()
        ttt.push(frame(t), t)
        ttt.step()
        assert torch.equal(model.calls[0]['weight'], ckpt)
        assert not torch.equal(model.backbone[0].weight, ckpt)


def test_frozen_never_trains_and_start_video_restores():
    model, ttt = make('frozen')
    ckpt = {k: v.clone() for k, v in model.state_dict().items()}
    ttt.start_video('v')
    ttt.push(frame(0), 0)
    assert ttt.step()['ttt_time_s'] == 0.0
    assert not model.calls
    assert all(torch.equal(v, ckpt[k]) for k, v in model.state_dict().items())
    model2, online = make('online')
    ckpt2 = model2.backbone[0].weight.detach().clone()
    online.start_video('a')
    online.push(frame(0), 0)
    online.step()
    online.start_video('b')  # weights reset per video
    assert torch.equal(model2.backbone[0].weight, ckpt2)


def test_accum_micro_batches_and_loss_scale():
    model, ttt = make(batch_size=8, accum_iter=4)
    ttt.start_video('v')
    ttt.push(frame(0), 0)
    out = ttt.step()
    assert len(model.calls) == 4  # 4 micro-batches of 2
    # loss reported = sum of (micro loss / accum) = mean of micro losses
    assert 0 < out['loss_recon'] < 10


def test_ttt_steps_change_predictions():
    from mmdet.structures import DetDataSample
    model, ttt = make(lr=1e-2)
    img = frame(0)

    def predict():
        s = DetDataSample(metainfo=dict(ori_shape=(32, 48),
                                        img_shape=(32, 48)))
        return ttt.predict(dict(inputs=[img], data_samples=[s]))[0]

    ttt.start_video('v')
    before = predict().seg_logits.clone()
    for t in range(3):
        ttt.push(frame(t), t)
        ttt.step()
    after = predict().seg_logits
    assert not model.training  # predict runs in eval mode
    assert (after - before).abs().max() > 1e-4


def test_frames_of_different_sizes_name_the_frame():
    _, ttt = make()
    ttt.start_video('v')
    ttt.push(frame(0), 0)
    with pytest.raises(ValueError, match='000001.png.*differs'):
        ttt.push(frame(1, (40, 48)), 1, where='video v frame 1 (000001.png)')


def test_model_without_recon_head():
    model = TinyTTTModel(recon=False)
    with pytest.raises(ValueError, match="mode='frozen'"):
        OnlineTTT(model, mode='online')
    OnlineTTT(model, mode='frozen')  # the baseline still runs


def test_bad_settings():
    model = TinyTTTModel()
    with pytest.raises(ValueError, match='multiple'):
        OnlineTTT(model, batch_size=32, accum_iter=5)
    with pytest.raises(ValueError, match='mode'):
        OnlineTTT(model, mode='offline')
