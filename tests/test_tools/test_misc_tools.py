# Copyright (c) mmvidseg contributors. All rights reserved.
"""browse_dataset.py, print_config.py and benchmark.py run on a toy config."""
import json
import subprocess
import sys

import cv2

from mmvidseg.testing import REPO_ROOT, config_path

TOY_CONFIG = config_path(
    'mask2former_vis/mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py')


def _run(args):
    proc = subprocess.run([sys.executable] + args, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return proc.stdout


def test_browse_dataset_renders_clips(toy_ytvis_root, tmp_path):
    out = _run([
        'tools/misc/browse_dataset.py', TOY_CONFIG, '--out-dir',
        str(tmp_path), '--num-videos', '2', '--format', 'mp4', '--cfg-options',
        f'train_dataloader.dataset.data_root={toy_ytvis_root}/'
    ])
    files = sorted(tmp_path.glob('*.mp4'))
    assert len(files) == 2 and all(str(f) in out for f in files)
    cap = cv2.VideoCapture(str(files[0]))
    ok, frame = cap.read()
    # 2-frame training clips, upscaled so the short side is >= 256
    assert ok and min(frame.shape[:2]) >= 256
    # a second run into the same folder needs --force
    proc = subprocess.run([
        sys.executable, 'tools/misc/browse_dataset.py', TOY_CONFIG,
        '--out-dir', str(tmp_path)], cwd=REPO_ROOT, capture_output=True,
        text=True, timeout=300)
    assert proc.returncode != 0
    assert 'is not empty; pass --force' in proc.stderr


def test_print_config_resolves_base():
    out = _run(['tools/misc/print_config.py', TOY_CONFIG])
    assert "default_scope = 'mmvidseg'" in out
    assert "type='VideoClipSample'" in out


def test_benchmark_reports_fps_and_memory():
    out = _run([
        'tools/analysis_tools/benchmark.py', TOY_CONFIG, '--shape', '2', '64',
        '96', '--repeat', '1', '--device', 'cpu'
    ])
    row = json.loads(out.strip().splitlines()[-1])
    assert row['shape'] == [2, 64, 96] and row['frames_per_second'] > 0
    assert row['memory_kind'] == 'cpu_peak_rss_growth'
