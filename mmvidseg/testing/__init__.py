# Copyright (c) mmvidseg contributors. All rights reserved.
"""Helpers for tests (kept tiny; no test-only dependencies)."""
import os.path as osp

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def config_path(rel: str) -> str:
    """Absolute path of ``configs/<rel>`` in a source checkout."""
    path = osp.join(REPO_ROOT, 'configs', rel)
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found (configs live in the '
                                'source checkout, not the wheel)')
    return path


def reroot_toy(obj, toy_root: str):
    """``obj`` (nested dicts / lists of a config) with every path that
    starts with the configs' ``data/toy/`` moved under ``toy_root``."""
    if isinstance(obj, dict):
        return {k: reroot_toy(v, toy_root) for k, v in obj.items()}
    if isinstance(obj, list):
        return [reroot_toy(v, toy_root) for v in obj]
    if isinstance(obj, str) and obj.startswith('data/toy/'):
        return osp.join(toy_root, obj[len('data/toy/'):])
    return obj


__all__ = ['REPO_ROOT', 'config_path', 'reroot_toy']
