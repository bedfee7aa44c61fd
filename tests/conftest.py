# Copyright (c) mmvidseg contributors. All rights reserved.
"""Shared fixtures: the tiny toy dataset, generated once per test session."""
import pytest


@pytest.fixture(scope='session')
def toy_root(tmp_path_factory):
    """Root of the ``tiny`` toy dataset in every official format."""
    from mmvidseg.datasets.toy import generate_toy_dataset
    root = tmp_path_factory.mktemp('toy')
    generate_toy_dataset(str(root / 'toy'), preset='tiny', seed=0)
    return root / 'toy'


@pytest.fixture(scope='session')
def toy_ytvis_root(toy_root):
    """``<toy>/youtube_vis``: train.json, valid.json, valid_gt.json, frames."""
    return toy_root / 'youtube_vis'
