# Copyright (c) mmvidseg contributors. All rights reserved.
"""Checks run before a TeViT / QueryInst checkpoint is loaded into TeViT."""
import re
from typing import Callable, Dict, List

from torch import nn

#: Class-specific tensors of the QueryInst / TeViT tree.
CLASS_KEY = re.compile(r'^roi_head\.(bbox_head\.\d+\.fc_cls|'
                       r'mask_head\.\d+\.conv_logits)\.(weight|bias)$')
#: Class count of the COCO QueryInst checkpoints TeViT is initialised from.
COCO_NUM_CLASSES = 80
_OTHER_MODELS = {
    'detector.': 'an mmdet video model with a wrapped detector '
    '(e.g. MaskTrack R-CNN)',
    'track_head.': 'a Mask2Former-VIS model',
    'panoptic_head.': 'a Mask2Former image model',
    'sem_seg_head.': 'a detectron2-style model',
}


def _guess_model(keys: List[str]) -> str:
    for key_prefix, name in _OTHER_MODELS.items():
        if any(k.startswith(key_prefix) for k in keys):
            return f', it looks like {name}'
    return ''


def check_tevit_state_dict(model: nn.Module,
                           state_dict: Dict,
                           prefix: str = '',
                           reinit_mismatched_classes: bool = False,
                           log: Callable[[str], None] = print) -> None:
    """Validate ``state_dict`` for ``model`` and drop skippable tensors.

    Raises when the checkpoint is not a TeViT / QueryInst checkpoint, when
    its backbone does not match the model's backbone type, when its class
    count differs from the model's (unless it is the 80-class COCO QueryInst
    initialisation or ``reinit_mismatched_classes``) and on any other shape
    mismatch (e.g. 300 vs 100 queries). Skipped class layers are removed
    from ``state_dict`` in place.

    Args:
        model (nn.Module): The TeViT model.
        state_dict (dict): Checkpoint tensors, keys starting with ``prefix``.
        prefix (str): Key prefix of ``model`` in ``state_dict``.
        reinit_mismatched_classes (bool): Skip class layers of any
            mismatched class count instead of raising.
        log (callable): Receives informational messages.
    """
    ckpt = {
        k[len(prefix):]: v
        for k, v in state_dict.items() if k.startswith(prefix)
    }
    own = model.state_dict(keep_vars=True)
    first_keys = ', '.join(list(ckpt)[:3])
    if not any(k.startswith('roi_head.bbox_head.') for k in ckpt):
        raise KeyError(
            'the checkpoint is not a TeViT / QueryInst checkpoint: it has no '
            f'`roi_head.bbox_head.*` tensors (first keys: {first_keys})'
            f'{_guess_model(list(ckpt))}. Use an official TeViT checkpoint '
            '(see configs/tevit/README.md), a COCO QueryInst checkpoint, or '
            'convert it with tools/model_converters/tevit_to_mmvidseg.py.')
    own_backbone = {k for k in own if k.startswith('backbone.')}
    ckpt_backbone = {k for k in ckpt if k.startswith('backbone.')}
    if own_backbone and ckpt_backbone and not own_backbone & ckpt_backbone:
        raise KeyError(
            'the checkpoint backbone does not match the model backbone '
            f'({type(model.backbone).__name__}): no common key (checkpoint: '
            f'{sorted(ckpt_backbone)[0]}, model: {sorted(own_backbone)[0]}). '
            'Pick the config of the checkpoint (tevit_msgshift / tevit_r50 '
            '/ tevit_swin-l).')
    if 'backbone.msg_tokens' in own and 'backbone.msg_tokens' not in ckpt:
        log('checkpoint has no `backbone.msg_tokens` (an image-model '
            'initialisation): messenger tokens keep their trunc-normal '
            'initialisation, as in the official recipe.')

    mismatched = [
        k for k, v in ckpt.items()
        if k in own and tuple(v.shape) != tuple(own[k].shape)
    ]
    class_keys = [k for k in mismatched if CLASS_KEY.match(k)]
    if class_keys:
        ckpt_classes = ckpt[class_keys[0]].shape[0]
        own_classes = own[class_keys[0]].shape[0]
        if ckpt_classes == COCO_NUM_CLASSES or reinit_mismatched_classes:
            for k in class_keys:
                state_dict.pop(prefix + k)
            log(f'checkpoint has {ckpt_classes} classes, the model '
                f'{own_classes}: {len(class_keys)} class-specific tensors '
                '(fc_cls, conv_logits) keep their initialisation.')
        else:
            raise ValueError(
                f'class-count mismatch: the checkpoint has {ckpt_classes} '
                f'classes ({class_keys[0]} {tuple(ckpt[class_keys[0]].shape)}'
                f') but the config has {own_classes}. Use the config of the '
                'checkpoint\'s dataset (num_classes in every bbox_head and '
                'mask_head), or set model.reinit_mismatched_classes=True to '
                'fine-tune from it.')
    others = [k for k in mismatched if not CLASS_KEY.match(k)]
    if others:
        details = '; '.join(f'{k}: checkpoint {tuple(ckpt[k].shape)}, model '
                            f'{tuple(own[k].shape)}' for k in others[:4])
        raise ValueError(
            f'{len(others)} checkpoint tensors do not fit the model ({details}'
            '). The checkpoint was trained with another config (e.g. '
            'num_proposals=300 for TeViT Swin-L); use the matching config.')
