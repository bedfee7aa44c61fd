# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest

from mmvidseg.datasets.toy import (TOY_PRESETS, generate_toy_dataset,
                                   render_dataset)


@pytest.fixture(scope='session')
def tiny_root(tmp_path_factory) -> str:
    """All formats of the ``tiny`` preset, generated once per session."""
    root = str(tmp_path_factory.mktemp('toy') / 'tiny')
    generate_toy_dataset(root, preset='tiny', seed=0)
    return root


@pytest.fixture(scope='session')
def videos() -> dict:
    """The rendered ``tiny`` videos (seed 0) by name: the ground truth that
    every toy format must decode back to."""
    return {v.name: v for v in render_dataset(TOY_PRESETS['tiny'], 0)}
