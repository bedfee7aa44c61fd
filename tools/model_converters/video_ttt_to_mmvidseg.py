# Copyright (c) mmvidseg contributors. All rights reserved.
"""Convert official Video-TTT checkpoints to mmvidseg's ``Mask2FormerTTT``.

Official files (``renwang435/video-ttt-release: README.md``, Box folder):
``ttt_coco_instance_baseline.pkl``, ``ttt_coco_panoptic_baseline.pkl``,
``ttt_ks_semantic_baseline.pkl`` (detectron2 ``.pkl``: a pickled
``{"model": {name: ndarray}, "__author__": ...}`` or a bare dict), and the
``.pth`` files the TTT runs write (``{'model', 'optimizer', 'scheduler',
'iteration'}``). ``.pkl`` files are read with numpy-only unpickling
(:func:`mmvidseg.utils.checkpoint.load_detectron2_pkl`), ``.pth`` with
``torch.load(weights_only=True)``.

Key map (official ``MaskFormerTTT`` -> mmdet ``Mask2Former`` names):

* ``backbone.*`` (``D2SwinTransformer``) -> ``backbone.*`` of mmdet's
  ``SwinTransformer`` through mmdet's ``swin_converter`` (``layers`` ->
  ``stages``, ``attn`` -> ``attn.w_msa``, ``mlp.fc1/fc2`` ->
  ``ffn.layers.0.0/1``, ``patch_embed.proj`` -> ``patch_embed.projection``,
  ``PatchMerging`` channel order for ``nn.Unfold``); the 4-channel
  ``patch_embed.proj.weight (96, 4, 4, 4)`` is kept as is.
* ``sem_seg_head.pixel_decoder.*`` -> ``panoptic_head.pixel_decoder.*`` and
  ``recon_head.pixel_decoder.*`` -> ``recon_head.pixel_decoder.*``:
  ``input_proj.i.0/1`` -> ``input_convs.i.conv/gn``,
  ``transformer.level_embed`` -> ``level_encoding.weight``,
  ``transformer.encoder.layers.i.{self_attn, norm1, linear1, linear2,
  norm2}`` -> ``encoder.layers.i.{self_attn, norms.0, ffn.layers.0.0,
  ffn.layers.1, norms.1}``, ``adapter_1`` / ``layer_1`` ->
  ``lateral_convs.0`` / ``output_convs.0`` (``.conv`` / ``.gn``),
  ``mask_features`` -> ``mask_feature``. The detectron2 v1 spelling without
  ``pixel_decoder.`` (``sem_seg_head.adapter_1.weight``, what the official
  ``MaskFormerHead._load_from_state_dict`` renames for files without
  version metadata) is accepted as well.
* ``*.predictor.*`` -> the head itself (``panoptic_head.*`` /
  ``recon_head.*``): ``transformer_cross_attention_layers.i.multihead_attn``
  -> ``transformer_decoder.layers.i.cross_attn.attn`` (``norm`` ->
  ``norms.0``), ``transformer_self_attention_layers.i.self_attn`` ->
  ``...self_attn.attn`` (``norms.1``), ``transformer_ffn_layers.i.linear1 /
  linear2 / norm`` -> ``...ffn.layers.0.0 / ffn.layers.1 / norms.2``,
  ``decoder_norm`` -> ``transformer_decoder.post_norm``, ``class_embed``
  -> ``cls_embed``, ``mask_embed.layers.{0,1,2}`` -> ``mask_embed.{0,2,4}``,
  ``input_proj.i`` -> ``decoder_input_projs.i``; ``query_feat``,
  ``query_embed``, ``level_embed`` keep their names.
* A bare Swin file without ``backbone.`` (the 4-channel ImageNet Swin-S
  ``swin_small_patch4_window7_224_4chan.pkl`` that starts the joint
  training) converts to ``backbone.*`` only (``head.*`` and the classifier's
  ``norm.*`` dropped); load it with ``load_from`` (non-strict).
* ``criterion.empty_weight`` (the no-object class weight; mmdet keeps it in
  ``loss_cls.class_weight``), ``pixel_mean`` / ``pixel_std`` are checked and
  dropped.

Usage::

    python tools/model_converters/video_ttt_to_mmvidseg.py \
        ttt_coco_instance_baseline.pkl video_ttt_coco_instance.pth
"""
import argparse
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Tuple

import numpy as np
import torch

