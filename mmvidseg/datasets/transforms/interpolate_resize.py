# Copyright (c) mmvidseg contributors. All rights reserved.
"""Resize frames as STEm-Seg's loaders do: bilinear ``F.interpolate`` on the
float image."""
from typing import Tuple

import mmcv
import numpy as np
import torch
import torch.nn.functional as F
from mmdet.datasets.transforms import Resize

from mmvidseg.registry import TRANSFORMS


def stemseg_resize_shape(height: int, width: int, min_dim: float,
                         max_dim: float) -> Tuple[int, int]:
    """Output ``(height, width)`` of STEm-Seg's ``compute_resize_params``.

    The shorter side goes to ``min_dim`` unless the longer one would then
    exceed ``max_dim`` (then the longer side goes to ``max_dim``); sizes are
    rounded with Python's ``round`` (halves to even), not ``int(x + 0.5)``
    as mmcv's ``rescale_size``.
    """
    lower, higher = float(min(height, width)), float(max(height, width))
    scale = min_dim / lower
    if higher * scale > max_dim:
        scale = max_dim / higher
    return round(scale * height), round(scale * width)


def interpolate_bilinear(img: np.ndarray, height: int,
                         width: int) -> np.ndarray:
    """``(H, W[, C])`` image -> ``(height, width[, C])`` float32 with
    ``F.interpolate(mode='bilinear', align_corners=False)`` (no
    anti-aliasing), on the float32 values."""
    x = torch.from_numpy(np.ascontiguousarray(img)).float()
    x = x[..., None] if x.dim() == 2 else x  # (H, W, C)
    x = x.permute(2, 0, 1)[None]  # (1, C, H, W)
    x = F.interpolate(x, (height, width), mode='bilinear',
                      align_corners=False)
    out = x[0].permute(1, 2, 0).contiguous().numpy()  # (height, width, C)
    return out[..., 0] if img.ndim == 2 else out


@TRANSFORMS.register_module()
class InterpolateResize(Resize):
    """mmdet's ``Resize`` whose image resizing is STEm-Seg's.

    Re-implements the image resizing of STEm-Seg's loaders (Athar et al.,
    ECCV 2020; ``sabarim/STEm-Seg: stemseg/data/inference_image_loader.py``,
    ``video_dataset.py``, ``coco_data_loader.py``): the uint8 frame is
    converted to float32 and resized with ``F.interpolate(mode='bilinear',
    align_corners=False)`` to the size of ``compute_resize_params``
    (:func:`stemseg_resize_shape`). mmcv's ``Resize`` instead resizes the
    uint8 image with cv2 (fixed-point weights, result rounded to integers)
    and rounds the size as ``int(x + 0.5)``: on 854x480 frames the network
    input differed by up to 0.77 (5e-3 relative); with ``to_float32=True``
    cv2's float path still differed by ~1e-3. This transform gives the
    reference's values exactly (tested against ``F.interpolate``).

    The output image is float32. Boxes, masks and segmentation maps are
    resized as mmdet's ``Resize`` does (masks and maps to the new image
    size with cv2 nearest-neighbour interpolation). Arguments are those of
    mmdet's ``Resize``; with ``keep_ratio=True`` ``scale`` is ``(max_dim,
    min_dim)`` (the reference's ``INPUT.MAX_DIM`` / ``MIN_DIM``; the order
    does not matter), with ``keep_ratio=False`` it is the output ``(w, h)``.
    ``scale_factor`` (instead of ``scale``), ``clip_object_border`` and
    ``interpolation`` other than ``'bilinear'`` are not supported.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.scale is None:
            raise ValueError('InterpolateResize needs `scale` (the '
                             'reference resizes to MIN_DIM / MAX_DIM), not '
                             '`scale_factor`')
        if self.interpolation != 'bilinear':
            raise ValueError(f'InterpolateResize only interpolates '
                             f"bilinearly, got interpolation="
                             f'{self.interpolation!r}')

    def _resize_img(self, results: dict) -> None:
        img = results.get('img', None)
        if img is None:
            return
        h, w = img.shape[:2]
        if self.keep_ratio:
            new_h, new_w = stemseg_resize_shape(h, w, min(results['scale']),
                                                max(results['scale']))
        else:
            new_w, new_h = results['scale']
        results['img'] = interpolate_bilinear(img, new_h, new_w)
        results['img_shape'] = (new_h, new_w)
        results['scale_factor'] = (new_w / w, new_h / h)
        results['keep_ratio'] = self.keep_ratio

    def _resize_masks(self, results: dict) -> None:
        # to the image size: mmdet's keep_ratio path recomputes the size
        # with mmcv's rounding
        if results.get('gt_masks', None) is not None:
            results['gt_masks'] = results['gt_masks'].resize(
                results['img_shape'])

    def _resize_seg(self, results: dict) -> None:
        if results.get('gt_seg_map', None) is not None:
            h, w = results['img_shape']
            results['gt_seg_map'] = mmcv.imresize(
                results['gt_seg_map'], (w, h), interpolation='nearest',
                backend=self.backend)

