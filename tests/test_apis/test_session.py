# Copyright (c) mmvidseg contributors. All rights reserved.
"""VideoSession: windows, handover, id linking, lazy sources, flat memory."""
import gc

import cv2
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmvidseg.apis import (VideoSession, inference_video, init_model,
                           iter_frames)
from mmvidseg.apis.session import _Window
from mmvidseg.testing import config_path
from mmvidseg.utils.memory import current_rss_mb

TOY_CONFIG = config_path(
    'mask2former_vis/mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py')
H, W = 8, 12


@pytest.fixture(scope='module')
def model():
    return init_model(TOY_CONFIG)


def _fake_predict(session):
    """Object A (left half) in every frame, B (right quarter) from frame 5;
    each window numbers them differently; label = the window's start."""
    calls = []

    def predict(start, frames):
        calls.append((start, len(frames)))
        samples = []
        for f in range(start, start + len(frames)):
            objs = [(100 + start, np.s_[:, :W // 2])]
            if f >= 5:
                objs.insert(0, (7 - start, np.s_[:, 3 * W // 4:]))
            masks = np.zeros((len(objs), H, W), bool)
            for k, (_, sl) in enumerate(objs):
                masks[k][sl] = True
            sample = DetDataSample()
            sample.pred_track_instances = InstanceData(
                instances_id=torch.tensor([o[0] for o in objs]),
                labels=torch.full((len(objs), ), start),
                scores=torch.ones(len(objs)), masks=torch.from_numpy(masks))
            samples.append(sample)
        return _Window(start, samples)

    session._predict = predict
    return calls


@pytest.mark.parametrize('total,window,overlap', [(23, 8, 2), (8, 8, 2),
                                                  (5, 8, 2), (20, 4, 1),
                                                  (17, 6, 3), (9, 3, 0)])
def test_every_frame_once_in_order_with_linked_ids(model, total, window,
                                                   overlap):
    # the fake labels number the windows: link across labels
    session = VideoSession(model, window=window, overlap=overlap,
                           class_aware=False)
    calls = _fake_predict(session)
    frames = [np.zeros((H, W, 3), np.uint8)] * total
    results = list(session.propagate(frames))
    assert [r.frame_idx for r in results] == list(range(total))
    assert all(n == min(window, total) for _, n in calls)
    ids_a = {int(r.track_ids[-1]) for r in results}  # A is listed last
    ids_b = {int(r.track_ids[0]) for r in results if r.frame_idx >= 5}
    if overlap:
        assert len(ids_a) == 1
        assert len(ids_b) <= 1 and ids_a.isdisjoint(ids_b)
    else:  # no shared frames: every window starts new ids
        assert len(ids_a) == len(calls)
    for r in results:
        assert r.masks.shape == (len(r.track_ids), H, W)
        assert r.masks[-1][:, :W // 2].all() and not r.masks[-1][:, W // 2:
                                                                   ].any()
    # frames are reported by the window that starts last before them,
    # handing over in the middle of the overlap (TeViT's chunked rule)
    starts = [s for s, _ in calls]
    for r in results:
        producer = int(r.labels[0])
        later = [s for s in starts if s > producer]
        if later and starts.index(later[0]) < len(starts) - 1:
            nxt = later[0]
            assert r.frame_idx < (producer + window + nxt + 1) // 2


def test_class_aware_linking_keeps_one_id_per_class(model):
    """One query reported under two classes in every window (Mask2Former-VIS
    top-k pairs): class-aware linking keeps two ids whose label never
    changes; class-agnostic linking may chain the classes."""
    calls = []

    def predict(start, frames):
        calls.append(start)
        samples = []
        for _ in frames:
            mask = np.zeros((2, H, W), bool)
            mask[:, :, :W // 2] = True  # the same mask under both classes
            sample = DetDataSample()
            order = [0, 1] if len(calls) % 2 else [1, 0]  # order flips
            sample.pred_track_instances = InstanceData(
                instances_id=torch.tensor([0, 1]),
                labels=torch.tensor(order),
                scores=torch.tensor([0.9, 0.2]),
                masks=torch.from_numpy(mask))
            samples.append(sample)
        return _Window(start, samples)

    frames = [np.zeros((H, W, 3), np.uint8)] * 12
    labels_of = {}
    for aware in (True, False):
        session = VideoSession(model, window=4, overlap=2,
                               class_aware=aware)
        session._predict = predict
        per_id = {}
        for r in session.propagate(frames):
            for tid, lab in zip(r.track_ids.tolist(), r.labels.tolist()):
                per_id.setdefault(tid, set()).add(lab)
        labels_of[aware] = per_id
    assert len(labels_of[True]) == 2
    assert all(len(labs) == 1 for labs in labels_of[True].values())
    # without classes the equal masks are matched by position: labels mix
    assert any(len(labs) == 2 for labs in labels_of[False].values())


def test_a_class_missing_from_a_window_is_carried(model):
    """One object under classes 0 and 1; class 0 leaves the top-k of the
    window starting at frame 4: with max_missing it keeps its id and is
    reported on every frame (on the object's mask), without it ends."""

    def predict(start, frames):
        labels = [1] if start == 4 else [0, 1]
        samples = []
        for _ in frames:
            mask = np.zeros((len(labels), H, W), bool)
            mask[:, :, :W // 2] = True
            sample = DetDataSample()
            sample.pred_track_instances = InstanceData(
                instances_id=torch.arange(len(labels)),
                labels=torch.tensor(labels),
                scores=torch.tensor([0.9, 0.4][:len(labels)]),
                masks=torch.from_numpy(mask))
            samples.append(sample)
        return _Window(start, samples)

    frames = [np.zeros((H, W, 3), np.uint8)] * 12
    per_frame = {}
    for missing in (0, 2):
        session = VideoSession(model, window=4, overlap=2,
                               max_missing=missing)
        session._predict = predict
        per_frame[missing] = list(session.propagate(frames))
    ids = {int(t) for r in per_frame[2] for t in r.track_ids}
    assert len(ids) == 2
    for r in per_frame[2]:
        assert sorted(r.labels.tolist()) == [0, 1]
        k = r.labels.tolist().index(0)
        assert r.scores[k] == pytest.approx(0.9)  # its own last score
        assert r.masks[k][:, :W // 2].all()
    # without carrying class 0 is absent from the frames of window 4 that
    # window reports (5 and 6) and comes back under a new id
    gone = [r.frame_idx for r in per_frame[0] if 0 not in r.labels]
    assert gone == [5, 6]
    assert len({int(t) for r in per_frame[0] for t in r.track_ids}) == 3


def test_step_reports_as_soon_as_a_window_ran(model):
    session = VideoSession(model, window=4, overlap=2)
    calls = _fake_predict(session)
    out = [session.step(np.zeros((H, W, 3), np.uint8)) for _ in range(4)]
    assert [len(o) for o in out] == [0, 0, 0, 3]  # handover at frame 3
    assert calls == [(0, 4)]
    assert [r.frame_idx for r in session.flush()] == [3]
    assert calls == [(0, 4)]  # the window ended at the last frame: no rerun


def test_matches_whole_video_inference_when_the_window_covers_it(model):
    rng = np.random.RandomState(0)
    frames = [rng.randint(0, 255, (72, 100, 3), np.uint8) for _ in range(3)]
    ref = inference_video(model, frames)
    got = list(VideoSession(model, window=3, overlap=1).propagate(frames))
    for r, p in zip(got, ref):
        inst = p.pred_track_instances
        order = np.argsort(inst.instances_id.numpy(), kind='stable')
        assert np.array_equal(r.masks, inst.masks.numpy()[order])
        assert np.allclose(r.scores, inst.scores.numpy()[order])
        assert r.masks.shape[1:] == (72, 100)
        assert len(r.rle()) == len(r.track_ids)


def test_sources_and_bad_input(model, tmp_path):
    rng = np.random.RandomState(1)
    frames = [rng.randint(0, 255, (16, 20, 3), np.uint8) for _ in range(3)]
    (tmp_path / 'dir').mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(tmp_path / 'dir' / f'{i:05d}.png'), f)
    got = list(iter_frames(str(tmp_path / 'dir')))
    assert all(np.array_equal(a, b) for a, b in zip(got, frames))
    assert len(list(iter_frames(iter(frames), max_frames=2))) == 2
    cv2.imwrite(str(tmp_path / 'dir' / '00003.png'), np.zeros((9, 9, 3)))
    with pytest.raises(ValueError, match=r'00003\.png: size \(9, 9\) differs'):
        list(iter_frames(str(tmp_path / 'dir')))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        list(iter_frames(str(tmp_path / 'nope.mp4')))
    session = VideoSession(model, window=4, overlap=1)
    with pytest.raises(NotImplementedError,
                       match=r"takes no \['text'\] prompts \(it accepts: "
                       r"none\)"):
        session.add_prompt(0, text='the red square')
    with pytest.raises(ValueError, match='overlap=4 must be in'):
        VideoSession(model, window=4, overlap=4)
    small = VideoSession(model, window=8, memory_budget_mb=1)
    with pytest.raises(ValueError, match='need 21 MB > memory_budget_mb=1'):
        small.step(np.zeros((720, 1280, 3), np.uint8))


def test_memory_stays_flat_over_a_long_stream(model):
    """RSS after 40 and after 160 frames of a stream (windows of 4)."""
    torch.manual_seed(0)
    session = VideoSession(model, window=4, overlap=1)
    frame = np.random.RandomState(0).randint(0, 255, (64, 96, 3), np.uint8)
    rss = {}
    for i in range(160):
        for _ in session.step(frame):
            pass
        if i + 1 in (40, 160):
            gc.collect()
            rss[i + 1] = current_rss_mb()
    list(session.flush())
    assert rss[160] <= rss[40] * 1.05 + 5, rss


def test_referring_prompts_stream_one_track_per_sentence():
    pytest.importorskip('transformers')
    mttr = init_model(config_path(
        'mttr/mttr_swin-t-tiny_1xb4-2000i_toy-ref-youtube-vos.py'))
    rng = np.random.RandomState(2)
    frames = [rng.randint(0, 255, (48, 64, 3), np.uint8) for _ in range(5)]
    session = VideoSession(mttr, window=5, overlap=1)
    with pytest.raises(ValueError, match='needs a sentence'):
        list(session.propagate(frames))
    with pytest.raises(ValueError, match='empty referring expression'):
        session.add_prompt(0, text=' ')
    session.add_prompt(0, text=['the red square', 'the circle'],
                       obj_ids=[7, 3])
    with pytest.raises(NotImplementedError, match=r"no \['points'\] "
                       r"prompts \(it accepts: \['text'\]\)"):
        session.add_prompt(0, points=[(3, 4)])
    got = list(session.propagate(frames))
    ref = inference_video(mttr, frames, text='the red square')
    assert [r.frame_idx for r in got] == list(range(5))
    for r, p in zip(got, ref):
        assert sorted(r.track_ids.tolist()) == [3, 7]
        k = r.track_ids.tolist().index(7)
        assert np.array_equal(r.masks[k],
                              p.pred_track_instances.masks[0].numpy())
    # windows of 2: still one track per sentence on every frame
    short = VideoSession(mttr, window=2, overlap=1)
    short.add_prompt(0, text='the circle')
    out = list(short.propagate(frames))
    assert [r.track_ids.tolist() for r in out] == [[0]] * 5
