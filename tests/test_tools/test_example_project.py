# Copyright (c) mmvidseg contributors. All rights reserved.
"""A third party extends mmvidseg with custom_imports (projects/)."""
import copy

import torch
from mmengine.config import Config

from mmvidseg.registry import MODELS
from mmvidseg.testing import REPO_ROOT
from mmvidseg.utils import register_all_modules


def test_custom_imports_project(monkeypatch):
    monkeypatch.syspath_prepend(REPO_ROOT)
    register_all_modules()
    cfg = Config.fromfile(
        f'{REPO_ROOT}/projects/example_project/configs/'
        'mask2former_dummy-r18_toy.py')
    model = MODELS.build(copy.deepcopy(cfg.model))
    assert type(model.backbone).__name__ == 'DummyResNet'
    model.backbone(torch.zeros(2, 3, 64, 64))
    assert model.backbone.num_calls == 1
