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

Pre-trained checkpoints for fine-tuning (``--finetune-from-pretrain``):
the ``*_pretrain.zip`` models hold the semantic queries of the four image
datasets (ADE20K 150, CITYSCAPES 34, COCO 133, MAPILLARY 65 = 383 rows);
the fine-tuning model has the video datasets' table (228 rows). The
official ``training/main.py --finetune_from`` (``Trainer.load_model_weights``
-> ``load_cityscapes_semantic_queries``) copies row 0 (the shared embed)
and the 19 Cityscapes train-id classes of the CITYSCAPES block (label ids
7, 8, 11, 12, 13, 17, 19-28, 31-33, in this order) into the KITTI_STEP and
CITYSCAPES_VPS blocks; every other row keeps the fresh model's N(0, 1)
initialisation (here drawn from ``--seed``), all other tensors load
unchanged. The output loads strictly into the fine-tuning configs
(``load_from`` of ``tarvis_*_32xb1-90k_joint-finetune.py``).

Usage::

    python tools/model_converters/tarvis_to_mmvidseg.py \
        resnet50_finetune/model.pth tarvis_r50_mmvidseg.pth \
        --backbone r50 --config-yaml resnet50_finetune/config.yaml
    python tools/model_converters/tarvis_to_mmvidseg.py \
        resnet50_pretrain/model.pth \
        checkpoints/tarvis_r50_pretrain_mmvidseg.pth \
        --config-yaml resnet50_pretrain/config.yaml --finetune-from-pretrain \
        --target-config configs/tarvis/tarvis_r50_32xb1-90k_joint-finetune.py

