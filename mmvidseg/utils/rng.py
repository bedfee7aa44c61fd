# Copyright (c) mmvidseg contributors. All rights reserved.
"""Every random-number generator a training run draws from, as one state.

The state holds only tensors, lists and numbers, so a checkpoint carrying it
still loads with ``torch.load(weights_only=True)`` (the allow-list loader of
:mod:`mmvidseg.utils.checkpoint`).
"""
import random
from typing import Dict

import numpy as np
import torch


def get_rng_state() -> Dict:
    """Python ``random``, numpy's global ``RandomState``, torch CPU and
    (where present) every CUDA device generator."""
    py_version, py_keys, py_gauss = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = dict(
        python=[py_version, list(py_keys), py_gauss],
        numpy=dict(kind=kind, keys=torch.from_numpy(keys.astype(np.int64)),
                   pos=int(pos), has_gauss=int(has_gauss),
                   cached_gaussian=float(cached)),
        torch=torch.get_rng_state())
    if torch.cuda.is_available():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: Dict) -> None:
    """Restore a state of :func:`get_rng_state` (CUDA states only where the
    same number of devices is present)."""
    py_version, py_keys, py_gauss = state['python']
    random.setstate((py_version, tuple(py_keys), py_gauss))
    npst = state['numpy']
    np.random.set_state((npst['kind'], npst['keys'].numpy().astype(np.uint32),
                         npst['pos'], npst['has_gauss'],
                         npst['cached_gaussian']))
    torch.set_rng_state(state['torch'])
    cuda = state.get('cuda')
    if cuda is not None and torch.cuda.is_available() and \
            len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
