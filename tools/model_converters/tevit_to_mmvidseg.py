# Copyright (c) mmvidseg contributors. All rights reserved.
"""Convert an official TeViT checkpoint (hustvl/TeViT, mmcv 1.x) for mmvidseg.

The official files hold ``state_dict`` (the mmdet 2.23 QueryInst tree plus
``backbone.msg_tokens``) and ``meta``; mmvidseg keeps the same module names,
so the conversion is an identity map of the keys. The script drops optimizer
state and (DDP) ``module.`` prefixes, checks that the tree is a TeViT tree,
reports the variant, and writes ``{'state_dict', 'meta'}`` that loads with
``torch.load(weights_only=True)``.

Partial files convert too: whatever parts of the model are present
(``backbone``, ``backbone.msg_tokens``, ``neck``, ``rpn_head`` query
embeddings, ``roi_head.bbox_head`` / ``roi_head.mask_head`` stages), e.g. a
backbone-only file, the COCO QueryInst init (no ``msg_tokens``), a file
without the RPN embeddings, or a bare backbone state dict (mmdet key names,
or the original PVTv2 release ``pvt_v2_b1.pth``, converted with mmdet's
``pvt_convert``). The script prints what it converted and what is missing
(those modules keep their initialisation when the file is loaded with
``strict=False``). ``--strict`` requires the whole TeViT model.

Example::

    python tools/model_converters/tevit_to_mmvidseg.py \
        tevit_msgshift.pth checkpoints/tevit_msgshift_mmvidseg.pth
"""
import argparse
import os.path as osp
import pickle
from collections import OrderedDict
from typing import Dict, List, Tuple

import torch

from mmvidseg.utils.file_safety import add_force_argument, check_new_file

VARIANTS = {
    'backbone.msg_tokens':
    ('MsgShifT', 'configs/tevit/tevit_msgshift_8xb2-9200i_youtubevis2019.py'),
    'backbone.layers.0.0.projection.weight':
    ('PVTv2 (no msg_tokens)',
     'configs/tevit/tevit_msgshift_8xb2-9200i_youtubevis2019.py'),
    'backbone.conv1.weight':
    ('ResNet-50', 'configs/tevit/tevit_r50_8xb2-9200i_youtubevis2019.py'),
    'backbone.patch_embed.projection.weight':
    ('Swin-L',
     'configs/tevit/tevit_swin-l_8xb2-ms-9200i_youtubevis2019.py'),
}

# parts of a TeViT state dict: name -> key prefix
PARTS = OrderedDict([
    ('backbone', 'backbone.'),
    ('neck', 'neck.'),
    ('rpn_head', 'rpn_head.'),
    ('bbox_head', 'roi_head.bbox_head.'),
    ('mask_head', 'roi_head.mask_head.'),
])
RPN_KEYS = ('rpn_head.init_proposal_bboxes.weight',
            'rpn_head.init_proposal_features.weight')
# first-level names of bare backbone state dicts (mmdet module names)
BARE_BACKBONE_ROOTS = ('msg_tokens', 'layers', 'conv1', 'bn1', 'layer1',
                       'layer2', 'layer3', 'layer4', 'patch_embed', 'stages',
                       'norm0', 'norm1', 'norm2', 'norm3')


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


def _bare_backbone(state_dict: Dict) -> Dict:
    """Prefix a bare backbone state dict with ``backbone.`` (None if the
    keys are not a backbone's); the original PVTv2 release goes through
    mmdet's ``pvt_convert`` first."""
    roots = {k.split('.')[0] for k in state_dict}
    if any(k.startswith(('patch_embed1.', 'block1.')) for k in state_dict):
        from mmdet.models.backbones.pvt import pvt_convert
        state_dict = pvt_convert(state_dict)
        roots = {k.split('.')[0] for k in state_dict}
    if not roots or not roots <= set(BARE_BACKBONE_ROOTS):
        return None
    return OrderedDict(('backbone.' + k, v) for k, v in state_dict.items())


def _stages(keys: List[str], prefix: str) -> List[int]:
    return sorted({int(k[len(prefix):].split('.')[0])
                   for k in keys if k.startswith(prefix)})


def _missing_parts(converted: Dict, backbone: str) -> List[str]:
    """Parts of a whole TeViT model that ``converted`` lacks."""
    keys = list(converted)
    missing = [name for name, prefix in PARTS.items()
               if not any(k.startswith(prefix) for k in keys)]
    if 'rpn_head' not in missing:
        missing += [k for k in RPN_KEYS if k not in converted]
    if backbone == 'PVTv2 (no msg_tokens)':
        missing.append('backbone.msg_tokens')
    bbox = _stages(keys, PARTS['bbox_head'])
    mask = _stages(keys, PARTS['mask_head'])
    if bbox and mask and bbox != mask:
        missing += [f'roi_head.{head}.{s}' for head, have, other in (
            ('bbox_head', bbox, mask), ('mask_head', mask, bbox))
                    for s in sorted(set(other) - set(have))]
    return missing


