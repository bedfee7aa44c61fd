# Copyright (c) mmvidseg contributors. All rights reserved.
"""Convert official STEm-Seg checkpoints to mmvidseg's ``STEmSeg``.

Official files (``sabarim/STEm-Seg: README.md``):
``https://omnomnom.vision.rwth-aachen.de/data/STEm-Seg/models/{davis,
youtube_vis,kitti_mots}.pth`` hold ``{'model': state_dict, 'optimizer', ...}``;
the backbone inits ``mask_rcnn_R_{101,50}_FPN_backbone.pth`` hold the bare
``backbone`` state dict (keys ``body.*`` / ``fpn.*``).

Key map: ``backbone.body.stem.conv1`` -> ``backbone.conv1``,
``backbone.body.stem.bn1`` -> ``backbone.bn1``, ``backbone.body.layerX`` ->
``backbone.layerX``, ``backbone.fpn.fpn_inner{i}`` ->
``neck.lateral_convs.{i-1}.conv``, ``backbone.fpn.fpn_layer{i}`` ->
``neck.fpn_convs.{i-1}.conv``, ``embedding_loss_criterion.*`` ->
``loss_embedding.*``; the decoders keep their names.

Partial files convert too (a backbone init file, a file without the FPN or
without some head): the script prints the parts it converted and the parts
of a whole STEm-Seg model that are missing (backbone, neck, embedding head
and at least one of the seediness / semantic heads); ``--strict`` requires
them all.

Usage::

    python tools/model_converters/stemseg_to_mmvidseg.py youtube_vis.pth \
        stemseg_youtube_vis_mmvidseg.pth [--embedding-mode xyff] [--strict]

The official files also pickle a training logger; ``torch.load`` is called
with ``weights_only=True`` and, if that refuses the file, the script stops
and tells you to re-run with ``--trust-checkpoint`` for a file you trust.
"""
import argparse
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Optional

import torch

from mmvidseg.utils.file_safety import add_force_argument, check_new_file

_EMBEDDING_MODES = {3: 'xyt', 4: 'xyff'}
# parts of a converted state dict: name -> mmvidseg key prefix
PARTS = OrderedDict([
    ('backbone', 'backbone.'),
    ('neck', 'neck.'),
    ('embedding_head', 'embedding_head.'),
    ('seediness_head', 'seediness_head.'),
    ('semseg_head', 'semseg_head.'),
    ('loss_embedding', 'loss_embedding.'),
])


def convert_key(key: str) -> str:
    """Map one official key to its mmvidseg name (see module docstring)."""
    if key.startswith('body.') or key.startswith('fpn.'):
        key = 'backbone.' + key  # bare backbone init files
    rules = [
        (r'^backbone\.body\.stem\.', 'backbone.'),
        (r'^backbone\.body\.', 'backbone.'),
        (r'^embedding_loss_criterion\.', 'loss_embedding.'),
    ]
    for pattern, repl in rules:
        if re.match(pattern, key):
            return re.sub(pattern, repl, key, count=1)
    m = re.match(r'^backbone\.fpn\.fpn_(inner|layer)(\d+)\.(.+)$', key)
    if m:
        kind, idx, rest = m.groups()
        module = 'lateral_convs' if kind == 'inner' else 'fpn_convs'
        return f'neck.{module}.{int(idx) - 1}.conv.{rest}'
    if key.split('.')[0] in ('embedding_head', 'seediness_head',
                             'semseg_head'):
        return key
    raise KeyError(f'unexpected key {key!r} in the STEm-Seg checkpoint: not '
                   f'a STEm-Seg model or backbone file')


def checkpoint_embedding_mode(state_dict: Dict[str, torch.Tensor]
                              ) -> Optional[str]:
    """Embedding mode of an official state dict (None for backbone files)."""
    w = state_dict.get('embedding_head.conv_embedding.weight')
    if w is None:
        return None
    return _EMBEDDING_MODES.get(w.shape[0], f'{w.shape[0]}-dim')


