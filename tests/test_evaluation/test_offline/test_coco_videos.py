# Copyright (c) mmvidseg contributors. All rights reserved.
"""``--metric coco_videos`` of tools/analysis_tools/eval_offline.py."""
import json

import pytest

from ._coco_files import _a2d_files


def test_coco_videos_folders(tool, tmp_path):
    gt, preds = _a2d_files()
    (tmp_path / 'cg').mkdir()
    (tmp_path / 'cp').mkdir()
    json.dump(gt, open(tmp_path / 'cg' / 'paris.json', 'w'))
    json.dump(preds, open(tmp_path / 'cp' / 'paris.json', 'w'))
    out = tool.main(['--metric', 'coco_videos', '--gt', str(tmp_path / 'cg'),
                     '--pred', str(tmp_path / 'cp'), '--cv-weights',
                     'official'])
    assert out['overall'] == pytest.approx(100.0)
    assert out['per_video'] == {'paris': pytest.approx(100.0)}
