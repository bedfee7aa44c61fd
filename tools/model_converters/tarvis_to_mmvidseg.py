# Copyright (c) mmvidseg contributors. All rights reserved.
"""Convert official TarViS checkpoints to mmvidseg's ``TarViS``.

Official files (``Ali2500/TarViS: README.md``):
``https://omnomnom.vision.rwth-aachen.de/data/TarViS/{resnet50,swin-tiny,
swin-large}_{pretrain,finetune}.zip``, each with a trainer-session ``.pth``
(``{'model': state_dict, 'optimizers_and_lr_schedulers', ...}``) and the
``config.yaml`` it was trained with.

Key map:

* ``backbone.backbone.*`` / ``backbone.fpn.*`` -> ``backbone.*`` / ``neck.*``
  (``mmvidseg/models/necks/tarvis_neck_keymap.py::convert_backbone_neck``:
  detectron2 ResNet / D2Swin -> mmdet, temporal neck -> TarViSTemporalNeck);
* ``embedding_container._X_queries`` -> ``embedding_container.X_queries``;
* ``decoder.transformer_cross_attention_layers.i.multihead_attn._attn.*`` ->
  ``decoder.layers.i.cross_attn.attn.*`` (``.norm`` -> ``.norms.0``),
  ``...self_attention_layers.i.self_attn.*`` -> ``...layers.i.self_attn.
  attn.*`` (``norms.1``), ``...ffn_layers.i.linear1/linear2`` ->
  ``...layers.i.ffn.layers.0.0/layers.1`` (``norms.2``); ``decoder_norm``,
  ``scale_embed``, ``mask_embeds``, ``proj_layers`` keep their names;
* ``vos_query_extractor.*`` -> ``object_encoder.*``;
* ``pixel_mean`` / ``pixel_std`` are checked against ImageNet RGB
  mean / std (the data preprocessor's) and dropped.

The semantic-query table depends on the training dataset list: with
``--config-yaml`` (the ``config.yaml`` of the zip) the script prints the
``num_classes`` dict for ``TarViSEmbeddingContainer`` and checks the table
size against it.

Usage::

    python tools/model_converters/tarvis_to_mmvidseg.py \
        resnet50_finetune/model.pth tarvis_r50_mmvidseg.pth \
        --backbone r50 --config-yaml resnet50_finetune/config.yaml

``torch.load`` is called with ``weights_only=True``; the official session
files also pickle trainer objects, so for a file you trust re-run with
``--trust-checkpoint`` if the safe loader refuses it.
"""
import argparse
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Optional

import torch

from mmvidseg.utils.file_safety import add_force_argument, check_new_file

PIXEL_MEAN = (123.675, 116.28, 103.53)
PIXEL_STD = (58.395, 57.12, 57.375)
BACKBONES = {'ResNet50': 'r50', 'SwinTiny': 'swin-tiny',
             'SwinLarge': 'swin-large'}

_DECODER_RULES = [
    (r'^transformer_cross_attention_layers\.(\d+)\.multihead_attn\._attn\.',
     r'layers.\1.cross_attn.attn.'),
    (r'^transformer_cross_attention_layers\.(\d+)\.norm\.',
     r'layers.\1.norms.0.'),
    (r'^transformer_self_attention_layers\.(\d+)\.self_attn\.',
     r'layers.\1.self_attn.attn.'),
    (r'^transformer_self_attention_layers\.(\d+)\.norm\.',
     r'layers.\1.norms.1.'),
    (r'^transformer_ffn_layers\.(\d+)\.linear1\.',
     r'layers.\1.ffn.layers.0.0.'),
    (r'^transformer_ffn_layers\.(\d+)\.linear2\.', r'layers.\1.ffn.layers.1.'),
    (r'^transformer_ffn_layers\.(\d+)\.norm\.', r'layers.\1.norms.2.'),
    (r'^(decoder_norm|scale_embed|mask_embeds|proj_layers)\.', r'\1.'),
]


def convert_head_key(key: str) -> str:
    """Map one non-backbone official key (see module docstring)."""
    m = re.match(r'^embedding_container\._(\w+_queries)$', key)
    if m:
        return f'embedding_container.{m.group(1)}'
    if key.startswith('vos_query_extractor.'):
        return 'object_encoder.' + key[len('vos_query_extractor.'):]
    if key.startswith('decoder.'):
        rest = key[len('decoder.'):]
        for pattern, repl in _DECODER_RULES:
            if re.match(pattern, rest):
                return 'decoder.' + re.sub(pattern, repl, rest, count=1)
    raise KeyError(f'unexpected key {key!r} in the TarViS checkpoint: not a '
                   'TarViS model (official keys start with backbone., '
                   'embedding_container., decoder., vos_query_extractor.)')


