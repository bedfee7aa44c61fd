# Copyright (c) mmvidseg contributors. All rights reserved.
"""``--metric davis`` of tools/analysis_tools/eval_offline.py."""
import numpy as np

from mmvidseg.evaluation.functional.davis_io import write_davis_png


def test_davis(tool, tmp_path):
    gt = np.zeros((3, 8, 8), np.uint8)
    gt[:, 2:6, 2:6] = 1
    (tmp_path / 'D' / 'ImageSets' / '2017').mkdir(parents=True)
    (tmp_path / 'D' / 'ImageSets' / '2017' / 'val.txt').write_text('a\n')
    for t in range(3):
        write_davis_png(str(tmp_path / 'D' / 'Annotations' / '480p' / 'a' /
                            f'{t:05d}.png'), gt[t])
        write_davis_png(str(tmp_path / 'R' / 'a' / f'{t:05d}.png'), gt[t])
    out = tool.main(['--metric', 'davis', '--gt', str(tmp_path / 'D'),
                     '--pred', str(tmp_path / 'R')])
    assert out['J&F-Mean'] == 1.0 and out['per_object']['a_1']['F-Mean'] == 1
