# Copyright (c) mmvidseg contributors. All rights reserved.
"""Every config under configs/ loads and builds its model, datasets and
evaluators (no pretrained weights, no real dataset files)."""
import copy
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from mmvidseg.registry import DATASETS, METRICS, MODELS
from mmvidseg.testing import REPO_ROOT
from mmvidseg.utils import register_all_modules

CONFIGS = sorted(
    p for p in glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'),
                         recursive=True) if '_base_' not in p)
# Models too big to build in the default run (hundreds of M parameters) are
# still loaded and their datasets / evaluators built; the model is built in
# the slow run.
BIG = ('swin-l', 'swin-large')


def _strip_init_cfg(cfg):
    if isinstance(cfg, dict):
        if 'init_cfg' in cfg:
            cfg['init_cfg'] = None
        for v in cfg.values():
            _strip_init_cfg(v)
    elif isinstance(cfg, list):
        for v in cfg:
            _strip_init_cfg(v)


def _dataset_cfgs(cfg):
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if loader:
            yield name, copy.deepcopy(loader['dataset'])


def _build_dataset(ds_cfg, toy_root):
    """Build with lazy_init (no files needed); toy configs load for real."""
    data_root = ds_cfg.get('data_root', '') or ''
    if 'data/toy' in data_root:
        ds_cfg['data_root'] = data_root.replace('data/toy', str(toy_root))
        return DATASETS.build(ds_cfg)
    _set_lazy(ds_cfg)
    return DATASETS.build(ds_cfg)


def _set_lazy(ds_cfg):
    """lazy_init on a dataset and, inside wrappers, on all its parts."""
    ds_cfg['lazy_init'] = True
    for d in [ds_cfg.get('dataset')] + list(ds_cfg.get('datasets', [])):
        if d is not None:
            _set_lazy(d)


@pytest.mark.parametrize('path', CONFIGS,
                         ids=[osp.relpath(p, REPO_ROOT) for p in CONFIGS])
def test_config_builds(path, toy_root):
    register_all_modules()
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmvidseg'
    model_cfg = copy.deepcopy(cfg.model)
    _strip_init_cfg(model_cfg)
    if not any(b in osp.basename(path) for b in BIG):
        model = MODELS.build(model_cfg)
        assert sum(p.numel() for p in model.parameters()) > 0
    for name, ds_cfg in _dataset_cfgs(cfg):
        dataset = _build_dataset(ds_cfg, toy_root)
        assert dataset is not None, name
    for name in ('val_evaluator', 'test_evaluator'):
        ev = cfg.get(name)
        if ev:
            for m in (ev if isinstance(ev, list) else [ev]):
                assert METRICS.build(copy.deepcopy(m)) is not None


@pytest.mark.slow
@pytest.mark.parametrize(
    'path', [p for p in CONFIGS if any(b in osp.basename(p) for b in BIG)])
def test_big_config_model_builds(path):
    register_all_modules()
    cfg = Config.fromfile(path)
    model_cfg = copy.deepcopy(cfg.model)
    _strip_init_cfg(model_cfg)
    assert MODELS.build(model_cfg) is not None
