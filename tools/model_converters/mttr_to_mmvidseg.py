# Copyright (c) mmvidseg contributors. All rights reserved.
"""Convert a released MTTR checkpoint (mttr2021/MTTR, ``*.pth.tar``).

The official files hold ``{'epoch', 'model_state_dict', 'optimizer_state_dict',
...}`` (a bare state dict is accepted too). mmvidseg splits the model into
``backbone`` (:class:`MTTRVideoSwin`, same key names) and ``head``
(:class:`MTTRHead`, the official top-level names), with RoBERTa one level
deeper (``head.transformer.text_encoder.model.*``):

* ``backbone.*`` -> ``backbone.*``
* ``transformer.text_encoder.*`` -> ``head.transformer.text_encoder.model.*``
* everything else -> ``head.*``

The persisted ``transformer.text_encoder.embeddings.position_ids`` buffer of
transformers 4.11 files is dropped (non-persistent in recent versions), as
are DDP ``module.`` prefixes and optimizer state. Writes
``{'state_dict', 'meta'}`` loadable with ``torch.load(weights_only=True)``.

Example::

    python tools/model_converters/mttr_to_mmvidseg.py \
        refer-youtube-vos_window-12.pth.tar checkpoints/mttr_rytvos.pth
"""
import argparse
from typing import Dict, List, Tuple

import torch

from mmvidseg.utils.checkpoint import load_checkpoint_file
from mmvidseg.utils.file_safety import add_force_argument, check_new_file

DROPPED = ('transformer.text_encoder.embeddings.position_ids', )
HEAD_PREFIXES = ('transformer.', 'is_referred_head.',
                 'instance_kernels_head.', 'obj_queries.', 'vid_embed_proj.',
                 'spatial_decoder.')


def convert_mttr(state_dict: Dict[str, torch.Tensor]
                 ) -> Tuple[Dict[str, torch.Tensor], List[str]]:
    """Map official MTTR keys to mmvidseg keys.

    Args:
        state_dict (dict): ``checkpoint['model_state_dict']``.

    Returns:
        tuple: the converted state dict and the dropped keys.

    Raises:
        KeyError: a key that is not part of an MTTR model.
    """
    out, dropped = {}, []
    for key, value in state_dict.items():
        if key.startswith('module.'):
            key = key[len('module.'):]
        if key in DROPPED:
            dropped.append(key)
        elif key.startswith('backbone.'):
            out[key] = value
        elif key.startswith('transformer.text_encoder.'):
            out['head.transformer.text_encoder.model.' +
                key[len('transformer.text_encoder.'):]] = value
        elif key.startswith(HEAD_PREFIXES):
            out['head.' + key] = value
        else:
            raise KeyError(f'mttr_to_mmvidseg: unexpected key {key!r}; '
                           'expected an MTTR model_state_dict (backbone.*, '
                           'transformer.*, spatial_decoder.*, ...)')
    return out, dropped


def load_official(path: str, trust: bool = False) -> Dict[str, torch.Tensor]:
    """Read ``model_state_dict`` (or a bare state dict) from ``path``
    (``torch.load(weights_only=True)`` through mmvidseg's allow-list unless
    ``trust``)."""
    ckpt = load_checkpoint_file(path, map_location='cpu',
                                weights_only=not trust)
    if isinstance(ckpt, dict) and 'model_state_dict' in ckpt:
        return ckpt['model_state_dict']
    if isinstance(ckpt, dict) and 'state_dict' in ckpt:
        return ckpt['state_dict']
    if isinstance(ckpt, dict) and all(
            isinstance(v, torch.Tensor) for v in ckpt.values()):
        return ckpt
    raise KeyError(f'{path}: no "model_state_dict"; pass a released MTTR '
                   '*.pth.tar (or a bare state dict)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official MTTR *.pth.tar')
    parser.add_argument('dst', help='output .pth for mmvidseg')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow full unpickling (trusted files only)')
    add_force_argument(parser)
    args = parser.parse_args()
    check_new_file(args.dst, args.force)
    state_dict = load_official(args.src, args.trust_checkpoint)
    converted, dropped = convert_mttr(state_dict)
    num_params = sum(v.numel() for k, v in converted.items()
                     if not k.endswith('relative_position_index'))
    torch.save(
        dict(state_dict=converted,
             meta=dict(source=args.src, dropped=dropped)), args.dst)
    print(f'converted {len(converted)} tensors ({num_params:,} parameters),'
          f' dropped {dropped} -> {args.dst}')


if __name__ == '__main__':
    main()
