# Copyright (c) mmvidseg contributors. All rights reserved.
"""tabulate_ttt: per-video means, overall rows, relative improvement."""
import json
import os
import sys

import pytest

from mmvidseg.testing import REPO_ROOT

sys.path.insert(0, os.path.join(REPO_ROOT, 'tools', 'analysis_tools'))
import tabulate_ttt  # noqa: E402


def _log(folder, video, values, split=None, start=0):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, f'{video}.jsonl'), 'w') as f:
        for i, v in enumerate(values):
            rec = dict(video=video, frame_id=start + i, split=split,
                       evaluated=v is not None, ttt_time_s=0.5,
                       predict_time_s=0.1, wall_s=0.7, peak_rss_mb=100.0)
            if v is not None:
                rec['value'] = v
            f.write(json.dumps(rec) + '\n')


def test_plain_table(tmp_path):
    _log(tmp_path / 'b', 'v1', [10.0, None, 20.0])
    _log(tmp_path / 'b', 'v2', [40.0])
    _log(tmp_path / 't', 'v1', [20.0, None, 30.0])
    _log(tmp_path / 't', 'v2', [40.0])
    text = tabulate_ttt.main(['--baseline', str(tmp_path / 'b'), '--ttt',
                              str(tmp_path / 't')])
    assert '| v1 | 15.00 | 25.00 | +66.7% |' in text
    # overall: videos weighted by evaluated frames (2 and 1)
    assert '| **overall** | 23.33 | 30.00 | +28.6% |' in text
    assert '| baseline | 0.500 | 0.100 | 0.700 | 100 |' in text
    text = tabulate_ttt.main(['--baseline', str(tmp_path / 'b'), '--ttt',
                              str(tmp_path / 't'), '--min-frame', '2'])
    assert '| v1 | 20.00 | 30.00 | +50.0% |' in text


def test_kitti_splits(tmp_path):
    _log(tmp_path / 'b', '0000', [50.0, 52.0], 'train')
    _log(tmp_path / 'b', '0002', [40.0], 'val')
    _log(tmp_path / 't', '0000', [55.0, 57.0], 'train')
    _log(tmp_path / 't', '0002', [44.0], 'val')
    text = tabulate_ttt.main(['--baseline', str(tmp_path / 'b'), '--ttt',
                              str(tmp_path / 't'), '--protocol', 'kitti'])
    assert '| **train mean** | 51.00 | 56.00 |' in text
    assert '| **val mean** | 40.00 | 44.00 | +10.0% |' in text


def test_missing_logs(tmp_path):
    with pytest.raises(FileNotFoundError, match='jsonl'):
        tabulate_ttt.read_run(str(tmp_path))
