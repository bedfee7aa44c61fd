# Copyright (c) mmvidseg contributors. All rights reserved.
"""Official TarViS backbone + temporal-neck keys -> mmvidseg module keys.

Official checkpoints (``Ali2500/TarViS``, ``torch.load(p)['model']``) hold
``backbone.backbone.*`` (detectron2 ResNet-50 or Mask2Former's
``D2SwinTransformer``) and ``backbone.fpn.*`` (``TemporalNeck``). mmvidseg
builds them as mmdet's ``ResNet`` (``style='pytorch'``, ``norm_cfg=
dict(type='StemSegFrozenBN', eps=1e-5)``) or mmdet's ``SwinTransformer``
(``backbone.*``) and :class:`TarViSTemporalNeck` (``neck.*``); see
:data:`BACKBONE_CONFIGS`.

mmdet's modules reproduce the official ones, so TarViS needs no backbone
class of its own: with random official-layout weights mapped through this
file and the same input (eval mode, float32), detectron2's ResNet-50
(FrozenBN eps 1e-5, stride in the 3x3) and mmdet's ``ResNet`` differ by at
most 4e-5 on outputs of magnitude 36 (float rounding), and Mask2Former's
``D2SwinTransformer`` and mmdet's ``SwinTransformer`` (Swin-T and Swin-L)
agree exactly on res2 and within 4.1e-6 on res3..res5 (``PatchMerging``
channel order changed by mmdet's ``swin_converter``). detectron2's
``FrozenBatchNorm2d`` is mmvidseg's ``StemSegFrozenBN`` with ``eps=1e-5``
(the same buffers and ``x * scale + shift`` formula).
"""
import re
from collections import OrderedDict
from typing import Dict, Tuple

from torch import Tensor

BACKBONES = ('r50', 'swin-tiny', 'swin-large')

# mmdet backbone + neck configs that the converted keys load into.
_SWIN_COMMON = dict(
    type='mmdet.SwinTransformer',
    patch_size=4,
    mlp_ratio=4,
    qkv_bias=True,
    qk_scale=None,
    drop_rate=0.,
    attn_drop_rate=0.,
    drop_path_rate=0.3,
    patch_norm=True,
    out_indices=(0, 1, 2, 3),
    with_cp=False,
    convert_weights=False)
BACKBONE_CONFIGS: Dict[str, Tuple[dict, list]] = {
    'r50': (dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='StemSegFrozenBN', eps=1e-5),
        norm_eval=False,
        style='pytorch'), [256, 512, 1024, 2048]),
    'swin-tiny': (dict(
        **_SWIN_COMMON,
        pretrain_img_size=224,
        embed_dims=96,
        depths=[2, 2, 6, 2],
        num_heads=[3, 6, 12, 24],
        window_size=7), [96, 192, 384, 768]),
    'swin-large': (dict(
        **_SWIN_COMMON,
        pretrain_img_size=384,
        embed_dims=192,
        depths=[2, 2, 18, 2],
        num_heads=[6, 12, 24, 48],
        window_size=12), [192, 384, 768, 1536]),
}

_NECK_RULES = [
    (r'input_proj\.(\d+)\.0\.', r'input_convs.\1.conv.'),
    (r'input_proj\.(\d+)\.1\.', r'input_convs.\1.gn.'),
    (r'transformer\.level_embed$', 'level_encoding.weight'),
    (r'transformer\.level_embed_3d$', 'level_encoding_3d.weight'),
    (r'transformer\.encoder\.layers\.(\d+)\.', r'encoder.layers.\1.'),
    (r'transformer\.encoder\.temporal_layers\.(\d+)\.',
     r'temporal_layers.\1.'),
    (r'mask_features\.', 'mask_feature.'),
    (r'adapter_1\.norm\.', 'lateral_convs.0.gn.'),
    (r'adapter_1\.', 'lateral_convs.0.conv.'),
    (r'layer_1\.norm\.', 'output_convs.0.gn.'),
    (r'layer_1\.', 'output_convs.0.conv.'),
]
# post-norm encoder / temporal layer parts, after the prefix rules above
_LAYER_RULES = [
    (r'\.norm1\.', '.norms.0.'),
    (r'\.norm2\.', '.norms.1.'),
    (r'\.linear1\.', '.ffn.layers.0.0.'),
    (r'\.linear2\.', '.ffn.layers.1.'),
]
_RESNET_RULES = [
    (r'^stem\.conv1\.norm\.', 'bn1.'),
    (r'^stem\.conv1\.', 'conv1.'),
    (r'^res(\d)\.', lambda m: f'layer{int(m.group(1)) - 1}.'),
    (r'\.shortcut\.norm\.', '.downsample.1.'),
    (r'\.shortcut\.', '.downsample.0.'),
    (r'\.conv(\d)\.norm\.', r'.bn\1.'),
]