def convert_stemseg_state_dict(
        state_dict: Dict[str, torch.Tensor],
        embedding_mode: Optional[str] = None) -> Dict[str, torch.Tensor]:
    """Convert an official ``['model']`` state dict.

    Args:
        state_dict (dict): Official keys -> tensors.
        embedding_mode (str, optional): Mode of the target config; raises if
            the checkpoint was trained with another one.

    Returns:
        OrderedDict: mmvidseg keys -> tensors.
    """
    ckpt_mode = checkpoint_embedding_mode(state_dict)
    if embedding_mode is not None and ckpt_mode is not None and \
            ckpt_mode != embedding_mode:
        raise ValueError(
            f'the checkpoint has embedding mode {ckpt_mode!r} but the config '
            f'asks for {embedding_mode!r}: use the matching config '
            f"('xyff' = DAVIS / YouTube-VIS, 'xyt' = KITTI-MOTS)")
    out = OrderedDict()
    for key, value in state_dict.items():
        out[convert_key(key)] = value
    return out


def converted_parts(state_dict: Dict[str, torch.Tensor]) -> Dict[str, int]:
    """Number of converted tensors per part (:data:`PARTS`)."""
    return {name: sum(k.startswith(prefix) for k in state_dict)
            for name, prefix in PARTS.items()}


def missing_parts(state_dict: Dict[str, torch.Tensor]) -> List[str]:
    """Parts of a whole STEm-Seg model that a converted state dict lacks.

    A model has a backbone, an FPN neck and an embedding head, plus a
    seediness head (DAVIS) and / or a semantic head (YouTube-VIS,
    KITTI-MOTS; their embedding head predicts the seediness).
    ``loss_embedding.free_dim_bandwidths`` is a fixed buffer, never
    required.
    """
    parts = converted_parts(state_dict)
    missing = [p for p in ('backbone', 'neck', 'embedding_head')
               if not parts[p]]
    if not parts['seediness_head'] and not parts['semseg_head']:
        missing.append('seediness_head or semseg_head')
    return missing


def report(state_dict: Dict[str, torch.Tensor]) -> str:
    """What was converted and what is missing, for the command line."""
    parts = ', '.join(f'{name} {n}'
                      for name, n in converted_parts(state_dict).items() if n)
    missing = missing_parts(state_dict)
    mode = checkpoint_embedding_mode(state_dict)
    lines = [f'converted tensors per part: {parts or "none"}'
             + (f'; embedding mode {mode}' if mode else '')]
    lines.append(
        'missing (not in the file; these modules keep their '
        f'initialisation, load with strict=False): {", ".join(missing)}'
        if missing else 'complete STEm-Seg model')
    return '\n'.join(lines)


def load_official(path: str, trust: bool = False) -> Dict[str, torch.Tensor]:
    """Read an official file and return its model state dict."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    try:
        ckpt = torch.load(path, map_location='cpu', weights_only=not trust)
    except Exception as e:  # pickle.UnpicklingError and friends
        raise RuntimeError(
            f'{path}: torch.load(weights_only=True) refused the file ({e}). '
            f'If you trust this file, re-run with --trust-checkpoint') from e
    if isinstance(ckpt, dict) and 'model' in ckpt:
        return ckpt['model']
    if isinstance(ckpt, dict) and all(torch.is_tensor(v)
                                      for v in ckpt.values()):
        return ckpt
    raise KeyError(f"{path}: expected a dict with key 'model' (STEm-Seg "
                   f'training checkpoint) or a bare state dict')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official .pth file')
    parser.add_argument('dst', help='output mmvidseg checkpoint')
    parser.add_argument('--embedding-mode', choices=['xyff', 'xyt'],
                        help='embedding mode of the config to be used')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow full unpickling (trusted files only)')
    parser.add_argument('--strict', action='store_true',
                        help='fail unless the file holds a whole STEm-Seg '
                        'model')
    add_force_argument(parser)
    args = parser.parse_args()
    check_new_file(args.dst, args.force)
    state_dict = load_official(args.src, args.trust_checkpoint)
    converted = convert_stemseg_state_dict(state_dict, args.embedding_mode)
    missing = missing_parts(converted)
    if args.strict and missing:
        raise KeyError(f'--strict: {args.src} lacks {", ".join(missing)}; '
                       'drop --strict to convert the parts it holds')
    torch.save(dict(state_dict=converted,
                    meta=dict(source=osp.basename(args.src),
                              missing=missing)), args.dst)
    print(f'{len(converted)} tensors written to {args.dst}')
    print(report(converted))


if __name__ == '__main__':
    main()
