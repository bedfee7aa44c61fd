# Copyright (c) mmvidseg contributors. All rights reserved.
"""Pieces of the Video-TTT online loop: optimiser groups, batch draws,
train-time augmentation and memory readings.

Re-implements ``renwang435/video-ttt-release``: ``train_ttt_mae.py``
(``Trainer.build_optimizer``), the detectron2 infinite training sampler as
the rebuilt-every-frame loader uses it, and the LSJ augmentation of
``mask2former/data/dataset_mappers/instance_pretrain_dataset_mapper.py``.
Every random draw takes an explicit ``torch.Generator`` so that a loop
state (generator state included) resumes identically.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import nn


_NORMS = (nn.modules.batchnorm._BatchNorm, nn.GroupNorm,
          nn.modules.instancenorm._InstanceNorm, nn.LayerNorm,
          nn.LocalResponseNorm)
_NO_DECAY_NAMES = ('relative_position_bias_table', 'absolute_pos_embed')


def ttt_param_groups(model: nn.Module, lr: float = 1e-4,
                     weight_decay: float = 0.05,
                     backbone_lr_mult: float = 0.1,
                     decay_embeddings: Sequence[str] = (
                         'pixel_decoder.level_encoding', )
                     ) -> List[dict]:
    """AdamW parameter groups of the official TTT optimiser.

    lr x ``backbone_lr_mult`` when ``'backbone'`` is in the *module* name;
    weight decay 0 for the parameters of norm modules (BN / GN / IN / LN /
    LRN), of ``nn.Embedding`` modules, and ``relative_position_bias_table``
    / ``absolute_pos_embed``; ``weight_decay`` otherwise. The official pixel
    decoder's level embedding is a bare ``nn.Parameter`` (decayed) where
    mmdet's is an ``nn.Embedding`` (``level_encoding``): modules whose name
    ends with an entry of ``decay_embeddings`` keep the decay, so that the
    groups equal the official ones. The official code makes one group per
    parameter; groups here collect parameters of equal (lr, weight decay),
    which AdamW treats identically element by element.

    Returns:
        list[dict]: ``params``, ``names``, ``lr``, ``weight_decay``.
    """
    groups: Dict[Tuple[float, float], dict] = {}
    seen = set()
    for module_name, module in model.named_modules():
        for pname, param in module.named_parameters(recurse=False):
            if not param.requires_grad or id(param) in seen:
                continue
            seen.add(id(param))
            p_lr = lr * backbone_lr_mult if 'backbone' in module_name else lr
            wd = weight_decay
            if any(k in pname for k in _NO_DECAY_NAMES):
                wd = 0.0
            if isinstance(module, _NORMS):
                wd = 0.0
            if isinstance(module, nn.Embedding) and not any(
                    module_name.endswith(k) for k in decay_embeddings):
                wd = 0.0
            group = groups.setdefault((p_lr, wd), dict(
                params=[], names=[], lr=p_lr, weight_decay=wd))
            group['params'].append(param)
            group['names'].append(f'{module_name}.{pname}'.lstrip('.'))
    return list(groups.values())


def draw_window_indices(window_len: int, batch_size: int,
                        generator: torch.Generator) -> List[int]:
    """Positions in the window of the ``batch_size`` training copies.

    detectron2's ``TrainingSampler`` (shuffle) yields concatenated random
    permutations of the dataset; the official loop rebuilds the loader
    every frame, so a step sees the first ``batch_size`` items of fresh
    permutations of the window: every frame of the window appears
    ``batch_size // window_len`` or one more times.
    """
    if window_len < 1:
        raise ValueError('the window is empty: push a frame first')
    out: List[int] = []
    while len(out) < batch_size:
        out += torch.randperm(window_len, generator=generator).tolist()
    return out[:batch_size]


def _uniform(generator: torch.Generator, low: float, high: float) -> float:
    return low + (high - low) * float(torch.rand((), generator=generator))


def augment_lsj(image: torch.Tensor, generator: torch.Generator,
                scale_range: Tuple[float, float] = (0.1, 2.0),
                crop_size: Tuple[int, int] = (1024, 1024),
                flip: bool = True, pad_value: float = 128.0
                ) -> torch.Tensor:
    """RandomFlip + ``ResizeScale`` + ``FixedSizeCrop`` (detectron2 LSJ).

    Args:
        image (Tensor): (C, H, W) image (uint8 or float, pixel values).
        generator (torch.Generator): Source of every draw.
        scale_range: ``ResizeScale`` min / max scale of ``crop_size``.
        crop_size: (h, w) output size; smaller images are padded at the
            bottom / right with ``pad_value`` (detectron2's default 128).
        flip (bool): Horizontal flip with probability 0.5.

    Returns:
        Tensor: (C, crop_h, crop_w) float32.
    """
    img = image.float()
    if flip and float(torch.rand((), generator=generator)) < 0.5:
        img = img.flip(-1)
    _, h, w = img.shape
    ch, cw = crop_size
    s = _uniform(generator, *scale_range)
    scale = min(s * ch / h, s * cw / w)
    nh, nw = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    img = F.interpolate(img[None], size=(nh, nw), mode='bilinear',
                        align_corners=False)[0]  # (C, nh, nw)
    # FixedSizeCrop: offset = round(max(size - crop, 0) * U(0, 1)) (one
    # draw for both axes, as detectron2), then pad to crop_size
    u = float(torch.rand((), generator=generator))
    oy = int(round(max(nh - ch, 0) * u))
    ox = int(round(max(nw - cw, 0) * u))
    img = img[:, oy:oy + ch, ox:ox + cw]
    out = img.new_full((img.shape[0], ch, cw), pad_value)
    out[:, :img.shape[1], :img.shape[2]] = img
    return out


def augment_shortest_edge(image: torch.Tensor, generator: torch.Generator,
                          short_sizes: Sequence[int] = tuple(
                              int(x * 0.1 * 1024) for x in range(5, 21)),
                          max_size: int = 4096,
                          crop_size: Tuple[int, int] = (512, 1024),
                          flip: bool = True, pad_value: float = 128.0
                          ) -> torch.Tensor:
    """KITTI-STEP TTT augmentation: ``ResizeShortestEdge`` (choice) +
    random crop + flip, padded to ``crop_size``. The official category-area
    constraint of the crop and the SSD colour augmentation are not applied
    (they need labels / are not reproduced; see the loop's docstring).
    """
    img = image.float()
    if flip and float(torch.rand((), generator=generator)) < 0.5:
        img = img.flip(-1)
    _, h, w = img.shape
    short = short_sizes[int(torch.randint(0, len(short_sizes), (),
                                          generator=generator))]
    scale = short / min(h, w)
    if max(h, w) * scale > max_size:
        scale = max_size / max(h, w)
    nh, nw = int(h * scale + 0.5), int(w * scale + 0.5)
    img = F.interpolate(img[None], size=(nh, nw), mode='bilinear',
                        align_corners=False)[0]
    ch, cw = crop_size
    oy = int(torch.randint(0, max(nh - ch, 0) + 1, (), generator=generator))
    ox = int(torch.randint(0, max(nw - cw, 0) + 1, (), generator=generator))
    img = img[:, oy:oy + ch, ox:ox + cw]
    out = img.new_full((img.shape[0], ch, cw), pad_value)
    out[:, :img.shape[1], :img.shape[2]] = img
    return out


AUGMENTS = dict(lsj=augment_lsj, shortest_edge=augment_shortest_edge)


def gpu_peak_mb(device: Optional[torch.device]) -> Optional[float]:
    """Peak CUDA memory allocated since the last reset, or None on CPU."""
    if device is None or device.type != 'cuda':
        return None
    return torch.cuda.max_memory_allocated(device) / 2**20
