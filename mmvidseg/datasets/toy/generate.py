# Copyright (c) mmvidseg contributors. All rights reserved.
"""Entry point of the toy dataset generator: formats, stamp and safety."""
import json
import os
import os.path as osp
import shutil
from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional, Sequence, Union

from .config import TOY_VERSION, ToyDatasetConfig, get_preset
from .encoding import FrameCache
from .mots import write_burst, write_kitti_mots
from .panoptic import write_kitti_step, write_vipseg
from .scene import render_dataset
from .video import ToyVideo
from .vos import write_davis, write_ref_youtube_vos
from .ytvis import write_youtube_vis

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no cross-process lock
    fcntl = None

STAMP_FILE = 'toy_dataset.json'
_LOCK_FILE = '.toy_dataset.lock'
_TMP_PREFIX = '.toy_tmp_'

# name -> writer(videos, out_dir, frame_cache, cfg) -> {key: path}
_WRITERS = {
    'youtube_vis': lambda v, d, f, c: write_youtube_vis(v, d, f),
    'davis': lambda v, d, f, c: write_davis(v, d, f),
    'kitti_step': lambda v, d, f, c: write_kitti_step(v, d, f),
    'vipseg': lambda v, d, f, c: write_vipseg(v, d, f),
    'kitti_mots': lambda v, d, f, c: write_kitti_mots(v, d, f),
    'burst': lambda v, d, f, c: write_burst(v, d, f,
                                            c.burst_annotation_stride),
    'ref_youtube_vos': lambda v, d, f, c: write_ref_youtube_vos(v, d, f),
}
TOY_FORMATS = tuple(_WRITERS)


def _check_formats(formats: Optional[Sequence[str]]) -> List[str]:
    if formats is None:
        return list(TOY_FORMATS)
    if isinstance(formats, str):
        formats = [formats]
    unknown = [f for f in formats if f not in _WRITERS]
    if unknown:
        raise ValueError(f'unknown toy dataset format(s) {unknown}; '
                         f'choose from {list(TOY_FORMATS)}')
    return list(dict.fromkeys(formats))


@contextmanager
def _locked(root: str) -> Iterator[None]:
    """Serialise generators working on one root (others wait, then skip)."""
    if fcntl is None:
        yield
        return
    with open(osp.join(root, _LOCK_FILE), 'w') as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _read_stamp(root: str) -> Optional[dict]:
    path = osp.join(root, STAMP_FILE)
    if not osp.exists(path):
        return None
    try:
        with open(path) as f:
            stamp = json.load(f)
        return stamp if isinstance(stamp, dict) else {}
    except (OSError, ValueError):
        return {}  # unreadable: treated as a different dataset


def _identity(cfg: ToyDatasetConfig, seed: int) -> dict:
    return {'generator': 'mmvidseg.datasets.toy', 'version': TOY_VERSION,
            'preset': cfg.name, 'seed': seed, 'config': cfg.to_dict()}


def _same_identity(stamp: dict, identity: dict) -> bool:
    return all(stamp.get(k) == v for k, v in identity.items())


def _user_entries(root: str) -> List[str]:
    return sorted(e for e in os.listdir(root)
                  if e not in (STAMP_FILE, _LOCK_FILE)
                  and not e.startswith(_TMP_PREFIX))


def _describe(stamp: dict) -> str:
    if not stamp:
        return 'an unreadable stamp file'
    return (f"a toy dataset (preset {stamp.get('preset')!r}, seed "
            f"{stamp.get('seed')}, version {stamp.get('version')!r})")


