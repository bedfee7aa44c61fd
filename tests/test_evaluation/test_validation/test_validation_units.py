# Copyright (c) mmvidseg contributors. All rights reserved.
"""Units of mmvidseg.evaluation.validation not reached through the corpus
(tests/test_evaluation/test_bad_results.py runs the malformed files)."""
import io
import json
import os.path as osp
import zipfile

import numpy as np
import pytest
from PIL import Image

from mmvidseg.evaluation.validation import (Problems, ResultsFormatError,
                                            split_from_ytvis,
                                            validate_ytvis_results)
from mmvidseg.evaluation.validation.common import (Tree, check_png,
                                                   png_header)
from mmvidseg.evaluation.validation.errors import run_collecting
from mmvidseg.structures.masks import encode_mask

BAD = osp.join(osp.dirname(__file__), '..', '..', 'data', 'bad')


def _png(arr, mode):
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, format='PNG')
    return buf.getvalue()


def test_problems_strict_and_collecting():
    strict = Problems()
    with pytest.raises(ResultsFormatError, match=r'^f.json: \[3\]: "score" '
                       r'is bad\. Fix: change it$'):
        strict.error('f.json', '[3]', 'score', 'is bad', 'change it')
    assert issubclass(ResultsFormatError, ValueError)
    loose = Problems(strict=False, max_problems=2)

    def two_then_more(problems):
        for i in range(5):
            problems.error('f', f'[{i}]', 'x', 'is bad', 'fix')
        return 'finished'

    assert run_collecting(loose, two_then_more) is None  # stopped at 2
    assert len(loose.errors) == 2 and not loose.ok
    loose.count('masks', 3)
    assert loose.summary() == ('INVALID: checked 3 masks; 2 error(s), 0 '
                               'warning(s)')
    with pytest.raises(ResultsFormatError, match='stopped after 2'):
        loose.raise_if_any()


def test_png_header_and_check_png():
    data = _png(np.zeros((3, 5), np.uint8), 'L')
    assert png_header(data) == (3, 5, 8, 0)
    assert png_header(b'GIF89a' + data) is None
    problems = Problems(strict=False)
    assert check_png(data, 'a.png', 'frame 0', problems, (0, 3), (3, 5)) \
        == (3, 5)
    assert check_png(data, 'a.png', 'frame 0', problems, (2, ), None) \
        is None
    assert check_png(data[:-12], 'a.png', 'frame 0', problems, (0, ),
                     None) is None
    assert ['"mode" is grey' in problems.errors[0],
            'is truncated' in problems.errors[1]] == [True, True]


def test_tree_reads_folders_and_zips_alike(tmp_path):
    (tmp_path / 'd' / 'seq').mkdir(parents=True)
    (tmp_path / 'd' / 'seq' / 'a.png').write_bytes(b'xy')
    with zipfile.ZipFile(tmp_path / 'd.zip', 'w') as zf:
        zf.writestr('seq/', b'')
        zf.writestr('seq/a.png', b'xy')
    for root in (tmp_path / 'd', tmp_path / 'd.zip'):
        tree = Tree(str(root))
        assert tree.files() == ['seq/a.png'] and tree.read('seq/a.png') == \
            b'xy'
        tree.close()


def test_ytvis_accepts_in_memory_numpy_values():
    """The metric validates records before they are written: numpy ids and
    scores and bytes counts are fine there."""
    split = split_from_ytvis(osp.join(BAD, 'gt', 'ytvis.json'))
    with open(osp.join(BAD, 'ytvis', 'good.json')) as f:
        res = json.load(f)
    res[0].update(video_id=np.int64(1), score=np.float32(0.5))
    res[0]['segmentations'][0] = encode_mask(np.ones((4, 6)), as_json=False)
    assert validate_ytvis_results(res, split) is res
    res[0]['score'] = np.float32(np.nan)
    with pytest.raises(ResultsFormatError, match='got nan'):
        validate_ytvis_results(res, split)