def _apply(rules, key: str) -> str:
    for pattern, repl in rules:
        key = re.sub(pattern, repl, key)
    return key


def convert_neck_key(key: str) -> str:
    """Map one ``TemporalNeck`` key (without ``backbone.fpn.``)."""
    for pattern, repl in _NECK_RULES:
        new_key, n = re.subn('^' + pattern, repl, key)
        if n:
            if new_key.startswith(('encoder.layers', 'temporal_layers')):
                new_key = _apply(_LAYER_RULES, new_key)
            return new_key
    raise KeyError(f'TarViS neck key {key!r} has no mmvidseg name '
                   f'(tarvis_neck_keymap.py); is this a TarViS checkpoint?')


def convert_resnet_key(key: str) -> str:
    """Map one detectron2 ResNet key (without ``backbone.backbone.``)."""
    if not key.startswith(('stem.', 'res')):
        raise KeyError(f'detectron2 ResNet key {key!r} has no mmdet name '
                       f'(tarvis_neck_keymap.py); is this an R50 checkpoint?')
    return _apply(_RESNET_RULES, key)


def _convert_swin(state: Dict[str, Tensor]) -> Dict[str, Tensor]:
    # mmdet's converter: attn -> attn.w_msa, mlp -> ffn, layers -> stages,
    # patch_embed.proj -> projection, PatchMerging channel order for Unfold
    from mmdet.models.backbones.swin import swin_converter
    bad = [k for k in state if not k.startswith(
        ('patch_embed.', 'layers.', 'norm'))]
    if bad:
        raise KeyError(f'D2SwinTransformer keys {bad[:3]} have no mmdet name '
                       f'(tarvis_neck_keymap.py); is this a Swin checkpoint?')
    return swin_converter(state)  # keys prefixed with 'backbone.'


def convert_backbone_neck(official_state: Dict[str, Tensor],
                          backbone: str) -> Dict[str, Tensor]:
    """Rename the backbone and temporal-neck entries of a TarViS state dict.

    Args:
        official_state (dict): Official ``model`` state dict (other prefixes
            such as ``decoder.*`` are ignored).
        backbone (str): ``'r50'``, ``'swin-tiny'`` or ``'swin-large'``.

    Returns:
        dict: ``backbone.*`` (mmdet ``ResNet`` / ``SwinTransformer``) and
        ``neck.*`` (:class:`TarViSTemporalNeck`) entries, tensors shared.
    """
    if backbone not in BACKBONES:
        raise ValueError(f'backbone must be one of {BACKBONES}, got '
                         f'{backbone!r}')
    out: Dict[str, Tensor] = OrderedDict()
    bb_state = OrderedDict()
    for key, value in official_state.items():
        if key.startswith('backbone.backbone.'):
            bb_state[key[len('backbone.backbone.'):]] = value
        elif key.startswith('backbone.fpn.'):
            out['neck.' + convert_neck_key(key[len('backbone.fpn.'):])] = \
                value
    if not bb_state:
        raise KeyError('no backbone.backbone.* entries in the state dict: '
                       'pass torch.load(path)["model"] of a TarViS '
                       'checkpoint')
    if backbone == 'r50':
        for key, value in bb_state.items():
            out['backbone.' + convert_resnet_key(key)] = value
    else:
        out.update(_convert_swin(bb_state))
    return out
