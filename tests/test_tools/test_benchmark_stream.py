# Copyright (c) mmvidseg contributors. All rights reserved.
"""tools/analysis_tools/benchmark_stream.py: the test-scale option and one
child run end to end (results at the frames' size, progress lines)."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
from mmengine.config import Config

from mmvidseg.testing import config_path

_PATH = osp.join(osp.dirname(__file__), '..', '..', 'tools',
                 'analysis_tools', 'benchmark_stream.py')
_spec = importlib.util.spec_from_file_location('benchmark_stream', _PATH)
benchmark_stream = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(benchmark_stream)

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
        env={**os.environ, 'OMP_NUM_THREADS': '1'})
    assert out.returncode == 0, out.stderr[-2000:]
    row = json.loads(out.stdout.strip().splitlines()[-1])
    assert row['mode'] == 'stream' and row['frames'] == 6
    assert row['peak_rss_mb'] > 0 and row['fps'] > 0
    assert row['result_hw'] == [96, 128]
    # --progress: the peak so far after 3 and 6 frames, on stderr
    progress = [line.split() for line in out.stderr.splitlines()
                if line.startswith('  stream')]
    assert [p[1] for p in progress] == ['3', '6']
    assert float(progress[-1][-2]) <= row['peak_rss_mb']
