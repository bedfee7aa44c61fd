# Copyright (c) mmvidseg contributors. All rights reserved.
"""VideoSession on video panoptic models: thing tracks linked across
windows, stuff per frame, panoptic maps with the session's ids."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import PixelData

from mmvidseg.apis import VideoSession, inference_video, init_model
from mmvidseg.apis.session import _Window
from mmvidseg.testing import config_path

TOY_VPS = config_path(
    'tarvis/tarvis_r18-b16-tiny_1xb4-1200i_toy-kitti-step.py')
H, W = 8, 12


@pytest.fixture(scope='module')
def model():
    torch.manual_seed(0)
    return init_model(TOY_VPS)  # random weights


def _fake_panoptic(session):
    """Stuff: label 0 on top, 1 below, 2 on the bottom row only in frames
    >= 4; thing A (label 3) on the left in every frame, thing B (label 5)
    on the right from frame 2. Each window numbers its tracks differently
    (A = 10 + start, B = 2 + start)."""
    calls = []

    def predict(start, frames):
        calls.append(start)
        samples = []
        for f in range(start, start + len(frames)):
            pan = np.zeros((H, W), np.int64)
            pan[H // 2:] = 1
            if f >= 4:
                pan[-1] = 2
            pan[1:3, :4] = 3 + (10 + start) * 1000
            if f >= 2:
                pan[1:3, 8:] = 5 + (2 + start) * 1000
            sample = DetDataSample()
            sample.pred_panoptic_seg = PixelData(
                sem_seg=torch.from_numpy(pan)[None])
            samples.append(sample)
        return _Window(start, samples)

    session._predict = predict
    return calls


@pytest.mark.parametrize('total,window,overlap', [(13, 6, 3), (9, 4, 1),
                                                  (5, 6, 3)])
def test_panoptic_tracks_link_across_windows(model, total, window, overlap):
    session = VideoSession(model, window=window, overlap=overlap)
    calls = _fake_panoptic(session)
    results = list(session.propagate([np.zeros((H, W, 3), np.uint8)] *
                                     total))
    assert [r.frame_idx for r in results] == list(range(total))
    assert len(calls) > 1 or total <= window
    ids_a, ids_b = set(), set()
    for r in results:
        pan = r.panoptic
        assert pan.shape == (H, W) and pan.dtype == np.int64
        # stuff per frame, instance 0
        assert (pan[0] == 0).all() and (pan[H // 2:-1] == 1).all()
        assert (pan[-1] == (2 if r.frame_idx >= 4 else 1)).all()
        by_label = dict(zip(r.labels.tolist(), r.track_ids.tolist()))
        ids_a.add(by_label[3])
        assert (pan[1:3, :4] == 3 + by_label[3] * 1000).all()
        if r.frame_idx >= 2:
            ids_b.add(by_label[5])
            assert (pan[1:3, 8:] == 5 + by_label[5] * 1000).all()
        else:
            assert 5 not in by_label
        # tracks = the map's thing segments
        for tid, mask in zip(r.track_ids, r.masks):
            np.testing.assert_array_equal(mask, pan // 1000 == tid)
        assert (r.scores == 1.0).all()
    # one id each over the whole stream, from 1 (0 is stuff in the maps)
    assert len(ids_a) == 1 and len(ids_b) == 1 and ids_a.isdisjoint(ids_b)
    assert ids_a | ids_b == {1, 2}


def _relabel(pan):
    """Thing ids renumbered by first appearance (raster order over time)."""
    out, mapping = [], {}
    for p in pan:
        q = p % 1000
        inst = p // 1000
        for i in inst.reshape(-1).tolist():
            if i and i not in mapping:
                mapping[i] = len(mapping) + 1
        ids = np.vectorize(lambda i: mapping.get(i, 0))(inst)
        out.append(q + ids * 1000)
    return np.stack(out)


def test_toy_vps_model_streams(model):
    rng = np.random.RandomState(0)
    frames = [rng.randint(0, 255, (64, 80, 3), np.uint8) for _ in range(8)]
    ref = inference_video(model, frames)
    ref_pan = np.stack([s.pred_panoptic_seg.sem_seg[0].numpy() for s in ref])
    # a window covering the video: the model's own panoptic maps
    got = list(VideoSession(model, window=8, overlap=2).propagate(frames))
    pan = np.stack([r.panoptic for r in got])
    assert pan.shape == (8, 64, 80)
    np.testing.assert_array_equal(_relabel(pan), _relabel(ref_pan))
    # windows of 6 frames, overlap 3: every frame once, maps and tracks agree
    got = list(VideoSession(model, window=6, overlap=3).propagate(frames))
    assert [r.frame_idx for r in got] == list(range(8))
    for r in got:
        assert r.panoptic.shape == (64, 80)
        assert (r.panoptic % 1000 < 6).all()  # the 6 toy classes
        assert sorted(r.track_ids.tolist()) == sorted(
            set((r.panoptic // 1000).reshape(-1).tolist()) - {0})
        for tid, label, mask in zip(r.track_ids, r.labels, r.masks):
            np.testing.assert_array_equal(mask, r.panoptic // 1000 == tid)
            assert label in (3, 4, 5)  # things only
