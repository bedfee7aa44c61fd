# Copyright (c) mmvidseg contributors. All rights reserved.
"""Video-TTT through VideoSession: the same numbers as OnlineTTT's loop,
weights restored per stream, frame-to-frame ids, clear errors."""
import copy

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

from mmvidseg.apis import VideoSession, init_model
from mmvidseg.apis.ttt_stream import image_pipeline
from mmvidseg.engine.runner import OnlineTTT
from mmvidseg.testing import config_path

SEMANTIC = config_path('video_ttt/video-ttt_r18-b16-tiny_toy-ttt-semantic.py')
INSTANCE = config_path('video_ttt/video-ttt_r18-b16-tiny_toy.py')
TTT = dict(window_size=3, batch_size=2, accum_iter=1, seed=3,
           augment=dict(type='lsj', scale_range=(0.5, 1.5),
                        crop_size=(32, 32)))


def _frames(num, seed=0):
    rng = np.random.RandomState(seed)
    return [rng.randint(0, 255, (32, 48, 3), np.uint8) for _ in range(num)]


def test_session_equals_the_online_ttt_loop():
    torch.manual_seed(0)
    model = init_model(SEMANTIC)
    start = copy.deepcopy(model.state_dict())
    ref_model = copy.deepcopy(model)
    frames = _frames(4)
    session = VideoSession(model, ttt=dict(TTT, mode='online'))
    assert session.window == 3  # the TTT window bounds the frames held
    got = []
    for r in session.propagate(frames):
        got.append(r)
        if r.frame_idx == 1:  # the weights adapt during the stream
            moved = [k for k, v in model.state_dict().items()
                     if not torch.equal(v, start[k])]
            assert any(k.startswith('backbone.') for k in moved)
    # a finished stream leaves the checkpoint weights
    assert all(torch.equal(v, start[k])
               for k, v in model.state_dict().items())
    # the official order by hand: push, one TTT step, predict
    ttt = OnlineTTT(ref_model, mode='online', **TTT)
    ttt.start_video('stream')
    pipeline = image_pipeline(ref_model.cfg)
    assert [r.frame_idx for r in got] == [0, 1, 2, 3]
    for k, (frame, r) in enumerate(zip(frames, got)):
        item = pipeline(dict(img=frame, img_id=k, img_path=None,
                             frame_id=k, video_id=0))
        ttt.push(item['inputs'], k)
        ttt.step()
        ref = ttt.predict(pseudo_collate([item]))[0].pred_sem_seg.sem_seg
        assert r.semantic.shape == (32, 48)
        assert np.array_equal(r.semantic, ref[0].numpy())
        assert r.image is frame and len(r.track_ids) == 0


def test_instances_get_frame_to_frame_ids():
    cfg = Config.fromfile(INSTANCE)
    cfg.test_dataloader = Config.fromfile(SEMANTIC).test_dataloader
    torch.manual_seed(1)
    model = init_model(cfg)
    frame = _frames(1, seed=4)[0]
    session = VideoSession(model, ttt=dict(mode='frozen'))
    out = list(session.propagate([frame] * 3))
    assert len(out[0].track_ids) > 0
    assert out[0].masks.shape[1:] == (32, 48)
    # the same frame three times, frozen weights: the same segments keep
    # their ids (the non-empty ones; empty masks cannot be matched)
    for r in out[1:]:
        assert np.array_equal(r.labels, out[0].labels)
        nonempty = out[0].masks.any((1, 2))
        assert np.array_equal(r.track_ids[nonempty],
                              out[0].track_ids[nonempty])
    assert out[0].semantic is None


def test_ttt_errors():
    model = init_model(SEMANTIC)
    session = VideoSession(model, ttt=dict(TTT, mode='frozen'))
    with pytest.raises(NotImplementedError, match='takes no'):
        session.add_prompt(0, points=[(3, 4)])
    with pytest.raises(NotImplementedError, match='cannot stream'):
        VideoSession(model, ttt=dict(mode='offline'))
    with pytest.raises(ValueError, match='mode must be one of'):
        VideoSession(model, ttt=dict(mode='fast'))
    vis = init_model(config_path(
        'mask2former_vis/mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py'))
    with pytest.raises(ValueError, match='is for Video-TTT models'):
        VideoSession(vis, ttt=dict(mode='online'))
