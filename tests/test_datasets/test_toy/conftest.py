# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest

from mmvidseg.datasets.toy import generate_toy_dataset


@pytest.fixture(scope='session')
def tiny_root(tmp_path_factory) -> str:
    """All formats of the ``tiny`` preset, generated once per session."""
    root = str(tmp_path_factory.mktemp('toy') / 'tiny')
    generate_toy_dataset(root, preset='tiny', seed=0)
    return root
