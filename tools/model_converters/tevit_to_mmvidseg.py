# Copyright (c) mmvidseg contributors. All rights reserved.
"""Convert an official TeViT checkpoint (hustvl/TeViT, mmcv 1.x) for mmvidseg.

The official files hold ``state_dict`` (the mmdet 2.23 QueryInst tree plus
``backbone.msg_tokens``) and ``meta``; mmvidseg keeps the same module names,
so the conversion is an identity map of the keys. The script drops optimizer
state and (DDP) ``module.`` prefixes, checks that the tree is a TeViT tree,
reports the variant, and writes ``{'state_dict', 'meta'}`` that loads with
``torch.load(weights_only=True)``.

Example::

    python tools/model_converters/tevit_to_mmvidseg.py \
        tevit_msgshift.pth checkpoints/tevit_msgshift_mmvidseg.pth
"""
import argparse
import os.path as osp
import pickle
from collections import OrderedDict
from typing import Dict, Tuple

import torch

VARIANTS = {
    'backbone.msg_tokens':
    ('MsgShifT', 'configs/tevit/tevit_msgshift_8xb2-9200i_youtubevis2019.py'),
    'backbone.conv1.weight':
    ('ResNet-50', 'configs/tevit/tevit_r50_8xb2-9200i_youtubevis2019.py'),
    'backbone.patch_embed.projection.weight':
    ('Swin-L',
     'configs/tevit/tevit_swin-l_8xb2-ms-9200i_youtubevis2019.py'),
}


def load_official(path: str, unsafe: bool = False) -> Dict:
    """Load a checkpoint file, refusing arbitrary pickles unless ``unsafe``."""
    from mmvidseg.utils.checkpoint import load_checkpoint_file
    try:
        return load_checkpoint_file(
            path, map_location='cpu', weights_only=not unsafe)
    except pickle.UnpicklingError as err:
        raise RuntimeError(
            f'{path} holds Python objects that torch.load(weights_only=True)'
            f' refuses ({err}). If you trust the file, rerun with '
            '--unsafe-load.') from err


def convert(checkpoint: Dict) -> Tuple[OrderedDict, Dict]:
    """Return the mmvidseg ``state_dict`` and a summary of the checkpoint."""
    if not isinstance(checkpoint, dict):
        raise TypeError(f'expected a dict checkpoint, got '
                        f'{type(checkpoint).__name__}.')
    state_dict = checkpoint.get('state_dict', checkpoint)
    converted = OrderedDict()
    for key, value in state_dict.items():
        if not torch.is_tensor(value):
            continue
        if key.startswith('module.'):
            key = key[len('module.'):]
        converted[key] = value
    if not any(k.startswith('roi_head.bbox_head.') for k in converted):
        first = ', '.join(list(converted)[:3])
        raise KeyError('not a TeViT / QueryInst checkpoint: no '
                       '`roi_head.bbox_head.*` tensors (first keys: '
                       f'{first}).')
    backbone, config = 'unknown', None
    for key, (name, cfg) in VARIANTS.items():
        if key in converted:
            backbone, config = name, cfg
            break
    summary = dict(
        backbone=backbone,
        config=config,
        num_classes=int(
            converted['roi_head.bbox_head.0.fc_cls.weight'].shape[0]),
        num_proposals=int(
            converted['rpn_head.init_proposal_bboxes.weight'].shape[0]),
        num_stages=len({
            k.split('.')[2]
            for k in converted if k.startswith('roi_head.bbox_head.')
        }),
        num_parameters=sum(
            v.numel() for k, v in converted.items()
            if not k.endswith(('running_mean', 'running_var',
                               'num_batches_tracked'))))
    return converted, summary


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official TeViT checkpoint (.pth)')
    parser.add_argument('dst', help='output path')
    parser.add_argument(
        '--unsafe-load',
        action='store_true',
        help='allow arbitrary pickled objects (only for trusted files)')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if osp.exists(args.dst):
        raise FileExistsError(f'{args.dst} exists; remove it or choose '
                              'another output path.')
    state_dict, summary = convert(load_official(args.src, args.unsafe_load))
    meta = dict(converted_from=osp.basename(args.src), **summary)
    torch.save(dict(state_dict=state_dict, meta=meta), args.dst)
    print(f'{len(state_dict)} tensors, {summary["num_parameters"]:,} '
          f'parameters, backbone {summary["backbone"]}, '
          f'{summary["num_classes"]} classes, {summary["num_proposals"]} '
          f'queries -> {args.dst}')
    if summary['config']:
        print(f'config: {summary["config"]}')


if __name__ == '__main__':
    main()
