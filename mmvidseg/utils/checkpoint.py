# Copyright (c) mmvidseg contributors. All rights reserved.
"""Checkpoint loading that works under torch >= 2.6 without trusting pickles.

torch >= 2.6 loads with ``weights_only=True`` by default, and mmengine 0.10.7
calls ``torch.load`` without that argument. Every checkpoint a Runner writes
holds objects the restricted unpickler refuses (numpy scalars and arrays in
``meta`` and the message hub, mmengine's ``HistoryBuffer``), so ``load_from``,
``resume=True`` and ``load_checkpoint`` fail (open-mmlab/mmengine#1655).

The fix here keeps ``weights_only=True`` and adds a short allow-list of
*data-only* globals to torch's safe globals: numpy's array / scalar / dtype
reconstructors, mmengine's ``HistoryBuffer`` (a class holding two numpy
arrays) and a restricted ``getattr`` that only resolves ``HistoryBuffer``'s
statistics methods (how pickle stores them). Anything else in a pickle is still refused, now with a message that
names the file, the global and what to do. Loading a file one trusts fully is
possible by passing ``weights_only=False`` explicitly to
:func:`load_checkpoint_file` (never done implicitly).

mmengine's loader schemes for local paths and ``http(s)://`` URLs are
re-registered to go through :func:`load_checkpoint_file` by
:func:`mmvidseg.utils.compat.patch_checkpoint_loading`, so the Runner's
``load_from`` / ``resume`` and ``mmengine.runner.load_checkpoint`` use it.
"""
import os.path as osp
import pickle
import re
from typing import Any, List, Optional

import numpy as np
import torch

_REGISTERED = False


def safe_globals() -> List[Any]:
    """The allow-list: data-only types found in mmengine checkpoints."""
    from mmengine.logging.history_buffer import HistoryBuffer
    try:  # numpy >= 2
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy 1.x
        from numpy.core.multiarray import _reconstruct, scalar
    dtype_classes = [type(np.dtype(t)) for t in (
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8,
        np.uint16, np.uint32, np.uint64, np.float16, np.float32, np.float64,
        np.complex64, np.complex128, np.str_)]
    return [
        HistoryBuffer, scalar, _reconstruct, np.ndarray, np.dtype,
        *dtype_classes, (_history_buffer_getattr, 'builtins.getattr')
    ]


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """The only ``getattr`` a checkpoint may pickle.

    ``HistoryBuffer`` instances keep their statistics methods
    (``HistoryBuffer.mean`` ...) in a dict, which pickle stores as
    ``getattr(HistoryBuffer, 'mean')``. This stand-in for ``builtins.getattr``
    resolves exactly that: public methods of ``HistoryBuffer``, nothing else.
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and isinstance(name, str) and \
            not name.startswith('_') and \
            callable(getattr(HistoryBuffer, name, None)):
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'Unsupported global: GLOBAL builtins.getattr applied to {obj!r}, '
        f'{name!r} (only HistoryBuffer statistics methods are allowed)')


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds a pickled global outside the allow-list."""


def _explain(filename: str, err: Exception) -> UnsafeCheckpointError:
    found = re.search(r'GLOBAL ([\w.]+)', str(err))
    name = found.group(1) if found else 'an object'
    return UnsafeCheckpointError(
        f'Refusing to load checkpoint {filename!r}: it contains the pickled '
        f'global {name}, which is not on mmvidseg\'s allow-list of data-only '
        'types (loading it could run arbitrary code). If the file is from a '
        'source you trust, load it with '
        '`mmvidseg.utils.load_checkpoint_file(path, weights_only=False)` and '
        're-save only its tensors (`tools/model_converters/publish_model.py` '
        'style), or add the type with '
        '`torch.serialization.add_safe_globals([...])`.')


def load_checkpoint_file(filename: str,
                         map_location: Optional[str] = 'cpu',
                         weights_only: bool = True) -> Any:
    """``torch.load`` with the allow-list and a clear refusal message.

    Args:
        filename (str): Local path.
        map_location: As ``torch.load``.
        weights_only (bool): Keep True for files from the internet.
    """
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename!r} does not exist')
    register_safe_globals()
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=weights_only)
    except pickle.UnpicklingError as e:
        raise _explain(filename, e) from None


def load_local(filename: str, map_location=None) -> Any:
    filename = osp.expanduser(filename)
    return load_checkpoint_file(filename, map_location=map_location)


def load_http(filename: str, map_location=None, model_dir=None,
               progress: bool = True) -> Any:
    """Download into the torch hub cache (as mmengine does), then load."""
    from mmengine.runner.checkpoint import load_from_http

    # mmengine's load_url downloads then calls torch.load; with the allow-list
    # registered, it keeps weights_only=True. Wrap its refusal message.
    try:
        return load_from_http(
            filename, map_location=map_location, model_dir=model_dir,
            progress=progress)
    except pickle.UnpicklingError as e:
        raise _explain(filename, e) from None


def register_safe_globals() -> None:
    """Add :func:`safe_globals` to torch's allow-list (idempotent)."""
    global _REGISTERED
    if not _REGISTERED:
        torch.serialization.add_safe_globals(safe_globals())
        _REGISTERED = True


# numpy globals a detectron2 ``.pkl`` (``{"model": {name: ndarray}, ...}``)
# may hold, by (module, name) as pickle spells them under numpy 1.x or 2.x
_PKL_NUMPY_GLOBALS = {
    ('numpy.core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('numpy.core.multiarray', 'scalar'),
    ('numpy._core.multiarray', 'scalar'),
    ('numpy', 'ndarray'),
    ('numpy', 'dtype'),
    ('collections', 'OrderedDict'),
    ('_codecs', 'encode'),  # bytes under pickle protocol 2 (latin1 text)
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickler resolving numpy arrays / scalars / dtypes and nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _PKL_NUMPY_GLOBALS:
            if module.startswith('numpy.core') and hasattr(np, '_core'):
                module = module.replace('numpy.core', 'numpy._core', 1)
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f'Unsupported global: GLOBAL {module}.{name}')


def load_detectron2_pkl(filename: str) -> dict:
    """Read a detectron2 ``.pkl`` checkpoint with numpy-only unpickling.

    detectron2's ``DetectionCheckpointer`` accepts a pickled
    ``{"model": {name: ndarray}, "__author__": ...}`` or a bare
    ``{name: ndarray}``; both are returned as the pickled dict. Any global
    other than numpy's array / scalar / dtype reconstructors (and
    ``OrderedDict``, ``_codecs.encode``) is refused with :class:`UnsafeCheckpointError`.

    Args:
        filename (str): Local path of the ``.pkl``.

    Returns:
        dict: The unpickled top-level dict.
    """
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint {filename!r} does not exist')
    with open(filename, 'rb') as f:
        try:
            obj = _NumpyOnlyUnpickler(f, encoding='latin1').load()
        except pickle.UnpicklingError as e:
            raise _explain(filename, e) from None
    if not isinstance(obj, dict):
        raise TypeError(f'{filename}: expected a pickled dict (detectron2 '
                        f'checkpoint), got {type(obj).__name__}')
    return obj
