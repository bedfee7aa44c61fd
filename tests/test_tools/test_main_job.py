# Copyright (c) mmvidseg contributors. All rights reserved.
"""The README's main job (tools/main_job.py, its default config) end to end
on the tiny toy preset, with 2 training iterations."""
import json
import os.path as osp
import subprocess
import sys

from mmengine.config import Config

from mmvidseg.testing import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'tools'))
from main_job import DEFAULT_CONFIG  # noqa: E402


def test_default_config_trains_on_the_toy_data():
    cfg = Config.fromfile(osp.join(REPO_ROOT, DEFAULT_CONFIG))
    assert cfg.train_dataloader.dataset.data_root.startswith('data/toy/')
    assert cfg.test_evaluator.ann_file.endswith('valid_gt.json')


def test_main_job_runs_end_to_end(tmp_path):
    data, work = tmp_path / 'toy', tmp_path / 'work'
    proc = subprocess.run([
        sys.executable, 'tools/main_job.py', '--preset', 'tiny',
        '--data-root', str(data), '--work-dir', str(work), '--max-iters', '2'
    ], cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    with open(work / 'main_job_summary.json') as f:
        summary = json.load(f)
    metrics = summary['metrics']
    assert 0.0 <= metrics['youtube_vis/segm_mAP'] <= 1.0
    outputs = summary['outputs']
    assert osp.isfile(osp.join(REPO_ROOT, outputs['codalab_zip']))
    with open(osp.join(REPO_ROOT, outputs['results_json'])) as f:
        results = json.load(f)
    assert results and {'video_id', 'score', 'category_id',
                        'segmentations'} <= set(results[0])
    rendered = [p for p in (work / 'vis').iterdir()
                if p.suffix in ('.mp4', '.gif')]
    assert rendered