def convert(checkpoint: Dict,
            strict: bool = False) -> Tuple[OrderedDict, Dict]:
    """Return the mmvidseg ``state_dict`` and a summary of the checkpoint.

    Args:
        checkpoint (dict): A loaded official file: ``{'state_dict': ...}``,
            a bare state dict, or a bare backbone state dict.
        strict (bool): Raise ``KeyError`` unless every part of a TeViT
            model is present (see :data:`PARTS`, plus ``msg_tokens`` for a
            PVTv2 backbone and both RPN embeddings).

    Returns:
        tuple: The converted ``OrderedDict`` and a summary dict:
        ``backbone`` / ``config`` (the variant and its config, or
        'unknown' / None), ``num_classes``, ``num_proposals``,
        ``num_stages`` (None when the part holding them is missing),
        ``num_parameters``, ``parts`` (part -> number of tensors converted)
        and ``missing`` (parts or keys of a whole model that are absent).
    """
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
    known = tuple(PARTS.values())
    if not any(k.startswith(known) for k in converted):
        bare = _bare_backbone(converted)
        if bare is None:
            first = ', '.join(list(converted)[:3])
            raise KeyError(
                'not a TeViT / QueryInst checkpoint nor a backbone file: no '
                '`backbone.*`, `neck.*`, `rpn_head.*` or `roi_head.*` '
                f'tensors (first keys: {first}).')
        converted = bare
    unexpected = [k for k in converted if not k.startswith(known)]
    if unexpected:
        raise KeyError(
            f'{len(unexpected)} keys are not part of a TeViT model (first: '
            f'{", ".join(unexpected[:3])}); is this a checkpoint of another '
            'model?')
    backbone, config = 'unknown', None
    for key, (name, cfg) in VARIANTS.items():
        if key in converted:
            backbone, config = name, cfg
            break
    missing = _missing_parts(converted, backbone)
    if strict and missing:
        raise KeyError(f'--strict: the checkpoint lacks {", ".join(missing)}'
                       '; drop --strict to convert the parts it holds.')
    cls_key = 'roi_head.bbox_head.0.fc_cls.weight'
    num_stages = len(_stages(list(converted), PARTS['bbox_head']))
    summary = dict(
        backbone=backbone,
        config=config,
        num_classes=int(converted[cls_key].shape[0])
        if cls_key in converted else None,
        num_proposals=int(converted[RPN_KEYS[0]].shape[0])
        if RPN_KEYS[0] in converted else None,
        num_stages=num_stages or None,
        num_parameters=sum(
            v.numel() for k, v in converted.items()
            if not k.endswith(('running_mean', 'running_var',
                               'num_batches_tracked'))),
        parts={
            name: sum(k.startswith(prefix) for k in converted)
            for name, prefix in PARTS.items()
        },
        missing=missing)
    return converted, summary


def report(summary: Dict) -> str:
    """Human-readable lines about what was converted and what is missing."""
    parts = ', '.join(f'{name} {n}' for name, n in summary['parts'].items()
                      if n)
    lines = [f'converted tensors per part: {parts}; '
             f'{summary["num_parameters"]:,} parameters, backbone '
             f'{summary["backbone"]}']
    for key, what in (('num_classes', 'classes'),
                      ('num_proposals', 'queries'),
                      ('num_stages', 'head stages')):
        if summary[key] is not None:
            lines[0] += f', {summary[key]} {what}'
    if summary['missing']:
        lines.append(
            f'missing (not in the file; these modules keep their '
            f'initialisation, load with strict=False): '
            f'{", ".join(summary["missing"])}')
    else:
        lines.append('complete TeViT model')
    if summary['config']:
        lines.append(f'config: {summary["config"]}')
    return '\n'.join(lines)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official TeViT checkpoint (.pth)')
    parser.add_argument('dst', help='output path')
    parser.add_argument(
        '--strict',
        action='store_true',
        help='fail unless the file holds the whole TeViT model')
    parser.add_argument(
        '--unsafe-load',
        action='store_true',
        help='allow arbitrary pickled objects (only for trusted files)')
    add_force_argument(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    check_new_file(args.dst, args.force)
    state_dict, summary = convert(
        load_official(args.src, args.unsafe_load), strict=args.strict)
    meta = dict(converted_from=osp.basename(args.src), **summary)
    torch.save(dict(state_dict=state_dict, meta=meta), args.dst)
    print(f'{len(state_dict)} tensors -> {args.dst}')
    print(report(summary))

if __name__ == '__main__':
    main()
