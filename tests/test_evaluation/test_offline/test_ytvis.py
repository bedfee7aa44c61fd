# Copyright (c) mmvidseg contributors. All rights reserved.
"""``--metric ytvis`` of tools/analysis_tools/eval_offline.py."""
import json

import numpy as np
import pytest

from mmvidseg.structures.masks import encode_mask as _rle


def test_ytvis(tool, tmp_path):
    m = np.zeros((6, 8), np.uint8)
    m[1:4, 1:5] = 1
    gt = dict(videos=[dict(id=1, height=6, width=8, length=2)],
              categories=[dict(id=1, name='a')],
              annotations=[dict(id=1, video_id=1, category_id=1, iscrowd=0,
                                segmentations=[_rle(m), None],
                                areas=[12, None])])
    res = [dict(video_id=1, category_id=1, score=0.5,
                segmentations=[_rle(m), None])]
    json.dump(gt, open(tmp_path / 'gt.json', 'w'))
    json.dump(res, open(tmp_path / 'res.json', 'w'))
    out = tool.main(['--metric', 'ytvis', '--gt', str(tmp_path / 'gt.json'),
                     '--pred', str(tmp_path / 'res.json'), '--out',
                     str(tmp_path / 'm.json')])
    assert out['AP'] == pytest.approx(1.0)
    assert json.load(open(tmp_path / 'm.json'))['AR1'] == 1.0
    res[0]['segmentations'] = res[0]['segmentations'][:1]
    json.dump(res, open(tmp_path / 'res.json', 'w'))
    with pytest.raises(ValueError, match='video_id 1.*2 entries'):
        tool.main(['--metric', 'ytvis', '--gt', str(tmp_path / 'gt.json'),
                   '--pred', str(tmp_path / 'res.json')])
    # --out never replaces an existing file without --force
    with pytest.raises(SystemExit):
        tool.main(['--metric', 'ytvis', '--gt', str(tmp_path / 'gt.json'),
                   '--pred', str(tmp_path / 'res.json'), '--out',
                   str(tmp_path / 'm.json')])
    assert json.load(open(tmp_path / 'm.json'))['AR1'] == 1.0