def semantic_classes_from_yaml(path: str) -> Dict[str, int]:
    """``num_classes`` dict (VIS / VPS datasets) of an official config."""
    import yaml
    with open(path) as f:
        cfg = yaml.safe_load(f)
    try:
        names = cfg['TRAINING']['DATASET_LIST']
        datasets = cfg['DATASETS']
        return {
            name: datasets[name]['NUM_CLASSES']
            for name in names
            if datasets[name]['TYPE'] in ('instance_seg', 'panoptic_seg')
        }
    except KeyError as e:
        raise KeyError(f'{path}: missing {e} (expected TRAINING.DATASET_LIST '
                       'and DATASETS.<name>.TYPE / NUM_CLASSES, the official '
                       'config.yaml layout)') from e


def convert_tarvis_state_dict(
        state_dict: Dict[str, torch.Tensor],
        backbone: str,
        num_classes: Optional[Dict[str, int]] = None
) -> 'OrderedDict[str, torch.Tensor]':
    """Convert an official ``['model']`` state dict.

    Args:
        state_dict (dict): Official keys -> tensors.
        backbone (str): ``'r50'``, ``'swin-tiny'`` or ``'swin-large'``.
        num_classes (dict, optional): Semantic classes per dataset; checked
            against the ``_semantic_queries`` rows.

    Returns:
        OrderedDict: mmvidseg keys -> tensors.
    """
    from mmvidseg.models.necks.tarvis_neck_keymap import convert_backbone_neck
    for name, ref in (('pixel_mean', PIXEL_MEAN), ('pixel_std', PIXEL_STD)):
        if name in state_dict and not torch.allclose(
                state_dict[name].float().flatten(), torch.tensor(ref)):
            raise ValueError(
                f'checkpoint {name} {state_dict[name].tolist()} differs from '
                f'{list(ref)} (RGB, 0..255); set the data preprocessor\'s '
                'mean/std to the checkpoint values')
    table = state_dict.get('embedding_container._semantic_queries')
    if num_classes is not None and table is not None and \
            table.shape[0] != 1 + sum(num_classes.values()):
        raise ValueError(
            f'_semantic_queries has {table.shape[0]} rows but num_classes '
            f'{num_classes} needs {1 + sum(num_classes.values())}: the '
            'checkpoint was trained on another dataset list')
    trunk = {
        k: v
        for k, v in state_dict.items() if k.startswith('backbone.')
    }
    out = OrderedDict(convert_backbone_neck(trunk, backbone))
    for key, value in state_dict.items():
        if key.startswith('backbone.') or key in ('pixel_mean', 'pixel_std'):
            continue
        out[convert_head_key(key)] = value
    return out


def load_official(path: str, trust: bool = False) -> Dict[str, torch.Tensor]:
    """Read an official file and return its model state dict."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    try:
        ckpt = torch.load(path, map_location='cpu', weights_only=not trust)
    except Exception as e:  # pickle.UnpicklingError and friends
        raise RuntimeError(
            f'{path}: torch.load(weights_only=True) refused the file ({e}). '
            'If you trust this file, re-run with --trust-checkpoint') from e
    if isinstance(ckpt, dict) and 'model' in ckpt:
        return ckpt['model']
    raise KeyError(f"{path}: expected a TarViS session file with key 'model'")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official .pth file')
    parser.add_argument('dst', help='output mmvidseg checkpoint')
    parser.add_argument('--backbone', choices=sorted(BACKBONES.values()),
                        help='backbone; read from --config-yaml if omitted')
    parser.add_argument('--config-yaml', help='the config.yaml of the zip')
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow full unpickling (trusted files only)')
    add_force_argument(parser)
    args = parser.parse_args()
    check_new_file(args.dst, args.force)
    num_classes, backbone = None, args.backbone
    if args.config_yaml:
        import yaml
        num_classes = semantic_classes_from_yaml(args.config_yaml)
        with open(args.config_yaml) as f:
            name = yaml.safe_load(f).get('MODEL', {}).get('BACKBONE')
        backbone = backbone or BACKBONES.get(name)
        print(f'num_classes for TarViSEmbeddingContainer: {num_classes}')
    if backbone is None:
        raise ValueError('pass --backbone (r50, swin-tiny, swin-large) or '
                         '--config-yaml')
    state_dict = load_official(args.src, args.trust_checkpoint)
    converted = convert_tarvis_state_dict(state_dict, backbone, num_classes)
    torch.save(
        dict(
            state_dict=converted,
            meta=dict(source=osp.basename(args.src),
                      num_classes=num_classes)), args.dst)
    print(f'{len(converted)} tensors written to {args.dst}')


if __name__ == '__main__':
    main()