PIXEL_MEAN = (123.675, 116.28, 103.53)
PIXEL_STD = (58.395, 57.12, 57.375)

_PIXEL_DECODER_RULES = [
    (r'^input_proj\.(\d+)\.0\.', r'input_convs.\1.conv.'),
    (r'^input_proj\.(\d+)\.1\.', r'input_convs.\1.gn.'),
    (r'^transformer\.level_embed$', 'level_encoding.weight'),
    (r'^transformer\.encoder\.layers\.(\d+)\.self_attn\.',
     r'encoder.layers.\1.self_attn.'),
    (r'^transformer\.encoder\.layers\.(\d+)\.norm1\.',
     r'encoder.layers.\1.norms.0.'),
    (r'^transformer\.encoder\.layers\.(\d+)\.norm2\.',
     r'encoder.layers.\1.norms.1.'),
    (r'^transformer\.encoder\.layers\.(\d+)\.linear1\.',
     r'encoder.layers.\1.ffn.layers.0.0.'),
    (r'^transformer\.encoder\.layers\.(\d+)\.linear2\.',
     r'encoder.layers.\1.ffn.layers.1.'),
    (r'^mask_features\.', 'mask_feature.'),
    (r'^adapter_1\.norm\.', 'lateral_convs.0.gn.'),
    (r'^adapter_1\.', 'lateral_convs.0.conv.'),
    (r'^layer_1\.norm\.', 'output_convs.0.gn.'),
    (r'^layer_1\.', 'output_convs.0.conv.'),
]
_PREDICTOR_RULES = [
    (r'^transformer_cross_attention_layers\.(\d+)\.multihead_attn\.',
     r'transformer_decoder.layers.\1.cross_attn.attn.'),
    (r'^transformer_cross_attention_layers\.(\d+)\.norm\.',
     r'transformer_decoder.layers.\1.norms.0.'),
    (r'^transformer_self_attention_layers\.(\d+)\.self_attn\.',
     r'transformer_decoder.layers.\1.self_attn.attn.'),
    (r'^transformer_self_attention_layers\.(\d+)\.norm\.',
     r'transformer_decoder.layers.\1.norms.1.'),
    (r'^transformer_ffn_layers\.(\d+)\.linear1\.',
     r'transformer_decoder.layers.\1.ffn.layers.0.0.'),
    (r'^transformer_ffn_layers\.(\d+)\.linear2\.',
     r'transformer_decoder.layers.\1.ffn.layers.1.'),
    (r'^transformer_ffn_layers\.(\d+)\.norm\.',
     r'transformer_decoder.layers.\1.norms.2.'),
    (r'^decoder_norm\.', 'transformer_decoder.post_norm.'),
    (r'^class_embed\.', 'cls_embed.'),
    (r'^mask_embed\.layers\.(\d+)\.',
     lambda m: f'mask_embed.{2 * int(m.group(1))}.'),
    (r'^input_proj\.(\d+)\.', r'decoder_input_projs.\1.'),
    (r'^(query_feat|query_embed|level_embed)\.', r'\1.'),
]
_HEADS = {'sem_seg_head': 'panoptic_head', 'recon_head': 'recon_head'}


def _rename(rules, key: str, full_key: str) -> str:
    for pattern, repl in rules:
        new_key, n = re.subn(pattern, repl, key, count=1)
        if n:
            return new_key
    raise KeyError(f'official key {full_key!r} has no mmvidseg name '
                   '(tools/model_converters/video_ttt_to_mmvidseg.py); is '
                   'this a Video-TTT (MaskFormerTTT) checkpoint?')


def convert_head_key(key: str) -> str:
    """Map one ``sem_seg_head.*`` / ``recon_head.*`` key (v1 or v2)."""
    head, _, rest = key.partition('.')
    if head not in _HEADS or not rest:
        raise KeyError(f'{key!r} is not a head key')
    if rest.startswith('predictor.'):
        return f'{_HEADS[head]}.' + _rename(
            _PREDICTOR_RULES, rest[len('predictor.'):], key)
    if rest.startswith('pixel_decoder.'):
        rest = rest[len('pixel_decoder.'):]  # v2; v1 has no pixel_decoder.
    return f'{_HEADS[head]}.pixel_decoder.' + _rename(
        _PIXEL_DECODER_RULES, rest, key)


def _to_tensor(value) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value
    return torch.from_numpy(np.ascontiguousarray(value))


