# Copyright (c) mmvidseg contributors. All rights reserved.
"""Refuse a checkpoint of another architecture, naming the converter.

mmengine loads ``load_from`` non-strictly: a checkpoint of another model (an
official release not yet converted, or another config's weights) "loads" with
a warning listing hundreds of missing keys, and training or testing goes on
from random weights. :func:`check_checkpoint_fits` stops that when fewer than
half of the checkpoint's tensors have a name in the model, lists the first
unexpected and missing keys, and, when the file is recognisably an official
release of one of the five systems, the converter to run. Partial loads
(a backbone, another number of classes) still pass: their tensors keep the
model's names.
"""
import re
from typing import Dict, Mapping, Optional, Tuple

import torch

#: (name, key prefixes that must all occur, converter script)
OFFICIAL_LAYOUTS = (
    ('Video-TTT (detectron2)', ('sem_seg_head.', 'recon_head.'),
     'tools/model_converters/video_ttt_to_mmvidseg.py'),
    ('MTTR', ('transformer.', 'is_referred_head.'),
     'tools/model_converters/mttr_to_mmvidseg.py'),
    ('TarViS', ('decoder.', 'embedding_container.'),
     'tools/model_converters/tarvis_to_mmvidseg.py'),
    ('STEm-Seg', ('backbone.body.', 'embedding_head.'),
     'tools/model_converters/stemseg_to_mmvidseg.py'),
    ('TeViT', ('roi_head.', 'backbone.msg_tokens'),
     'tools/model_converters/tevit_to_mmvidseg.py'),
)
_WRAPPER_KEYS = ('state_dict', 'model', 'model_state_dict')


class CheckpointMismatchError(ValueError):
    """The checkpoint's tensors do not belong to the model being loaded."""


def _tensors(checkpoint: Mapping) -> Dict[str, torch.Tensor]:
    """The (possibly wrapped) state dict, ``module.`` prefixes removed."""
    sd = checkpoint
    for key in _WRAPPER_KEYS:
        if isinstance(sd, Mapping) and isinstance(sd.get(key), Mapping):
            sd = sd[key]
            break
    return {
        re.sub(r'^module\.', '', k): v
        for k, v in sd.items()
        if hasattr(v, 'shape')  # torch tensors and numpy arrays (d2 .pkl)
    }


def official_layout(keys) -> Optional[Tuple[str, str]]:
    """``(system, converter)`` if ``keys`` look like an official release."""
    keys = list(keys)
    for name, prefixes, converter in OFFICIAL_LAYOUTS:
        if all(any(k.startswith(p) for k in keys) for p in prefixes):
            return name, converter
    return None


def check_checkpoint_fits(model: torch.nn.Module, checkpoint: Mapping,
                          filename: str, min_fraction: float = 0.5) -> None:
    """Raise :class:`CheckpointMismatchError` unless at least
    ``min_fraction`` of the checkpoint's tensors have a name in ``model``.

    Args:
        model (nn.Module): The (unwrapped) model about to be loaded.
        checkpoint (Mapping): The loaded file (``state_dict`` / ``model`` /
            ``model_state_dict`` wrappers or a bare state dict).
        filename (str): For the message.
        min_fraction (float): Defaults to 0.5.
    """
    tensors = _tensors(checkpoint)
    model_keys = set(model.state_dict())
    matched = [k for k in tensors if k in model_keys]
    if tensors and len(matched) >= min_fraction * len(tensors):
        return
    unexpected = [k for k in tensors if k not in model_keys][:5]
    missing = sorted(model_keys - set(tensors))[:5]
    official = official_layout(tensors)
    if official is not None:
        hint = (f'It looks like an official {official[0]} checkpoint: convert '
                f'it first with `python {official[1]} {filename} '
                'converted.pth` and load converted.pth.')
    else:
        hint = ('Check that the config and the checkpoint are of the same '
                'model (or convert the official file with the matching '
                'script in tools/model_converters/).')
    raise CheckpointMismatchError(
        f'{filename}: this checkpoint does not fit {type(model).__name__}: '
        f'{len(matched)} of its {len(tensors)} tensors have a name in the '
        f'model. First unexpected keys: {unexpected}; first missing keys: '
        f'{missing}. {hint}')
