# Copyright (c) mmvidseg contributors. All rights reserved.
"""Installed versions that change mmvidseg's numbers, and the pinned set.

``requirements/constraints.txt`` pins every package ``tools/install.sh``
installs (its whole dependency closure); ``setup.py`` keeps loose ranges for
users who install mmvidseg into an environment of their own. The main job
prints :func:`numeric_versions` and warns about every package that differs
from the pins (:func:`constraint_mismatches`), because toy-training AP moves
with the image decoder (OpenCV, Pillow), numpy and torch's CPU kernels.
"""
import platform
import re
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Dict, List, Optional, Tuple

#: Distributions whose version can change a training run's or an evaluator's
#: numbers (decoding, resizing, CPU kernels, RLE, matching).
NUMERIC_PACKAGES = ('torch', 'numpy', 'opencv-python', 'pillow',
                    'pycocotools', 'scipy', 'mmcv', 'mmengine', 'mmdet',
                    'mmsegmentation', 'pyspng', 'transformers')

DEFAULT_CONSTRAINTS = Path(__file__).resolve().parents[2] / \
    'requirements' / 'constraints.txt'


def _installed(dist: str) -> Optional[str]:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def numeric_versions() -> Dict[str, str]:
    """Python, CPU architecture, torch threads and :data:`NUMERIC_PACKAGES`
    versions (``'not installed'`` where absent)."""
    import torch
    info = {
        'python': platform.python_version(),
        'machine': platform.machine(),
        'torch_threads': str(torch.get_num_threads()),
    }
    for dist in NUMERIC_PACKAGES:
        info[dist] = _installed(dist) or 'not installed'
    return info


def read_constraints(path=DEFAULT_CONSTRAINTS) -> Dict[str, str]:
    """``{normalised name: version}`` of the ``name==version`` lines."""
    pins = {}
    for lineno, line in enumerate(Path(path).read_text().splitlines(), 1):
        line = line.split('#')[0].strip()
        if not line:
            continue
        match = re.fullmatch(r'([A-Za-z0-9_.\-]+)==([^\s;]+)', line)
        if match is None:
            raise ValueError(f'{path}:{lineno}: expected "name==version", '
                             f'got {line!r}')
        pins[_normalise(match.group(1))] = match.group(2)
    return pins


def _normalise(name: str) -> str:
    return re.sub(r'[-_.]+', '-', name).lower()


def constraint_mismatches(
        path=DEFAULT_CONSTRAINTS) -> List[Tuple[str, str, Optional[str]]]:
    """``(name, pinned, installed)`` for every pinned package whose installed
    version differs (local labels such as ``+cpu`` ignored); ``installed`` is
    None for a pinned package that is not installed."""
    out = []
    for name, pinned in read_constraints(path).items():
        installed = _installed(name)
        if installed is None or installed.split('+')[0] != pinned:
            out.append((name, pinned, installed))
    return out