``torch.load`` is called with ``weights_only=True``; the official session
files also pickle trainer objects, so for a file you trust re-run with
``--trust-checkpoint`` if the safe loader refuses it.
"""
import argparse
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, Optional, Tuple

import torch

from mmvidseg.utils.file_safety import add_force_argument, check_new_file

PIXEL_MEAN = (123.675, 116.28, 103.53)
PIXEL_STD = (58.395, 57.12, 57.375)
BACKBONES = {'ResNet50': 'r50', 'SwinTiny': 'swin-tiny',
             'SwinLarge': 'swin-large'}
# semantic-query blocks of the official pre-training (``load_cityscapes_
# semantic_queries`` assumes this dataset list) and of the released
# fine-tuning (the 90k joint configs)
PRETRAIN_CLASSES = dict(ADE20K=150, CITYSCAPES=34, COCO=133, MAPILLARY=65)
FINETUNE_CLASSES = dict(CITYSCAPES_VPS=19, KITTI_STEP=19, OVIS=25,
                        VIPSEG=124, YOUTUBE_VIS=40)
# official ``cityscapes_vps_kitti_step_to_cityscapes_category_mapping``:
# train id (KITTI-STEP / Cityscapes-VPS class) -> Cityscapes label id
CITYSCAPES_TRAIN_TO_LABEL_ID = (7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24,
                                25, 26, 27, 28, 31, 32, 33)
CITYSCAPES_TARGETS = ('KITTI_STEP', 'CITYSCAPES_VPS')
SEMANTIC_KEY = 'embedding_container.semantic_queries'

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


def semantic_slices(num_classes: Dict[str, int]) -> Dict[str, slice]:
    """Rows of each dataset's block: row 0 is the shared embed, blocks in
    alphabetical order (official ``EmbeddingContainer``)."""
    out, offset = {}, 1
    for name in sorted(num_classes):
        out[name] = slice(offset, offset + num_classes[name])
        offset += num_classes[name]
    return out


def map_pretrain_semantic_queries(
        table: torch.Tensor,
        pretrain_classes: Dict[str, int],
        target_classes: Dict[str, int],
        seed: int = 0) -> Tuple[torch.Tensor, Dict[str, str]]:
    """Pre-training semantic table -> the fine-tuning model's table.

    Official ``Ali2500/TarViS: tarvis/training/main.py::Trainer.
    load_cityscapes_semantic_queries``: row 0 copied; the KITTI_STEP and
    CITYSCAPES_VPS blocks (whichever the target has) set to the CITYSCAPES
    rows of :data:`CITYSCAPES_TRAIN_TO_LABEL_ID`; all other rows N(0, 1)
    (the official leaves the fresh model's ``nn.init.normal_`` values).

    Args:
        table (Tensor): ``(1 + sum(pretrain_classes), C)``.
        pretrain_classes (dict): Blocks of ``table`` (needs CITYSCAPES=34).
        target_classes (dict): Blocks of the fine-tuning model.
        seed (int): Seed of the N(0, 1) rows.

    Returns:
        tuple[Tensor, dict]: The ``(1 + sum(target_classes), C)`` table and
        a note per target block of where its rows come from.
    """
    rows = 1 + sum(pretrain_classes.values())
    if table.shape[0] != rows:
        raise ValueError(
            f'{SEMANTIC_KEY} has {table.shape[0]} rows but the pre-training '
            f'blocks {pretrain_classes} need {rows}: pass the config.yaml of '
            'the pre-trained zip (--config-yaml)')
    if pretrain_classes.get('CITYSCAPES') != 34:
        raise ValueError(
            'the pre-trained checkpoint needs a CITYSCAPES block of 34 label '
            f'ids to initialise {CITYSCAPES_TARGETS}; its blocks are '
            f'{pretrain_classes}')
    src = semantic_slices(pretrain_classes)['CITYSCAPES'].start
    perm = torch.tensor(CITYSCAPES_TRAIN_TO_LABEL_ID) + src
    gen = torch.Generator().manual_seed(seed)
    out = torch.randn(1 + sum(target_classes.values()), table.shape[1],
                      generator=gen).to(table.dtype)
    out[0] = table[0]
    notes = {name: f'N(0, 1), seed {seed}' for name in target_classes}
    for name, rows_ in semantic_slices(target_classes).items():
        if name not in CITYSCAPES_TARGETS:
            continue
        if rows_.stop - rows_.start != len(perm):
            raise ValueError(
                f'target block {name} has {rows_.stop - rows_.start} classes; '
                f'the Cityscapes queries fill exactly {len(perm)} (the '
                'official assign_semantic_queries)')
        out[rows_] = table[perm]
        notes[name] = 'CITYSCAPES label ids ' + ','.join(
            map(str, CITYSCAPES_TRAIN_TO_LABEL_ID))
    return out, notes


def target_classes_from_config(path: str) -> Dict[str, int]:
    """``model.embedding_container.num_classes`` of an mmvidseg config."""
    from mmengine.config import Config
    try:
        return dict(
            Config.fromfile(path).model.embedding_container.num_classes)
    except (AttributeError, KeyError) as e:
        raise KeyError(f'{path}: no model.embedding_container.num_classes '
                       '(expected a TarViS config)') from e


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
    parser.add_argument(
        '--finetune-from-pretrain', action='store_true',
        help='a *_pretrain checkpoint for the fine-tuning model: map its '
        'semantic queries as the official --finetune_from')
    parser.add_argument(
        '--target-config', help='mmvidseg config of the fine-tuning model '
        '(its embedding_container.num_classes); default: the released '
        'fine-tuning blocks')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the N(0, 1) rows not taken from the '
                        'pre-trained table')
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
    meta = dict(source=osp.basename(args.src), num_classes=num_classes)
    if args.finetune_from_pretrain:
        target = (target_classes_from_config(args.target_config)
                  if args.target_config else dict(FINETUNE_CLASSES))
        converted[SEMANTIC_KEY], notes = map_pretrain_semantic_queries(
            converted[SEMANTIC_KEY], num_classes or PRETRAIN_CLASSES, target,
            args.seed)
        meta.update(num_classes=target, pretrain_num_classes=num_classes or
                    PRETRAIN_CLASSES, semantic_query_source=notes)
        for name, note in notes.items():
            print(f'{name}: {note}')
    elif args.target_config:
        raise ValueError('--target-config needs --finetune-from-pretrain')
    torch.save(dict(state_dict=converted, meta=meta), args.dst)
    print(f'{len(converted)} tensors written to {args.dst}')


if __name__ == '__main__':
    main()
