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


__all__ = ['REPO_ROOT', 'config_path']
