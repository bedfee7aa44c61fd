# Copyright (c) mmvidseg contributors. All rights reserved.
"""OnnxClipModel: the streaming session on an exported per-clip graph.

The PyTorch session and the session on the ONNX graph of the same toy
model (seeded random weights) must give the same tracks: ids, labels,
scores (up to ONNX Runtime's rounding) and masks. Exporting the toy
Mask2Former-VIS takes 20-40 s on a loaded 2-core machine, so the session
tests are slow (MTTR and TarViS too: two sessions each); the adapter's
name check is not.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from mmvidseg.apis import VideoSession, init_model
from mmvidseg.deployment import (OnnxClipModel, build_export_wrapper,
                                 export_onnx)
from mmvidseg.structures.masks import decode_rles
from mmvidseg.testing import REPO_ROOT, config_path

pytest.importorskip('onnxruntime')

M2F = config_path(
    'mask2former_vis/mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py')
MTTR = config_path('mttr/mttr_swin-t-tiny_1xb4-2000i_toy-ref-youtube-vos.py')


def _model(config):
    torch.manual_seed(0)
    model = init_model(config)
    model.init_weights()
    return model.eval()


def _frames(num, h, w, seed=0):
    rng = np.random.RandomState(seed)
    return [rng.randint(0, 255, (h, w, 3), np.uint8) for _ in range(num)]


def _window_inputs(model, frames, **extra):
    """The padded (1, T, 3, H, W) clip the session gives the model."""
    session = VideoSession(model, window=len(frames))
    captured = {}
    real = model.predict

    def spy(inputs, data_samples, **kwargs):
        captured['x'] = inputs
        return real(inputs, data_samples, **kwargs)

    model.predict = spy
    try:
        session._call(frames, **extra)
    finally:
        del model.predict
    return captured['x']


#: share of mask pixels allowed to differ: a logit within ONNX Runtime's
#: rounding (~1e-6) of the 0.5 threshold flips a pixel (seen: 4e-6)
PIXELS = 1e-3


def assert_same_masks(ref: np.ndarray, got: np.ndarray, where) -> None:
    assert ref.shape == got.shape, where
    assert (ref != got).mean() <= PIXELS if ref.size else True, where


def assert_same_tracks(ref, got, atol=1e-5):
    assert [r.frame_idx for r in got] == [r.frame_idx for r in ref]
    for r, g in zip(ref, got):
        assert np.array_equal(r.track_ids, g.track_ids), r.frame_idx
        assert np.array_equal(r.labels, g.labels), r.frame_idx
        np.testing.assert_allclose(g.scores, r.scores, atol=atol)
        assert_same_masks(r.masks, g.masks, r.frame_idx)


def test_refuses_a_graph_of_another_model(tmp_path):
    model = init_model(M2F)
    path = str(tmp_path / 'linear.onnx')
    torch.onnx.export(torch.nn.Linear(3, 2), (torch.randn(1, 3), ), path,
                      dynamo=False, input_names=['x'], output_names=['y'])
    with pytest.raises(ValueError, match=r"linear.onnx: inputs \['x'\] / "
                       r"outputs \['y'\], but Mask2FormerVideo exports "
                       r"\['inputs'\] / \['cls_logits', 'mask_logits'\]"):
        OnnxClipModel(model, path)


@pytest.fixture(scope='module')
def m2f_onnx(tmp_path_factory):
    model = _model(M2F)
    x = _window_inputs(model, _frames(4, 90, 120))
    path = str(tmp_path_factory.mktemp('m2f') / 'm2f.onnx')
    export_onnx(build_export_wrapper(model), x, path)
    return model, path


@pytest.mark.slow
def test_mask2former_session_on_onnx_equals_pytorch(m2f_onnx):
    model, path = m2f_onnx
    frames = _frames(11, 90, 120, seed=1)
    ref = list(VideoSession(model, window=4, overlap=1).propagate(frames))
    onnx_model = OnnxClipModel(model, path)
    got = list(VideoSession(onnx_model, window=4, overlap=1).propagate(
        frames))
    assert_same_tracks(ref, got)
    assert sum(len(r.track_ids) for r in ref) > 0
    # windows start at 0, 3, 6, then the last 4 frames at the flush
    assert onnx_model.graph_calls == 4
    # another frame size: the graph's H x W are dynamic
    small = _frames(5, 64, 80, seed=2)
    assert_same_tracks(
        list(VideoSession(model, window=5).propagate(small)),
        list(VideoSession(onnx_model, window=5).propagate(small)))
    # the model itself is left as it was (no patch leaks out)
    assert 'forward' not in vars(model.track_head)
    assert 'forward' not in vars(model.backbone)


@pytest.mark.slow
def test_video_demo_onnx(m2f_onnx, tmp_path):
    from mmvidseg.visualization import write_video
    model, path = m2f_onnx
    frames = _frames(7, 64, 96, seed=3)
    write_video(frames, str(tmp_path / 'in.mp4'))
    ckpt = tmp_path / 'toy.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    cmd = [sys.executable, 'demo/video_demo.py', str(tmp_path / 'in.mp4'),
           M2F, str(ckpt), '--onnx', path, '--window', '3', '--overlap',
           '1', '--score-thr', '0']
    runs = {}
    for name, extra in (('onnx', []), ('eager', None)):
        c = cmd if extra is not None else [a for a in cmd
                                           if a not in ('--onnx', path)]
        c = c + ['--out', str(tmp_path / f'{name}.mp4'), '--results',
                 str(tmp_path / f'{name}.json')]
        proc = subprocess.run(c, cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=600, env=dict(
                                  os.environ, PYTHONPATH=str(REPO_ROOT)))
        assert proc.returncode == 0, proc.stderr[-3000:]
        runs[name] = (proc.stdout,
                      json.load(open(tmp_path / f'{name}.json')))
    assert 'ONNX Runtime: 3 graph runs' in runs['onnx'][0]
    assert 'ONNX Runtime' not in runs['eager'][0]
    onnx_frames, eager_frames = runs['onnx'][1]['frames'], runs['eager'][1][
        'frames']
    assert len(onnx_frames) == 7
    for o, e in zip(onnx_frames, eager_frames):
        assert o['track_ids'] == e['track_ids'], o['frame']
        np.testing.assert_allclose(o['scores'], e['scores'], atol=1e-5)
        assert_same_masks(decode_rles(e['masks'], 64, 96),
                          decode_rles(o['masks'], 64, 96),
                          o['frame'])


@pytest.mark.slow
def test_mttr_session_on_onnx_equals_pytorch(tmp_path):
    """Text prompts: tokens from the model's tokenizer feed the graph; a
    window of another length than the graph's fixed T is refused."""
    pytest.importorskip('transformers')
    model = _model(MTTR)
    frames = _frames(5, 48, 64, seed=4)
    path = str(tmp_path / 'mttr.onnx')
    x = _window_inputs(model, frames, text='the red square', exp_id='0',
                       is_annotated=True)
    export_onnx(build_export_wrapper(model), x, path)
    sessions = []
    for m in (model, OnnxClipModel(model, path)):
        s = VideoSession(m, window=5, overlap=1)
        s.add_prompt(0, text=['the red square', 'the blue circle moving'],
                     obj_ids=[7, 3])
        sessions.append(list(s.propagate(frames)))
    assert_same_tracks(*sessions)
    short = VideoSession(OnnxClipModel(model, path), window=2, overlap=1)
    short.add_prompt(0, text='the circle')
    with pytest.raises(ValueError, match=r"input 'inputs' axis 1 is fixed at "
                       r'5 .* export the model at this shape'):
        list(short.propagate(frames))



