# Copyright (c) mmvidseg contributors. All rights reserved.
"""demo/video_demo.py end to end on a small video (streaming session)."""
import json
import subprocess
import sys

import cv2
import numpy as np
import torch

from mmvidseg.apis import init_model
from mmvidseg.testing import REPO_ROOT, config_path
from mmvidseg.visualization import write_video

TOY_CONFIG = config_path(
    'mask2former_vis/mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py')


def test_demo_renders_and_writes_results(tmp_path):
    rng = np.random.RandomState(0)
    frames = [rng.randint(0, 255, (64, 96, 3), np.uint8) for _ in range(7)]
    write_video(frames, str(tmp_path / 'in.mp4'))
    ckpt = tmp_path / 'toy.pth'
    torch.save(dict(state_dict=init_model(TOY_CONFIG).state_dict(),
                    meta=dict(dataset_meta=dict(classes=('a', 'b', 'c')))),
               ckpt)
    cmd = [sys.executable, 'demo/video_demo.py', str(tmp_path / 'in.mp4'),
           TOY_CONFIG, str(ckpt), '--out', str(tmp_path / 'out.mp4'),
           '--results', str(tmp_path / 'tracks.json'), '--window', '3',
           '--overlap', '1', '--score-thr', '0']
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '7 frames in' in proc.stdout and 'frames/s  RSS' in proc.stderr
    cap = cv2.VideoCapture(str(tmp_path / 'out.mp4'))
    count = 0
    while cap.read()[0]:
        count += 1
    assert count == 7
    data = json.load(open(tmp_path / 'tracks.json'))
    assert [f['frame'] for f in data['frames']] == list(range(7))
    assert data['window'] == 3 and data['overlap'] == 1
    assert all(len(f['masks']) == len(f['track_ids']) for f in data['frames'])
    # never replaces the user's files without --force
    again = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode != 0 and 'pass --force' in again.stderr


def test_demo_video_ttt_resized_semantic_maps(tmp_path):
    """A Video-TTT model through the demo: frames resized, class regions
    drawn, per-class RLE regions in the results (frozen: fast)."""
    config = config_path(
        'video_ttt/video-ttt_r18-b16-tiny_toy-ttt-semantic.py')
    rng = np.random.RandomState(1)
    frames = [rng.randint(0, 255, (50, 70, 3), np.uint8) for _ in range(3)]
    write_video(frames, str(tmp_path / 'in.mp4'))
    ckpt = tmp_path / 'ttt.pth'
    torch.save(dict(state_dict=init_model(config).state_dict()), ckpt)
    cmd = [sys.executable, 'demo/video_demo.py', str(tmp_path / 'in.mp4'),
           config, str(ckpt), '--out', str(tmp_path / 'out.mp4'),
           '--results', str(tmp_path / 'maps.json'), '--resize', '48', '32',
           '--ttt-mode', 'frozen']
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    cap = cv2.VideoCapture(str(tmp_path / 'out.mp4'))
    shapes = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        shapes.append(frame.shape[:2])
    assert shapes == [(32, 48)] * 3
    data = json.load(open(tmp_path / 'maps.json'))
    for f in data['frames']:
        sem = f['semantic']
        assert len(sem['labels']) == len(sem['masks']) >= 1
        assert sum(m['size'] == [32, 48] for m in sem['masks']) == len(
            sem['masks'])
