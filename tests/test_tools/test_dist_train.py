# Copyright (c) mmvidseg contributors. All rights reserved.
"""tools/dist_train.sh with 2 CPU processes (gloo) trains and checkpoints."""
import os
import os.path as osp
import re
import socket
import subprocess
import sys

import torch

from mmvidseg.testing import REPO_ROOT, config_path

TOY_CONFIG = config_path(
    'mask2former_vis/mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py')


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_dist_train_two_cpu_processes(toy_ytvis_root, tmp_path):
    env = dict(os.environ, PORT=str(_free_port()), OMP_NUM_THREADS='1',
               PATH=osp.dirname(sys.executable) + os.pathsep +
               os.environ.get('PATH', ''))
    cmd = [
        'bash', osp.join(REPO_ROOT, 'tools', 'dist_train.sh'), TOY_CONFIG,
        '2', '--work-dir', str(tmp_path), '--cfg-options',
        f'train_dataloader.dataset.data_root={toy_ytvis_root}/',
        'train_dataloader.batch_size=1', 'train_cfg.max_iters=3',
        'train_cfg.val_interval=1000', 'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=3', 'param_scheduler=[]', 'val_cfg=None', 'val_dataloader=None',
        'val_evaluator=None'
    ]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert 'gloo' in log
    # the world size is 2 and every iteration was logged by rank 0
    assert re.search(r'world_size:\s*2|Distributed launcher: pytorch', log)
    assert 'Iter(train) [3/3]' in log
    ckpt = torch.load(osp.join(tmp_path, 'iter_3.pth'), map_location='cpu',
                      weights_only=False)
    assert ckpt['meta']['iter'] == 3
    assert any(k.startswith('track_head.') for k in ckpt['state_dict'])