def convert_video_ttt_state_dict(
        state_dict: Dict[str, object]
) -> Tuple['OrderedDict[str, torch.Tensor]', List[str]]:
    """Convert an official ``MaskFormerTTT`` state dict.

    Args:
        state_dict (dict): Official names -> numpy arrays or tensors.

    Returns:
        tuple: (mmvidseg names -> tensors, dropped official keys).
    """
    from mmdet.models.backbones.swin import swin_converter
    state = {k: _to_tensor(v) for k, v in state_dict.items()}
    dropped = []
    for name, ref in (('pixel_mean', PIXEL_MEAN), ('pixel_std', PIXEL_STD)):
        if name in state:
            if not torch.allclose(state[name].float().flatten()[:3],
                                  torch.tensor(ref)):
                raise ValueError(
                    f'checkpoint {name} {state[name].flatten().tolist()} '
                    f'differs from {list(ref)}: set the data preprocessor '
                    'mean/std to the checkpoint values')
            dropped.append(name)
    if 'criterion.empty_weight' in state:
        w = state['criterion.empty_weight'].float()
        if not (torch.all(w[:-1] == 1) and abs(float(w[-1]) - 0.1) < 1e-6):
            raise ValueError(
                f'criterion.empty_weight {w.tolist()} is not [1, ..., 1, '
                '0.1]; set loss_cls.class_weight to it')
        dropped.append('criterion.empty_weight')
    swin, out = OrderedDict(), OrderedDict()
    if not any(k.startswith('backbone.') for k in state) and any(
            k.startswith('patch_embed.') for k in state):
        # a bare (4-channel) Swin file, e.g. the official
        # swin_small_patch4_window7_224_4chan.pkl: backbone only; the
        # classifier and its final norm have no place in the segmentor
        for key in list(state):
            if key.startswith(('head.', 'norm.')):
                dropped.append(key)
        state = {('backbone.' + k if k not in dropped else k): v
                 for k, v in state.items()}
    for key, value in state.items():
        if key in dropped:
            continue
        if key.startswith('backbone.'):
            swin[key[len('backbone.'):]] = value
        elif key.split('.', 1)[0] in _HEADS:
            out[convert_head_key(key)] = value
        else:
            raise KeyError(
                f'unexpected key {key!r} in the Video-TTT checkpoint '
                '(official keys start with backbone., sem_seg_head., '
                'recon_head., criterion.)')
    if not swin:
        raise KeyError('no backbone.* entries: pass the "model" dict of a '
                       'Video-TTT checkpoint')
    bad = [k for k in swin if not k.startswith(('patch_embed.', 'layers.',
                                                'norm'))]
    if bad:
        raise KeyError(f'backbone keys {bad[:3]} are not D2SwinTransformer '
                       'keys; is this a Swin-S Video-TTT checkpoint?')
    converted = swin_converter(swin)  # keys prefixed with 'backbone.'
    converted.update(out)
    return converted, dropped


def load_official(path: str) -> Dict[str, object]:
    """The model state dict of an official ``.pkl`` or ``.pth`` file."""
    from mmvidseg.utils.checkpoint import (load_checkpoint_file,
                                           load_detectron2_pkl)
    if path.endswith('.pkl'):
        ckpt = load_detectron2_pkl(path)
    else:
        ckpt = load_checkpoint_file(path)
    if isinstance(ckpt, dict) and isinstance(ckpt.get('model'), dict):
        return ckpt['model']
    if isinstance(ckpt, dict) and any(
            k.startswith(('backbone.', 'patch_embed.')) for k in ckpt):
        return ckpt  # a bare state dict
    raise KeyError(f'{path}: expected a detectron2 checkpoint (a dict with '
                   '"model", or a bare dict of backbone.* / sem_seg_head.* '
                   'arrays)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='official .pkl or .pth file')
    parser.add_argument('dst', help='output mmvidseg checkpoint (.pth)')
    args = parser.parse_args()
    if osp.exists(args.dst):
        raise FileExistsError(f'{args.dst} exists; remove it or pick '
                              'another output path')
    converted, dropped = convert_video_ttt_state_dict(load_official(args.src))
    torch.save(
        dict(state_dict=converted, meta=dict(source=osp.basename(args.src))),
        args.dst)
    has_recon = any(k.startswith('recon_head.') for k in converted)
    print(f'converted {len(converted)} tensors to {args.dst} (dropped '
          f'{dropped}; reconstruction head: {"yes" if has_recon else "no"})')


if __name__ == '__main__':
    main()
