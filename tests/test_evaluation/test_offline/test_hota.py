# Copyright (c) mmvidseg contributors. All rights reserved.
"""``--metric hota`` (BURST) of tools/analysis_tools/eval_offline.py."""
import json

import pytest


def test_burst_folder_and_file(tool, toy_root, tmp_path):
    gt_dir = toy_root / 'burst' / 'annotations' / 'val'
    gt_file = gt_dir / 'all_classes.json'
    # the folder (as the official run.py --gt) or the file itself
    for gt in (gt_dir, gt_file):
        out = tool.main(['--metric', 'hota', '--gt', str(gt), '--pred',
                         str(gt_file)])
        assert out['HOTA_all'] == pytest.approx(100.0)
        assert out['DetA_all'] == pytest.approx(100.0)
    # a prediction without any mask scores zero
    pred = json.loads(gt_file.read_text())
    for seq in pred['sequences']:
        seq['segmentations'] = [{} for _ in seq['segmentations']]
    (tmp_path / 'empty.json').write_text(json.dumps(pred))
    out = tool.main(['--metric', 'hota', '--gt', str(gt_dir), '--pred',
                     str(tmp_path / 'empty.json'), '--task',
                     'exemplar_guided'])
    assert out['HOTA_all'] == 0.0
