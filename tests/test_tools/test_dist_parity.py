# Copyright (c) mmvidseg contributors. All rights reserved.
"""Distributed training (2 CPU processes, gloo) against one process.

* Same global batch -> same weights: 1 process x batch 4 and 2 processes x
  batch 2 give the same linear model after 4 SGD-momentum steps (to float
  rounding: DDP averages per-rank mean gradients, one process averages the
  whole batch). The toy models of the five systems do not allow this
  comparison: their clip sampling and augmentations draw from a per-process
  random stream (the same seed on every rank draws the same numbers for other
  samples), Mask2Former-style losses sample random points, and BatchNorm sees
  per-rank batches.
* A rank that raises stops the whole job, with that rank's error, within a
  bounded time (torchrun's agent stops the other ranks, which would otherwise
  wait in the next all-reduce).
"""
import os
import os.path as osp
import socket
import subprocess
import sys
import time

import torch

from mmvidseg.testing import REPO_ROOT

CONFIG = """
custom_imports = dict(imports=['mmvidseg.testing.dist_toys'],
                      allow_failed_imports=False)
default_scope = 'mmvidseg'
model = dict(type='ToyRegressor', fail_rank={fail_rank})
train_dataloader = dict(
    batch_size={batch}, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
    dataset=dict(type='ToyPointsDataset', n=16))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=4)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9))
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', interval=4, by_epoch=False),
    logger=dict(type='LoggerHook', interval=1))
randomness = dict(seed=0)
"""


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _run(tmp_path, name, nproc, batch, fail_rank=None, timeout=300):
    cfg = tmp_path / f'{name}.py'
    cfg.write_text(CONFIG.format(batch=batch, fail_rank=fail_rank))
    work = tmp_path / name
    env = dict(os.environ, PORT=str(_free_port()), OMP_NUM_THREADS='1',
               PYTHONPATH=REPO_ROOT + os.pathsep +
               os.environ.get('PYTHONPATH', ''),
               PATH=osp.dirname(sys.executable) + os.pathsep +
               os.environ.get('PATH', ''))
    if nproc == 1:
        cmd = [sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'),
               str(cfg), '--work-dir', str(work)]
    else:
        cmd = ['bash', osp.join(REPO_ROOT, 'tools', 'dist_train.sh'),
               str(cfg), str(nproc), '--work-dir', str(work)]
    start = time.time()
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)
    return proc, time.time() - start, work


def test_two_processes_match_one_with_the_same_global_batch(tmp_path):
    one, _, w1 = _run(tmp_path, 'one', 1, 4)
    assert one.returncode == 0, (one.stdout + one.stderr)[-3000:]
    two, _, w2 = _run(tmp_path, 'two', 2, 2)
    assert two.returncode == 0, (two.stdout + two.stderr)[-3000:]
    s1 = torch.load(w1 / 'iter_4.pth', map_location='cpu',
                    weights_only=False)['state_dict']
    s2 = torch.load(w2 / 'iter_4.pth', map_location='cpu',
                    weights_only=False)['state_dict']
    init = torch.linspace(-1, 1, 4)[None]
    assert not torch.allclose(s1['fc.weight'], init, atol=1e-3)  # it moved
    for key in s1:
        torch.testing.assert_close(s1[key], s2[key], rtol=0, atol=1e-6)


def test_a_failing_rank_stops_the_job_with_its_error(tmp_path):
    proc, elapsed, _ = _run(tmp_path, 'fail', 2, 2, fail_rank=1,
                            timeout=240)
    log = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 'boom on rank 1 at call 2' in log
    # bounded: far below the 30-minute default collective timeout
    assert elapsed < 200, f'took {elapsed:.0f} s'