def _plan(root: str, identity: dict, formats: List[str], force: bool
          ) -> List[str]:
    """Decide which formats to (re)write; delete what ``force`` replaces.

    Raises:
        FileExistsError: ``root`` holds another dataset or unknown files
            where a format would go, and ``force`` is False.
    """
    stamp = _read_stamp(root)
    hint = ('Pass force=True (CLI: --force) to replace it, or choose another '
            'output directory (CLI: --out).')
    if stamp is not None and not _same_identity(stamp, identity):
        if not force:
            raise FileExistsError(
                f'{root} holds {_describe(stamp)}, not the requested one '
                f"(preset {identity['preset']!r}, seed {identity['seed']}, "
                f"version {identity['version']!r}). {hint}")
        for name in stamp.get('formats', []):
            if name in _WRITERS:  # never follow odd names out of root
                shutil.rmtree(osp.join(root, name), ignore_errors=True)
        os.remove(osp.join(root, STAMP_FILE))
        stamp = None
    done = set(stamp.get('formats', [])) if stamp else set()
    todo = [f for f in formats
            if f not in done or not osp.isdir(osp.join(root, f))]
    clashes = [f for f in todo if osp.exists(osp.join(root, f))]
    if stamp is None and not force and _user_entries(root) and todo:
        raise FileExistsError(
            f'{root} exists and holds files not written by the toy dataset '
            f'generator (no {STAMP_FILE}): {_user_entries(root)[:5]}. {hint}')
    if clashes and not force:
        raise FileExistsError(
            f'{root} already has {clashes}, not recorded in {STAMP_FILE}. '
            f'{hint}')
    for name in clashes:
        shutil.rmtree(osp.join(root, name))
    return todo


def _write_stamp(root: str, identity: dict, paths: Dict[str, dict]) -> None:
    stamp = dict(identity, formats=sorted(paths), paths=paths)
    tmp = osp.join(root, f'{_TMP_PREFIX}{os.getpid()}_{STAMP_FILE}')
    with open(tmp, 'w') as f:
        json.dump(stamp, f, indent=1, sort_keys=True)
    os.replace(tmp, osp.join(root, STAMP_FILE))


def _write_format(name: str, videos: List[ToyVideo], root: str,
                  frames: FrameCache, cfg: ToyDatasetConfig) -> dict:
    """Write one format into a hidden folder, then move it into place."""
    tmp = osp.join(root, f'{_TMP_PREFIX}{os.getpid()}_{name}')
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        paths = _WRITERS[name](videos, tmp, frames, cfg)
        os.rename(tmp, osp.join(root, name))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    # Relative to root, so the stamp stays valid if root is moved.
    return {k: osp.join(name, osp.relpath(p, tmp)) for k, p in paths.items()}


def generate_toy_dataset(out_dir: str = 'data/toy',
                         preset: Union[str, ToyDatasetConfig] = 'default',
                         seed: int = 0,
                         formats: Optional[Sequence[str]] = None,
                         force: bool = False) -> dict:
    """Generate (or reuse) the toy video dataset under ``out_dir``.

    Idempotent: when ``out_dir/toy_dataset.json`` records the same preset,
    seed and version, only formats not written yet are generated (none:
    returns at once). Another dataset or unknown files in the way raise
    ``FileExistsError`` unless ``force`` is True; ``force`` deletes only the
    format folders of a previous toy dataset and those about to be written.

    Args:
        out_dir: Output root, one sub-folder per format.
        preset: Name in ``TOY_PRESETS`` or a :class:`ToyDatasetConfig`.
        seed: Seed of every random choice; same seed, same bytes.
        formats: Subset of ``TOY_FORMATS``; None writes all.
        force: Replace a different dataset / unknown files in the way.

    Returns:
        ``{'root', 'stamp', 'generated': [formats written now], and per
        requested format a dict of named absolute paths}``.
    """
    cfg = get_preset(preset)
    formats = _check_formats(formats)
    if int(seed) != seed or seed < 0:
        raise ValueError(f'seed must be a non-negative integer, got {seed!r}')
    root = osp.abspath(out_dir)
    if osp.exists(root) and not osp.isdir(root):
        raise FileExistsError(f'{root} is a file; choose another directory')
    identity = _identity(cfg, int(seed))
    if osp.isdir(root) and _read_stamp(root) is None and not force:
        _plan(root, identity, formats, force)  # raises before any write
    os.makedirs(root, exist_ok=True)
    with _locked(root):
        todo = _plan(root, identity, formats, force)
        stamp = _read_stamp(root) or {}
        paths = dict(stamp.get('paths', {}))
        if todo:
            videos = render_dataset(cfg, int(seed))
            frames = FrameCache(cfg.jpeg_quality)
            for name in todo:
                paths[name] = _write_format(name, videos, root, frames, cfg)
            _write_stamp(root, identity, paths)
    result = {'root': root, 'stamp': osp.join(root, STAMP_FILE),
              'generated': todo}
    for name in formats:
        result[name] = {k: osp.join(root, p) for k, p in paths[name].items()}
    return result
