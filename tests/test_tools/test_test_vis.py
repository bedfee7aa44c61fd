# Copyright (c) mmvidseg contributors. All rights reserved.
"""train.py -> test_vis.py on the tiny toy data: submission, score, videos."""
import json
import os.path as osp
import subprocess
import sys
import zipfile

import pytest

from mmvidseg.testing import REPO_ROOT, config_path

TOY_CONFIG = config_path(
    'mask2former_vis/mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py')


def _run(args):
    proc = subprocess.run([sys.executable] + args, cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope='module')
def trained(toy_ytvis_root, tmp_path_factory):
    work = tmp_path_factory.mktemp('train')
    _run([
        'tools/train.py', TOY_CONFIG, '--work-dir', str(work),
        '--cfg-options', f'train_dataloader.dataset.data_root={toy_ytvis_root}/',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=100',
        'default_hooks.checkpoint.interval=2', 'param_scheduler=[]', 'val_cfg=None', 'val_dataloader=None',
        'val_evaluator=None'
    ])
    return work, osp.join(work, 'iter_2.pth')


def test_submission_score_and_render(trained, toy_ytvis_root, tmp_path):
    work, ckpt = trained
    out_dir = tmp_path / 'sub'
    vis_dir = tmp_path / 'vis'
    root_opt = f'test_dataloader.dataset.data_root={toy_ytvis_root}/'
    log = _run([
        'tools/test_vis.py', TOY_CONFIG, ckpt, '--out-dir', str(out_dir),
        '--gt', str(toy_ytvis_root / 'valid_gt.json'), '--show-dir',
        str(vis_dir), '--max-show', '1', '--work-dir', str(work),
        '--cfg-options', root_opt
    ])
    valid = json.loads((toy_ytvis_root / 'valid.json').read_text())
    results = json.loads((out_dir / 'results.json').read_text())
    lengths = {v['id']: v['length'] for v in valid['videos']}
    assert {r['video_id'] for r in results} <= set(lengths)
    for r in results:
        assert set(r) >= {'video_id', 'score', 'category_id',
                          'segmentations'}
        assert len(r['segmentations']) == lengths[r['video_id']]
        assert 1 <= r['category_id'] <= 3
    with zipfile.ZipFile(out_dir / 'submission_file.zip') as z:
        assert z.namelist() == ['results.json']
    metrics = json.loads((out_dir / 'metrics.json').read_text())
    assert 0.0 <= metrics[next(k for k in metrics if k.endswith('AP'))] <= 1
    assert 'Submission:' in log
    # the written zip was checked against the test split's videos
    assert 'valid.json: OK: checked' in log
    assert len(list(vis_dir.glob('*.mp4'))) == 1
    assert len(list(vis_dir.glob('*.gif'))) == 1
    # never overwrites a user's results silently
    proc = subprocess.run([
        sys.executable, 'tools/test_vis.py', TOY_CONFIG, ckpt, '--out-dir',
        str(out_dir), '--cfg-options', root_opt
    ], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0 and 'pass --force' in proc.stderr
