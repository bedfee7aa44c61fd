# Copyright (c) mmvidseg contributors. All rights reserved.
"""The pinned environment: requirements/constraints.txt and its checks."""
import re
from pathlib import Path

import pytest

from mmvidseg.utils.env_info import (DEFAULT_CONSTRAINTS,
                                     constraint_mismatches, numeric_versions,
                                     read_constraints)

ROOT = Path(__file__).resolve().parents[2]


def _requirement_names(fname):
    for line in (ROOT / 'requirements' / fname).read_text().splitlines():
        line = line.split('#')[0].strip()
        if line and not line.startswith('-'):
            yield re.sub(r'[-_.]+', '-',
                         re.split(r'[<>=!~\[; ]', line)[0]).lower()


def test_every_requirement_is_pinned():
    pins = read_constraints()
    assert 'torch' in pins and pins['torch'] == '2.13.0'
    assert pins['mmcv'] == '2.1.0' and pins['mmdet'] == '3.3.0'
    for fname in ('build.txt', 'mminstall.txt', 'runtime.txt', 'tests.txt',
                  'optional.txt'):
        for name in _requirement_names(fname):
            assert name in pins, f'{fname}: {name} has no pin'


def test_install_script_uses_the_constraints():
    text = (ROOT / 'tools' / 'install.sh').read_text()
    assert '-c requirements/constraints.txt' in text
    assert DEFAULT_CONSTRAINTS == ROOT / 'requirements' / 'constraints.txt'


def test_read_constraints_rejects_ranges(tmp_path):
    path = tmp_path / 'c.txt'
    path.write_text('# comment\nsix==1.17.0  # why\nNumPy_x==2.0\n')
    assert read_constraints(path) == {'six': '1.17.0', 'numpy-x': '2.0'}
    path.write_text('numpy>=2\n')
    with pytest.raises(ValueError, match=r'c.txt:1: expected "name==version"'):
        read_constraints(path)


def test_mismatches_name_the_package(tmp_path):
    from importlib.metadata import version
    path = tmp_path / 'c.txt'
    numpy_version = version('numpy')
    path.write_text(f'numpy=={numpy_version}\npytest==0.0.1\n'
                    'not-a-real-dist-xyz==1.0\n')
    out = constraint_mismatches(path)
    assert ('pytest', '0.0.1', version('pytest')) in out
    assert ('not-a-real-dist-xyz', '1.0', None) in out
    assert all(name != 'numpy' for name, _, _ in out)


def test_numeric_versions_lists_the_decoders():
    info = numeric_versions()
    for key in ('torch', 'numpy', 'opencv-python', 'pillow', 'pycocotools',
                'python', 'torch_threads'):
        assert key in info and info[key]
