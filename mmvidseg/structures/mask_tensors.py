# Copyright (c) mmvidseg contributors. All rights reserved.
"""Ground-truth masks of a frame as one padded boolean tensor.

The torch side of :mod:`mmvidseg.structures.masks` (which stays numpy-only):
segmentors turn each frame's ``gt_instances.masks`` (mmdet ``BitmapMasks``,
a numpy array or a tensor) into the padded input size of the batch.
"""
from typing import Any, Optional

import numpy as np
import torch
from torch import Tensor


def padded_mask_tensor(masks: Any,
                       height: int,
                       width: int,
                       device: Optional[torch.device] = None,
                       crop: bool = True) -> Tensor:
    """``(n, h, w)`` masks -> bool ``(n, height, width)``, zero-padded
    bottom / right.

    Args:
        masks: mmdet ``BitmapMasks`` (its ``.masks`` array), a numpy array
            or a tensor, ``(n, h, w)``.
        height (int): Output height (the padded input).
        width (int): Output width.
        device (torch.device, optional): Output device.
        crop (bool): Crop masks larger than the output (True) or raise a
            ValueError naming both sizes (False).
    """
    if hasattr(masks, 'masks') and isinstance(masks.masks, np.ndarray):
        masks = masks.masks  # mmdet BitmapMasks
    if isinstance(masks, np.ndarray):
        masks = torch.from_numpy(masks)
    masks = torch.as_tensor(masks, device=device).bool()
    h, w = masks.shape[-2:]
    if not crop and (h > height or w > width):
        raise ValueError(f'GT masks of size {h}x{w} exceed the padded input '
                         f'{height}x{width}')
    out = masks.new_zeros((masks.shape[0], height, width))
    h, w = min(height, h), min(width, w)
    out[:, :h, :w] = masks[:, :h, :w]
    return out