@pytest.mark.slow
def test_tarvis_session_on_onnx_equals_pytorch(tmp_path):
    """TarViS (fixed H x W, dynamic T): the linker and clip splitting stay
    in Python; another frame size is refused with the exported shape."""
    model = _model(config_path(
        'tarvis/tarvis_r18-b16-tiny_1xb4-1200i_toy-ytvis.py'))
    frames = _frames(6, 60, 100, seed=5)
    path = str(tmp_path / 'tarvis.onnx')
    export_onnx(build_export_wrapper(model), _window_inputs(model,
                                                            frames[:3]),
                path)
    onnx_model = OnnxClipModel(model, path)
    ref = list(VideoSession(model, window=3, overlap=1).propagate(frames))
    assert sum(len(r.track_ids) for r in ref) > 0
    assert_same_tracks(ref, list(VideoSession(
        onnx_model, window=3, overlap=1).propagate(frames)))
    with pytest.raises(ValueError, match=r"input 'inputs' axis 3 is fixed"):
        list(VideoSession(onnx_model, window=3).propagate(
            _frames(3, 200, 100)))


@pytest.mark.slow
def test_video_ttt_predict_on_onnx_equals_pytorch(tmp_path):
    """Video-TTT's frozen predict (mmdet upsampling + fusion in Python)
    with the segmentation network from the graph, at two clip shapes."""
    from mmdet.structures import DetDataSample
    model = _model(config_path('video_ttt/video-ttt_r18-b16-tiny_toy.py'))
    path = str(tmp_path / 'ttt.onnx')
    export_onnx(build_export_wrapper(model), torch.randn(1, 2, 3, 64, 96),
                path)
    onnx_model = OnnxClipModel(model, path)
    for t, h, w in ((2, 64, 96), (3, 96, 64)):
        x = torch.randn(t, 3, h, w)
        samples = [
            DetDataSample(metainfo=dict(
                img_shape=(h - 5, w - 7), ori_shape=(h - 5, w - 7),
                batch_input_shape=(h, w), pad_shape=(h, w),
                scale_factor=(1.0, 1.0))) for _ in range(t)
        ]
        with torch.no_grad():
            ref = model.predict(x, [s.clone() for s in samples])
            with onnx_model.wrapper.delegate(onnx_model.run):
                got = model.predict(x, [s.clone() for s in samples])
        for r, g in zip(ref, got):
            ri, gi = r.pred_instances, g.pred_instances
            assert len(ri) > 0
            assert torch.equal(ri.labels, gi.labels)
            torch.testing.assert_close(gi.scores, ri.scores, atol=1e-5,
                                       rtol=0)
            assert_same_masks(ri.masks.numpy(), gi.masks.numpy(), (t, h, w))
    assert onnx_model.graph_calls == 2
    assert 'extract_feat' not in vars(model)
