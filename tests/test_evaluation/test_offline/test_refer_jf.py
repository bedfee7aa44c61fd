# Copyright (c) mmvidseg contributors. All rights reserved.
"""``--metric refer_jf`` of tools/analysis_tools/eval_offline.py."""
import numpy as np

from mmvidseg.evaluation.functional.refer_io import write_refer_submission


def test_refer_jf_folders(tool, tmp_path):
    m = np.zeros((8, 10), bool)
    m[2:6, 3:8] = True
    write_refer_submission({'v': {'0': {'00000': m}}}, str(tmp_path / 'g'))
    write_refer_submission({'v': {'0': {'00000': m}}}, str(tmp_path / 'p'))
    out = tool.main(['--metric', 'refer_jf', '--gt', str(tmp_path / 'g'),
                     '--pred', str(tmp_path / 'p')])
    assert out['J&F'] == 1.0
