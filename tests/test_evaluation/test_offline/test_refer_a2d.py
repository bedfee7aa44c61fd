# Copyright (c) mmvidseg contributors. All rights reserved.
"""``--metric refer_a2d`` of tools/analysis_tools/eval_offline.py."""
import json

import pytest

from ._coco_files import _a2d_files


def test_refer_a2d_json(tool, tmp_path):
    gt, preds = _a2d_files()
    json.dump(gt, open(tmp_path / 'a2d_gt.json', 'w'))
    json.dump(preds, open(tmp_path / 'a2d_pred.json', 'w'))
    out = tool.main(['--metric', 'refer_a2d', '--gt',
                     str(tmp_path / 'a2d_gt.json'), '--pred',
                     str(tmp_path / 'a2d_pred.json')])
    assert out['mAP'] == pytest.approx(1.0) and out['P@0.9'] == 1.0
