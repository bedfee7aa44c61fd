# Copyright (c) mmvidseg contributors. All rights reserved.
"""The toy joint TarViS config on 2 gloo processes (tools/dist_train.sh).

2 processes x 1 clip x 2 accumulated loader batches = the global batch of 4
(GlobalBatchHook); every step is one dataset and task on both ranks
(TaskAwareBatchSampler); a VOS step leaves the VIS queries unused and a VIS
step the object encoder, which DDP accepts only with
``find_unused_parameters=True`` (set by the config, as the reference).
"""
import os
import os.path as osp
import re
import socket
import subprocess
import sys

import pytest
from mmengine.config import Config

from mmvidseg.testing import REPO_ROOT, config_path, reroot_toy

CONFIG = 'tarvis/tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py'



def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_two_processes_train_the_joint_toy(toy_root, tmp_path):
    cfg = Config.fromfile(config_path(CONFIG))
    loader = reroot_toy(cfg.train_dataloader.to_dict(), str(toy_root))
    loader['batch_size'] = 1
    loader['batch_sampler']['chunk_steps'] = 1
    cfg.train_dataloader = loader
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=4)
    cfg.param_scheduler = None
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=10**6, by_epoch=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    path = tmp_path / 'joint.py'
    cfg.dump(str(path))
    env = dict(os.environ, PORT=str(_free_port()), OMP_NUM_THREADS='1',
               PYTHONPATH=REPO_ROOT + os.pathsep +
               os.environ.get('PYTHONPATH', ''),
               PATH=osp.dirname(sys.executable) + os.pathsep +
               os.environ.get('PATH', ''))
    proc = subprocess.run(
        ['bash', osp.join(REPO_ROOT, 'tools', 'dist_train.sh'), str(path),
         '2', '--work-dir', str(tmp_path / 'work')], cwd=REPO_ROOT, env=env,
        capture_output=True, text=True, timeout=900)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert '2 process(es) x 1 clip(s) x 2 accumulated' in log
    # 4 optimiser steps = 8 loader iterations, every one logged
    assert len(re.findall(r'Iter\(train\) \[\s*\d+/8\]', log)) >= 8
