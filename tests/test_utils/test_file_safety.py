# Copyright (c) mmvidseg contributors. All rights reserved.
"""--force guards every output a tool writes."""
import argparse

import pytest

from mmvidseg.utils.file_safety import (add_force_argument, check_new_file,
                                        check_output_dir)


def test_force_flag_and_alias():
    parser = argparse.ArgumentParser()
    add_force_argument(parser)
    assert parser.parse_args([]).force is False
    assert parser.parse_args(['--force']).force is True
    assert parser.parse_args(['--overwrite']).force is True


def test_check_new_file(tmp_path):
    path = tmp_path / 'out.pth'
    check_new_file(str(path), force=False)  # absent: fine
    path.write_bytes(b'mine')
    with pytest.raises(FileExistsError, match='out.pth exists; pass --force'):
        check_new_file(str(path), force=False)
    check_new_file(str(path), force=True)
    assert path.read_bytes() == b'mine'  # the check never deletes


def test_check_output_dir(tmp_path):
    check_output_dir(str(tmp_path / 'new'), force=False)
    check_output_dir(str(tmp_path), force=False)  # empty: fine
    (tmp_path / 'a.mp4').write_bytes(b'x')
    with pytest.raises(FileExistsError, match='is not empty; pass --force'):
        check_output_dir(str(tmp_path), force=False)
    check_output_dir(str(tmp_path), force=True)
    with pytest.raises(FileExistsError, match='is a file'):
        check_output_dir(str(tmp_path / 'a.mp4'), force=True)
