# Copyright (c) mmvidseg contributors. All rights reserved.
"""tools/analysis_tools/benchmark_stream.py: the test-scale option, the
prompts (frame-0 masks, sentences) reaching the session, the runs that have
no whole-video reference, and child runs end to end (results at the frames'
size, progress lines)."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from mmengine.config import Config

from mmvidseg.testing import config_path

_PATH = osp.join(osp.dirname(__file__), '..', '..', 'tools',
                 'analysis_tools', 'benchmark_stream.py')
_spec = importlib.util.spec_from_file_location('benchmark_stream', _PATH)
benchmark_stream = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(benchmark_stream)

_ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
_TOY = 'mask2former_vis/mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py'


def _transforms(cfg):
    return [t['type'] for t in
            cfg.test_dataloader.dataset.pipeline[0]['transforms']]


def test_test_scale_goes_right_after_loading():
    cfg = Config.fromfile(config_path(_TOY))
    assert 'Resize' not in _transforms(cfg)  # the toy config has none
    benchmark_stream.with_test_scale(cfg, (64, 48))
    assert _transforms(cfg) == ['LoadImageFromFile', 'Resize',
                                'LoadTrackAnnotations']
    resize = cfg.test_dataloader.dataset.pipeline[0]['transforms'][1]
    assert resize['scale'] == (64, 48) and resize['keep_ratio']
    # an existing Resize (YouTube-VIS configs) is replaced, not doubled
    benchmark_stream.with_test_scale(cfg, (32, 24))
    assert _transforms(cfg).count('Resize') == 1
    assert cfg.test_dataloader.dataset.pipeline[0]['transforms'][1][
        'scale'] == (32, 24)


def test_test_scale_refuses_a_pipeline_without_frames():
    cfg = Config(dict(test_dataloader=dict(dataset=dict(
        pipeline=[dict(type='PackTrackInputs')]))))
    with pytest.raises(ValueError, match='put the Resize into the config'):
        benchmark_stream.with_test_scale(cfg, (64, 48))


def test_child_run_returns_results_at_frame_size():
    """Frames of 96 x 128 run through the network at 48 x 64 and come back
    at 96 x 128 (random weights, 6 frames, windows of 4)."""
    out = subprocess.run(
        [sys.executable, _PATH, config_path(_TOY), '--size', '96', '128',
         '--test-scale', '64', '48', '--window', '4', '--overlap', '1',
         '--child-mode', 'stream', '--child-frames', '6', '--progress', '3'],
        capture_output=True, text=True,
        env={**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': _ROOT})
    assert out.returncode == 0, out.stderr[-2000:]
    row = json.loads(out.stdout.strip().splitlines()[-1])
    assert row['mode'] == 'stream' and row['frames'] == 6
    assert row['peak_rss_mb'] > 0 and row['fps'] > 0
    assert row['result_hw'] == [96, 128]
    # --progress: the peak so far after 3 and 6 frames, on stderr
    progress = [line.split() for line in out.stderr.splitlines()
                if line.startswith('  stream')]
    assert [p[1] for p in progress] == ['3', '6']
    # (printed rounded to whole MB)
    assert float(progress[-1][-2]) <= row['peak_rss_mb'] + 0.5


# ---------------------------------------------------------------- prompts
_MTTR = 'mttr/mttr_swin-t-tiny_1xb4-2000i_toy-ref-youtube-vos.py'
_TARVIS_JOINT = 'tarvis/tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py'
_TARVIS_VIS = 'tarvis/tarvis_r18-b16-tiny_1xb4-1200i_toy-ytvis.py'
_TTT = 'video_ttt/video-ttt_r18-b16-tiny_toy-ttt-semantic.py'


def _args(config, *extra):
    """The child's arguments: 4 frames of 48 x 64, windows of 4 / 1."""
    return benchmark_stream.build_parser().parse_args(
        [config_path(config), '--size', '48', '64', '--window', '4',
         '--overlap', '1', '--child-frames', '4', *extra])


def test_shape_masks_are_what_is_drawn():
    frame = next(benchmark_stream.synthetic_frames(1, 48, 64))
    masks = benchmark_stream.shape_masks(0, 48, 64)
    assert masks.shape == (3, 48, 64) and masks.dtype == np.uint8
    assert masks.sum(0).max() == 1  # one owner per pixel
    for mask, color in zip(masks, benchmark_stream._COLORS):
        assert mask.any()
        # the mask is exactly where the shape's colour is
        np.testing.assert_array_equal(
            mask.astype(bool), (frame == color).all(-1))
    # a later frame: the shapes have moved, the masks with them
    later = benchmark_stream.shape_masks(20, 48, 64)
    assert (later != masks).any()


def test_text_reaches_the_referring_session():
    """Two sentences: the stream reports exactly their two track ids; the
    whole-video reference runs once per sentence."""
    row = benchmark_stream._child_run(_args(
        _MTTR, '--child-mode', 'stream', '--text', 'a red square',
        '--text', 'a green square'))
    assert row['prompted_objects'] == 2 and row['frames'] == 4
    assert row['tracks'] == 2 and row['result_hw'] == [48, 64]
    row = benchmark_stream._child_run(_args(
        _MTTR, '--child-mode', 'whole', '--text', 'a red square'))
    assert row['frames'] == 4 and row['tracks'] == 1


def test_missing_text_is_the_models_message(capsys):
    with pytest.raises(SystemExit) as exit_:
        benchmark_stream._child(_args(_MTTR, '--child-mode', 'stream'))
    assert exit_.value.code == 3
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert 'MTTR needs a sentence' in row['error']


def test_first_frame_masks_reach_the_vos_session():
    """The shapes' frame-0 masks are objects 1, 2, 3: a random-weight
    TarViS (seed 0) tracks exactly those ids; whole-video inference has
    no masks and is skipped with the reason."""
    row = benchmark_stream._child_run(_args(
        _TARVIS_JOINT, '--child-mode', 'stream', '--prompt', 'masks'))
    assert row['prompted_objects'] == 3 and row['tracks'] == 3
    assert row['frames'] == 4
    row = benchmark_stream._child_run(_args(
        _TARVIS_JOINT, '--child-mode', 'whole', '--prompt', 'masks'))
    assert 'takes no first-frame masks' in row['skipped']


def test_prompt_for_a_model_without_object_encoder(capsys):
    with pytest.raises(SystemExit):
        benchmark_stream._child(_args(_TARVIS_VIS, '--child-mode', 'stream',
                                      '--prompt', 'masks'))
    row = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert "takes no ['masks'] prompts" in row['error']


def test_video_ttt_has_no_whole_video_reference():
    row = benchmark_stream._child_run(_args(_TTT, '--child-mode', 'whole'))
    assert 'Video-TTT adapts its weights on every frame' in row['skipped']
    assert 'frames' not in row  # no numbers made up


def test_parent_prints_a_message_not_a_traceback():
    out = subprocess.run(
        [sys.executable, _PATH, config_path(_MTTR), '--size', '48', '64',
         '--frames', '2', '--window', '2', '--overlap', '1', '--no-whole'],
        capture_output=True, text=True,
        env={**os.environ, 'OMP_NUM_THREADS': '1', 'PYTHONPATH': _ROOT})
    assert out.returncode == 3
    assert 'stream over 2 frames cannot run' in out.stderr
    assert 'needs a sentence' in out.stderr
    assert 'Traceback' not in out.stderr
