# Copyright (c) mmvidseg contributors. All rights reserved.
"""Load the compiled extension ``mmvidseg.ops._ext`` if it was built.

Importing this module never fails: when the extension is missing (installed
with ``MMVIDSEG_WITH_OPS=0``, no compiler, a build error, a torch ABI
mismatch) :func:`get_ext` returns None and :func:`info` says why.
"""
import importlib
import os
from types import ModuleType
from typing import Optional

import torch

EXT_NAME = 'mmvidseg.ops._ext'

_ext: Optional[ModuleType] = None
_import_error: Optional[str] = None


def _load() -> None:
    global _ext, _import_error
    try:
        _ext = importlib.import_module(EXT_NAME)
    except ImportError as e:  # missing, or built against another torch
        _ext, _import_error = None, f'{type(e).__name__}: {e}'


_load()


def get_ext() -> Optional[ModuleType]:
    """The compiled extension module, or None when it is not available."""
    return _ext


def info() -> dict:
    """Describe what was compiled into ``mmvidseg.ops._ext``.

    Returns:
        dict: ``compiled`` (bool, the extension imports), ``cpu_kernels``
        (list of CPU ops it provides), ``cuda`` (bool, compiled with CUDA
        sources; multi-scale deformable attention and RoIAlign on CUDA
        always run mmcv's kernels), ``openmp`` (bool), ``num_threads``
        (intra-op threads the kernels use, ``torch.get_num_threads()``),
        ``extension_path`` (str or None), ``import_error`` (str or None) and
        ``hint`` (how to build it when it is missing).
    """
    ext = _ext
    ops = sorted(name for name in ('ms_deform_attn_forward',
                                   'ms_deform_attn_backward',
                                   'roi_align_forward', 'roi_align_backward',
                                   'stemseg_clustering',
                                   'stq_frame_statistics')
                 if ext is not None and hasattr(ext, name))
    return dict(
        compiled=ext is not None,
        cpu_kernels=ops,
        cuda=bool(ext is not None and ext.compiled_with_cuda()),
        openmp=bool(ext is not None and ext.compiled_with_openmp()),
        num_threads=torch.get_num_threads(),
        extension_path=getattr(ext, '__file__', None),
        import_error=_import_error,
        hint=None if ext is not None else (
            'build it with `pip install --no-build-isolation -e .` (or '
            '`python setup.py build_ext --inplace`) in an environment with '
            'torch and a C++ compiler; MMVIDSEG_WITH_OPS='
            f'{os.getenv("MMVIDSEG_WITH_OPS", "1")}'),
    )
