# Copyright (c) mmvidseg contributors. All rights reserved.
"""Every config under configs/ loads and builds its model, datasets and
evaluators (no pretrained weights, no real dataset files)."""
import ast
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


def _bases(path):
    """The ``_base_`` files of a config, read without executing it."""
    tree = ast.parse(open(path).read())
    for node in tree.body:
        if (isinstance(node, ast.Assign) and any(
                getattr(t, 'id', None) == '_base_' for t in node.targets)):
            value = ast.literal_eval(node.value)
            names = [value] if isinstance(value, str) else value
            return [
                osp.normpath(osp.join(osp.dirname(path), n)) for n in names
            ]
    return []


def _chain_depth(path):
    """``_base_`` hops from a config to its deepest base."""
    return max((1 + _chain_depth(b) for b in _bases(path)), default=0)


ALL_CONFIGS = sorted(
    glob.glob(osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True))


def test_chain_depth_counts_hops(tmp_path):
    (tmp_path / 'a.py').write_text("_base_ = './b.py'\n")
    (tmp_path / 'b.py').write_text("_base_ = ['./c.py', './d.py']\n")
    (tmp_path / 'c.py').write_text("_base_ = './d.py'\n")
    (tmp_path / 'd.py').write_text('x = 1\n')
    assert _chain_depth(str(tmp_path / 'd.py')) == 0
    assert _chain_depth(str(tmp_path / 'a.py')) == 3


@pytest.mark.parametrize('path', ALL_CONFIGS,
                         ids=[osp.relpath(p, REPO_ROOT) for p in ALL_CONFIGS])
def test_no_deep_base_chain(path):
    """A system config inherits model / dataset / schedule side by side; a
    variant inherits its system config: at most 3 ``_base_`` hops."""
    assert _chain_depth(path) <= 3, (
        f'{path}: _base_ chain of {_chain_depth(path)} hops; inherit the '
        'bases under configs/_base_/ side by side instead')


@pytest.mark.parametrize('path', ALL_CONFIGS,
                         ids=[osp.relpath(p, REPO_ROOT) for p in ALL_CONFIGS])
def test_delete_says_why(path):
    """Every ``_delete_=True`` carries a comment saying what it replaces."""
    for lineno, line in enumerate(open(path), 1):
        if '_delete_' in line:
            assert '#' in line.split('_delete_', 1)[1], (
                f'{path}:{lineno}: _delete_=True without a comment saying '
                'why the base settings are dropped')


def _closure(path):
    bases = _bases(path)
    return bases + [b2 for b in bases for b2 in _closure(b)]


TOY_CONFIGS = [p for p in CONFIGS if '-tiny' in osp.basename(p)]


@pytest.mark.parametrize('path', TOY_CONFIGS,
                         ids=[osp.relpath(p, REPO_ROOT) for p in TOY_CONFIGS])
def test_toy_config_shrinks_a_full_model(path):
    """Toy configs inherit a full model from configs/_base_/models/ and
    state only what differs."""
    models = [b for b in _closure(path) if '/_base_/models/' in b]
    assert models, f'{path} inherits no configs/_base_/models/ file'
