# Copyright (c) mmvidseg contributors. All rights reserved.
"""Patch masking and patch un-folding of Video-TTT's masked reconstruction.

Wang et al., "Test-Time Training on Video Streams" (arXiv 2307.05014),
``renwang435/video-ttt-release``:

* :func:`random_patch_mask` re-implements
  ``mask2former/data/dataset_mappers/dropout.py::DropoutConcatAug`` with
  ``drop_type='const'``: the image is cut into ``patch_size`` x
  ``patch_size`` pixel patches (row-major from the top-left, the order of
  its ``patchify``), one uniform noise value per patch, ``argsort`` of the
  noise, the first ``int(L * (1 - mask_ratio))`` patches kept (1 = keep,
  0 = masked).
* :func:`unpatchify_recon` re-implements the reshaping of
  ``mask2former/modeling/criterion.py::ReconCriterion``: the recon head's
  ``(B, 3 * p * p, H / p, W / p)`` output read as ``(B, 3, p, p, H / p,
  W / p)`` and permuted with ``einsum('bcpqhw->bchpwq')``.

Deliberate deviation: the official ``patchify`` asserts that height and
width are multiples of the patch size (its training crops are 1024 x 1024
and 512 x 1024). Here other sizes are allowed: the patch grid covers the
image from the top-left with ``ceil`` patches per side and is cropped, and
the partial border patches count in ``L``.
"""
import math
from typing import Optional

import torch
from torch import Tensor


def random_patch_mask(batch_size: int,
                      height: int,
                      width: int,
                      mask_ratio: float = 0.85,
                      patch_size: int = 16,
                      generator: Optional[torch.Generator] = None,
                      device: Optional[torch.device] = None) -> Tensor:
    """Random patch masks, one independent draw per image.

    Args:
        batch_size (int): Number of masks B.
        height (int): Mask height H in pixels.
        width (int): Mask width W in pixels.
        mask_ratio (float): Fraction of patches masked; ``int(L * (1 -
            mask_ratio))`` of the ``L`` patches are kept.
        patch_size (int): Patch side in pixels.
        generator (torch.Generator, optional): CPU generator for the noise
            (global RNG when None; one ``(1, L)`` draw per image in batch
            order, as the official mapper draws per image).
        device (torch.device, optional): Device of the returned mask.

    Returns:
        Tensor: ``(B, 1, H, W)`` float, 1 = kept pixel, 0 = masked pixel.
    """
    if not 0.0 <= mask_ratio < 1.0:
        raise ValueError(f'mask_ratio must be in [0, 1), got {mask_ratio}')
    if height <= 0 or width <= 0 or patch_size <= 0:
        raise ValueError(f'height, width and patch_size must be positive, '
                         f'got {height}, {width}, {patch_size}')
    gh, gw = math.ceil(height / patch_size), math.ceil(width / patch_size)
    num_patches = gh * gw
    len_keep = int(num_patches * (1 - mask_ratio))
    masks = []
    for _ in range(batch_size):
        noise = torch.rand(1, num_patches, generator=generator)  # (1, L)
        ids_shuffle = torch.argsort(noise, dim=1)  # small noise is kept
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        keep = torch.zeros(1, num_patches)
        keep[:, :len_keep] = 1
        masks.append(torch.gather(keep, dim=1, index=ids_restore))
    grid = torch.cat(masks).view(batch_size, 1, gh, gw)  # (B, 1, gh, gw)
    pixels = grid.repeat_interleave(patch_size, dim=2).repeat_interleave(
        patch_size, dim=3)  # (B, 1, gh * p, gw * p)
    return pixels[:, :, :height, :width].contiguous().to(device)


def unpatchify_recon(pred: Tensor, patch_size: int = 4) -> Tensor:
    """Read ``3 * p * p`` per-location channels as p x p RGB pixel patches.

    Args:
        pred (Tensor): ``(B, 3 * p * p, h, w)`` recon-head output (the mask
            predictions of its ``3 * p * p`` queries at stride p).
        patch_size (int): p.

    Returns:
        Tensor: ``(B, 3, h * p, w * p)``; ``out[b, c, y * p + i, x * p + j]
        = pred[b, c * p * p + i * p + j, y, x]``.
    """
    b, ch, h, w = pred.shape
    p = patch_size
    if ch != 3 * p * p:
        raise ValueError(f'reconstruction output has {ch} channels, '
                         f'expected 3 * {p} * {p} = {3 * p * p} (recon head '
                         'num_queries must be 3 * recon_patch_size ** 2)')
    x = pred.reshape(b, 3, p, p, h, w)  # (B, 3, p, q, h, w)
    x = torch.einsum('bcpqhw->bchpwq', x)  # (B, 3, h, p, w, q)
    return x.reshape(b, 3, h * p, w * p)  # (B, 3, H, W)
