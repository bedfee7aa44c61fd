# Copyright (c) mmvidseg contributors. All rights reserved.
"""Training killed with SIGKILL and resumed equals an uninterrupted run.

For one toy model of each family: ``tools/train.py`` runs N iterations
uninterrupted; a second run is killed (SIGKILL, a subprocess) after a random
iteration k; ``tools/train.py --resume`` continues it from its last
checkpoint. Compared: every weight and buffer, every optimiser state tensor
(Adam moments, step), the parameter-scheduler state and the logged losses of
every iteration (bitwise on CPU).
"""
import json
import os
import os.path as osp
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mmvidseg.testing import REPO_ROOT, config_path

N_ITERS = 6
INTERVAL = 2

FAMILIES = {
    'mask2former_vis': (
        'mask2former_vis/mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py',
        'youtube_vis'),
    'tevit': ('tevit/tevit_msgshift-tiny_1xb4-toy.py', 'youtube_vis'),
    'stemseg': ('stemseg/stemseg_r18-b16-tiny_1xb2-2400i_toy-ytvis.py',
                'youtube_vis'),
    'tarvis': ('tarvis/tarvis_r18-b16-tiny_1xb4-1200i_toy-ytvis.py',
               'youtube_vis'),
    'mttr': ('mttr/mttr_swin-t-tiny_1xb4-2000i_toy-ref-youtube-vos.py',
             'ref_youtube_vos'),
}


def _write_config(path: Path, base: str, data_root: str, kill_at=None):
    lines = [
        f'_base_ = [{config_path(base)!r}]',
        f'train_dataloader = dict(batch_size=1, dataset=dict('
        f'data_root={data_root!r}))',
        f'train_cfg = dict(type="IterBasedTrainLoop", max_iters={N_ITERS}, '
        'val_interval=10**6)',
        'val_cfg = None', 'val_dataloader = None', 'val_evaluator = None',
        'default_hooks = dict(checkpoint=dict(type="CheckpointHook", '
        f'by_epoch=False, interval={INTERVAL}, max_keep_ckpts=2), '
        'logger=dict(type="LoggerHook", interval=1))',
        'randomness = dict(seed=0)',
    ]
    if kill_at is not None:
        lines += [
            'custom_imports = dict(imports=["mmvidseg.testing.kill_hook"], '
            'allow_failed_imports=False)',
            f'custom_hooks = [dict(type="KillAtIterHook", iteration={kill_at})]'
        ]
    path.write_text('\n'.join(lines) + '\n')
    return str(path)


def _train(cfg: str, work_dir: Path, *extra):
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=REPO_ROOT + os.pathsep +
               os.environ.get('PYTHONPATH', ''))
    return subprocess.run(
        [sys.executable, osp.join(REPO_ROOT, 'tools', 'train.py'), cfg,
         '--work-dir', str(work_dir), *extra],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=900)


def _losses(work_dir: Path) -> dict:
    """``{iteration: {loss name: value}}`` of every scalars.json written."""
    out = {}
    for path in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            if 'loss' in rec:
                out[rec['iter']] = {k: v for k, v in rec.items()
                                    if k.startswith('loss') or '.loss' in k}
    return out


def _load(path: Path) -> dict:
    return torch.load(path, map_location='cpu', weights_only=False)


def _assert_same_tree(a, b, where=''):
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert set(a) == set(b), where
        for k in a:
            _assert_same_tree(a[k], b[k], f'{where}.{k}')
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same_tree(x, y, f'{where}[{i}]')
    else:
        assert a == b, where


@pytest.mark.parametrize('family', list(FAMILIES))
def test_sigkill_and_resume_equals_uninterrupted(family, toy_root, tmp_path):
    base, subset = FAMILIES[family]
    data_root = f'{toy_root}/{subset}/'
    # the kill lands after a checkpoint iteration or between two of them
    kill_at = random.Random(family).randint(INTERVAL + 1, N_ITERS - 1)

    ref_dir, cut_dir = tmp_path / 'ref', tmp_path / 'cut'
    proc = _train(_write_config(tmp_path / 'ref.py', base, data_root),
                  ref_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]

    cfg_kill = _write_config(tmp_path / 'kill.py', base, data_root, kill_at)
    proc = _train(cfg_kill, cut_dir)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-3000:]
    last = (cut_dir / 'last_checkpoint').read_text().strip()
    saved_iter = kill_at // INTERVAL * INTERVAL
    assert osp.basename(last) == f'iter_{saved_iter}.pth'
    assert not list(cut_dir.glob('.*.tmp-*'))

    cfg_resume = _write_config(tmp_path / 'resume.py', base, data_root)
    proc = _train(cfg_resume, cut_dir, '--resume')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f'Advance dataloader {saved_iter} steps' in proc.stdout + \
        proc.stderr

    ref = _load(ref_dir / f'iter_{N_ITERS}.pth')
    cut = _load(cut_dir / f'iter_{N_ITERS}.pth')
    assert ref['meta']['iter'] == cut['meta']['iter'] == N_ITERS
    for key in ('state_dict', 'optimizer', 'param_schedulers', 'rng_state'):
        _assert_same_tree(ref[key], cut[key], key)
    ref_losses, cut_losses = _losses(ref_dir), _losses(cut_dir)
    assert sorted(ref_losses) == list(range(1, N_ITERS + 1))
    assert ref_losses == cut_losses
    # max_keep_ckpts=2: only the last two checkpoints remain
    assert sorted(p.name for p in cut_dir.glob('iter_*.pth')) == \
        [f'iter_{N_ITERS - INTERVAL}.pth', f'iter_{N_ITERS}.pth']
