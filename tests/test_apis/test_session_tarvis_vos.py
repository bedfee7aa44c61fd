# Copyright (c) mmvidseg contributors. All rights reserved.
"""VideoSession with TarViS VOS (mask prompts) and PET (point prompts)."""
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmvidseg.apis import VideoSession, init_model
from mmvidseg.testing import config_path

H, W = 64, 64


@pytest.fixture(scope='module')
def model():
    cfg = Config.fromfile(config_path(
        'tarvis/tarvis_r18-b16-tiny_1xb4-1200i_toy-ytvis.py'))
    feat = cfg.model.decoder.embed_dims
    cfg.model.object_encoder = dict(
        type='TarViSObjectEncoder', embed_dims=feat, num_heads=4,
        feedforward_channels=4 * feat)
    cfg.model.decoder.group_names = ('instance', 'background', 'semantic',
                                     'background_vos', 'vos')
    torch.manual_seed(0)
    return init_model(cfg).eval()


def _frames(n=6):
    rng = np.random.RandomState(0)
    out = []
    for t in range(n):
        f = rng.randint(0, 60, (H, W, 3)).astype(np.uint8)
        f[20:40, 5 + 3 * t:25 + 3 * t] = 220
        out.append(f)
    return out


def _square():
    m = np.zeros((H, W), np.uint8)
    m[20:40, 5:25] = 1
    return m


def test_mask_prompts_track_one_object_per_prompt(model):
    assert model.prompt_types == ('masks', 'points')
    session = VideoSession(model, window=4, overlap=2)
    session.add_prompt(0, masks=_square(), obj_ids=[5])
    bar = np.zeros((H, W), np.uint8)
    bar[50:60, 30:60] = 1
    session.add_prompt(3, masks=bar[None])  # a second object, later
    out = list(session.propagate(_frames()))
    assert [r.frame_idx for r in out] == list(range(6))
    for r in out:
        assert set(r.track_ids.tolist()) <= {5, 6}
        assert r.masks.shape[1:] == (H, W)
        if len(r.masks) > 1:  # one label per pixel
            assert r.masks.sum(0).max() <= 1
    assert 6 not in out[0].track_ids.tolist()  # suppressed before frame 3
    # a new stream restarts the model state, prompts are kept
    again = list(session.propagate(_frames()))
    for a, b in zip(out, again):
        assert np.array_equal(a.track_ids, b.track_ids)
        assert np.array_equal(a.masks, b.masks)


def test_point_prompts_and_bad_prompts(model):
    session = VideoSession(model, window=4, overlap=2)
    session.add_prompt(0, points=[(15, 30)], obj_ids=[2])
    with pytest.raises(ValueError, match='one kind per video'):
        session.add_prompt(1, masks=_square())
    out = list(session.propagate(_frames(5)))
    assert [r.frame_idx for r in out] == list(range(5))
    assert all(set(r.track_ids.tolist()) <= {2} for r in out)
    bad = VideoSession(model, window=4, overlap=2)
    bad.add_prompt(0, points=[(70, 30)])
    with pytest.raises(ValueError, match='object 1.*outside'):
        list(bad.propagate(_frames(4)))
    with pytest.raises(ValueError, match='2 masks but 1 obj_ids'):
        VideoSession(model, window=4, overlap=2).add_prompt(
            0, masks=np.stack([_square(), _square()]), obj_ids=[1])
