# Copyright (c) mmvidseg contributors. All rights reserved.
"""The tool rebuilds the generator's unique-expression files of an older
toy Ref-YouTube-VOS folder from its full expressions."""
import json
import os.path as osp
import shutil
import sys

import pytest

from mmvidseg.testing import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'dataset_converters'))
from toy_ref_expressions import parse_full, write  # noqa: E402


def _load(path):
    with open(path) as f:
        return json.load(f)


def test_tool_reproduces_the_generator_files(toy_root, tmp_path):
    src = toy_root / 'ref_youtube_vos'
    old = tmp_path / 'ref_youtube_vos'
    for sub in ('meta_expressions/train', 'valid_gt'):
        shutil.copytree(src / sub, old / sub,
                        ignore=shutil.ignore_patterns('Annotations', 'kinds'))
    written = write(str(old))
    assert len(written) == 9
    for path in written:
        rel = osp.relpath(path, old)
        assert _load(path) == _load(src / rel), rel


def test_parse_full_rejects_a_short_expression():
    assert vars(parse_full('the red square moving left')) == dict(
        colour='red', class_name='square', direction='left')
    with pytest.raises(ValueError, match='not a full toy expression'):
        parse_full('the red square')
