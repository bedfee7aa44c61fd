# Copyright (c) mmvidseg contributors. All rights reserved.
"""Clip-consistent training augmentation of TarViS's video loaders.

Re-implements, with numpy / cv2, the two clip-level augmentations of
``Ali2500/TarViS: tarvis/data/instance_seg_video_dataset.py`` (VIS) and
``tarvis/data/panoptic_seg_dataset.py`` (VPS):

* the colour jitter ``iaa.Sequential([AddToHueAndSaturation(value_hue=
  (-h, h), value_saturation=(-s, s)), LinearContrast((0.95, 1.05)),
  AddToBrightness((-b, b))]).to_deterministic()`` applied with the same
  parameters to every frame of a clip (VIS: h = s = 12, b = 25; VPS:
  h = s = 10, b = 20); imgaug 0.4 needs ``np.sctypes`` (gone in NumPy 2),
  so the numerics of its uint8 code paths are ported here;
* the mask-containing crop (``compute_mask_containing_crop`` of
  ``tarvis/data/utils/{video,image}_cropping.py``): one crop window for the
  whole clip, ``round(H * fh) x round(W * fw)``, placed so that it overlaps
  the bounding box of the union of all instance masks over all frames and
  keeps at least 25 % of that union's pixels (10 tries, else no crop);
* the VOS loader's mask-preserving crop (``tarvis/data/vos_dataset.py``,
  ``compute_mask_preserving_crop``): one window that keeps every pixel of
  the reference frame's objects (no crop when they do not fit).

Pure functions take explicit parameters so that tests can pin them; the
transforms sample the parameters once per clip and record them per frame
(``results['color_jitter']``, ``results['crop_window']``). Both transforms
work on the per-frame lists that ``TransformBroadcaster`` leaves in
``results`` and go between the loading broadcaster and the resizing one (the
official VIS / VPS order is colour, flip, crop, resize; VOS: colour, resize,
flip, crop).
"""
import random
from typing import List, Optional, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.mask import BitmapMasks

from mmvidseg.registry import TRANSFORMS
from mmvidseg.structures.masks import mask_bbox, mask_boxes

# imgaug ``WithBrightnessChannels`` colour spaces (cv2 codes from / to
# "RGB") and the index of their brightness channel
BRIGHTNESS_SPACES = {
    'YCrCb': (cv2.COLOR_RGB2YCrCb, cv2.COLOR_YCrCb2RGB, 0),
    'HSV': (cv2.COLOR_RGB2HSV, cv2.COLOR_HSV2RGB, 2),
    'HLS': (cv2.COLOR_RGB2HLS, cv2.COLOR_HLS2RGB, 1),
    'Lab': (cv2.COLOR_RGB2Lab, cv2.COLOR_Lab2RGB, 0),
    'Luv': (cv2.COLOR_RGB2Luv, cv2.COLOR_Luv2RGB, 0),
    'YUV': (cv2.COLOR_RGB2YUV, cv2.COLOR_YUV2RGB, 0),
}
_RANGE = np.arange(256, dtype=np.int16)


def imgaug_hue_shift(value_hue: int) -> int:
    """imgaug's projection of a hue value on its 0-255 scale to OpenCV's
    0-180 hue: float32 ``value / 255 * 180``, truncated toward zero."""
    return int((np.float32(value_hue) / np.float32(255.0) *
                np.float32(180.0)).astype(np.int32))


def add_to_hue_and_saturation(img: np.ndarray, value_hue: int,
                              value_saturation: int) -> np.ndarray:
    """imgaug ``AddToHueAndSaturation`` (cv2 backend) on a uint8 image read
    as RGB: hue + shift modulo 180, saturation + value clipped to 0..255."""
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    hue_lut = np.mod(_RANGE + imgaug_hue_shift(value_hue), 180)
    sat_lut = np.clip(_RANGE + int(value_saturation), 0, 255)
    hsv[..., 0] = hue_lut.astype(np.uint8)[hsv[..., 0]]
    hsv[..., 1] = sat_lut.astype(np.uint8)[hsv[..., 1]]
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def linear_contrast(img: np.ndarray, alpha: float) -> np.ndarray:
    """imgaug ``LinearContrast`` on uint8: ``127 + alpha * (v - 127)`` in
    float32, clipped and truncated to uint8 (a lookup table)."""
    values = np.arange(256, dtype=np.float32)
    table = np.float32(127) + np.float32(alpha) * (values - np.float32(127))
    return np.clip(table, 0, 255).astype(np.uint8)[img]


def add_to_brightness(img: np.ndarray, space: str, value: float) -> np.ndarray:
    """imgaug ``AddToBrightness``: convert the (RGB-read) image to ``space``,
    add ``round(value)`` to its brightness channel (clipped), convert back."""
    to_space, from_space, channel = BRIGHTNESS_SPACES[space]
    converted = cv2.cvtColor(img, to_space)
    add = int(np.clip(np.round(value), -255, 255))
    lut = np.clip(_RANGE + add, 0, 255).astype(np.uint8)
    converted[..., channel] = lut[converted[..., channel]]
    return cv2.cvtColor(converted, from_space)


def tarvis_color_jitter(img: np.ndarray, value_hue: int,
                        value_saturation: int, alpha: float,
                        brightness_space: str,
                        brightness: float) -> np.ndarray:
    """The official colour chain on one uint8 (H, W, 3) frame. The official
    loader reads BGR frames (``cv2.imread``) and gives them to imgaug, whose
    default ``from_colorspace`` is RGB; mmcv also loads BGR, so passing the
    BGR frame unchanged reproduces the official numbers (hue turns the
    "wrong" way, brightness uses swapped luma weights, as in the original)."""
    out = add_to_hue_and_saturation(
        np.ascontiguousarray(img), value_hue, value_saturation)
    out = linear_contrast(out, alpha)
    return add_to_brightness(out, brightness_space, brightness)


@TRANSFORMS.register_module()
class ClipColorJitter(BaseTransform):
    """TarViS's per-clip colour jitter: one parameter draw per clip, applied
    to every frame (``Ali2500/TarViS: tarvis/data/instance_seg_video_dataset
    .py`` and ``panoptic_seg_dataset.py``, ``apply_color_augmentation``).

    Draws as imgaug's: hue and saturation integers uniform in ``[-hue,
    hue]`` / ``[-saturation, saturation]``; contrast ``alpha`` uniform in
    ``contrast``; a brightness colour space uniform over the six of
    :data:`BRIGHTNESS_SPACES` and an addend uniform in ``[-brightness,
    brightness]`` (rounded). Random numbers come from numpy's global
    generator (imgaug's own generator is not reproduced).

    Args:
        hue (int): VIS 12, VPS 10.
        saturation (int): VIS 12, VPS 10.
        contrast (tuple[float, float]): Defaults to (0.95, 1.05).
        brightness (float): VIS 25, VPS 20.
    """

    def __init__(self,
                 hue: int = 12,
                 saturation: int = 12,
                 contrast: Tuple[float, float] = (0.95, 1.05),
                 brightness: float = 25) -> None:
        self.hue, self.saturation = int(hue), int(saturation)
        self.contrast = (float(contrast[0]), float(contrast[1]))
        self.brightness = float(brightness)

    def sample(self) -> dict:
        """One clip's parameters (the keywords of
        :func:`tarvis_color_jitter`)."""
        spaces = list(BRIGHTNESS_SPACES)
        return dict(
            value_hue=int(np.random.randint(-self.hue, self.hue + 1)),
            value_saturation=int(
                np.random.randint(-self.saturation, self.saturation + 1)),
            alpha=float(np.random.uniform(*self.contrast)),
            brightness_space=spaces[np.random.randint(len(spaces))],
            brightness=float(
                np.random.uniform(-self.brightness, self.brightness)))

    def transform(self, results: dict) -> dict:
        imgs = results.get('img')
        if imgs is None:
            raise KeyError('ClipColorJitter: results have no "img"; put it '
                           'after LoadImageFromFile')
        params = self.sample()
        # per-frame lists, so that a later TransformBroadcaster can split
        if isinstance(imgs, list):
            results['img'] = [tarvis_color_jitter(i, **params) for i in imgs]
            results['color_jitter'] = [dict(params) for _ in imgs]
        else:
            results['img'] = tarvis_color_jitter(imgs, **params)
            results['color_jitter'] = params
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(hue={self.hue}, saturation='
                f'{self.saturation}, contrast={self.contrast}, brightness='
                f'{self.brightness})')


def _mask_and_box(mask: np.ndarray,
                  caller: str) -> Tuple[np.ndarray, Tuple[int, ...]]:
    """Boolean (H, W) mask and its box (x1, y1, x2, y2; x2 / y2 exclusive).

    Raises:
        ValueError: the mask is empty (as the official ``mask_to_bbox``).
    """
    mask = np.asarray(mask) > 0
    box = mask_bbox(mask)
    if box is None:
        raise ValueError(f'{caller}: the mask is empty (the official crop '
                         'needs at least one object pixel)')
    return mask, tuple(int(v) for v in box)


def mask_containing_crop(mask: np.ndarray,
                         crop_hw: Tuple[int, int],
                         min_coverage: float = 0.25,
                         num_tries: int = 10,
                         rng: Optional[random.Random] = None
                         ) -> Optional[Tuple[int, int]]:
    """Top-left ``(x, y)`` of a ``crop_hw`` window that keeps at least
    ``min_coverage`` of the active pixels of ``mask`` (H, W), or None after
    ``num_tries`` failed draws (official ``compute_mask_containing_crop``,
    ``containment_criterion='nonzero'``: x and y drawn with
    ``random.randint`` over the positions overlapping the mask's box).

    Raises:
        ValueError: ``mask`` is empty (as the official ``mask_to_bbox``).
    """
    rng = rng or random
    mask, (x1, y1, x2, y2) = _mask_and_box(mask, 'mask_containing_crop')
    im_h, im_w = mask.shape
    crop_h, crop_w = crop_hw
    required = max(1, int(np.float32(mask.sum()) * np.float32(min_coverage)))
    x_lo, x_hi = max(0, x1 - crop_w + 1), min(im_w - crop_w, x2 - 1)
    y_lo, y_hi = max(0, y1 - crop_h + 1), min(im_h - crop_h, y2 - 1)
    if x_hi < x_lo or y_hi < y_lo:
        raise ValueError(f'mask_containing_crop: crop {crop_hw} larger than '
                         f'the frame {mask.shape}')
    for _ in range(num_tries):
        x = rng.randint(x_lo, x_hi)
        y = rng.randint(y_lo, y_hi)
        if mask[y:y + crop_h, x:x + crop_w].sum() >= required:
            return x, y
    return None


def _frame_masks(masks) -> np.ndarray:
    return masks.masks if isinstance(masks, BitmapMasks) else \
        np.asarray(masks.to_ndarray())


@TRANSFORMS.register_module()
class MaskContainingClipCrop(BaseTransform):
    """TarViS's clip crop: one ``round(H * fh) x round(W * fw)`` window for
    all frames of a clip that keeps >= 25 % of the pixels of the union of
    the clip's instance masks (``Ali2500/TarViS: tarvis/data/
    instance_seg_video_dataset.py``, ``panoptic_seg_dataset.py``,
    ``apply_random_crop``; ``tarvis/data/utils/video_cropping.py``).

    Crops ``img``, ``gt_masks``, ``gt_seg_map`` of every frame, updates
    ``img_shape`` and ``homography_matrix``, recomputes ``gt_bboxes`` from
    the cropped masks and drops a frame's instances whose cropped mask is
    empty (the official loader keeps an instance while any frame of it is
    non-empty, which the per-frame lists express the same way). Ignored
    (crowd) masks do not steer the crop.

    Deviation: a clip without any instance pixel is returned uncropped (the
    official ``mask_to_bbox`` raises; its sampler never builds such clips).

    Args:
        crop_ratio (tuple[float, float]): (height, width) fractions: VIS
            (0.75, 0.75), KITTI-STEP and VIPSeg (0.75, 0.5), Cityscapes-VPS
            (0.5, 0.5).
        min_coverage (float): Defaults to 0.25 (``video_cropping``).
        num_tries (int): Defaults to 10.
    """

    def __init__(self,
                 crop_ratio: Tuple[float, float] = (0.75, 0.75),
                 min_coverage: float = 0.25,
                 num_tries: int = 10) -> None:
        self.crop_ratio = (float(crop_ratio[0]), float(crop_ratio[1]))
        self.min_coverage = float(min_coverage)
        self.num_tries = int(num_tries)

    def crop_window(self, results: dict) -> Optional[Tuple[int, int, int,
                                                           int]]:
        """(x, y, w, h) of this clip's crop, or None (no crop)."""
        masks = results['gt_masks']
        height, width = results['img'][0].shape[:2]
        union = np.zeros((height, width), bool)
        ignore = results.get('gt_ignore_flags')
        for t, frame_masks in enumerate(masks):
            arr = _frame_masks(frame_masks).astype(bool)
            if ignore is not None and len(arr):
                arr = arr[~np.asarray(ignore[t], bool)]
            if len(arr):
                union |= arr.any(0)
        if not union.any():
            return None
        # python round() as the official int(round(float(x) * cf))
        crop_h = int(round(float(height) * self.crop_ratio[0]))
        crop_w = int(round(float(width) * self.crop_ratio[1]))
        xy = mask_containing_crop(union, (crop_h, crop_w), self.min_coverage,
                                  self.num_tries)
        return None if xy is None else (xy[0], xy[1], crop_w, crop_h)

    def transform(self, results: dict) -> dict:
        if not isinstance(results.get('img'), list) or \
                'gt_masks' not in results:
            raise TypeError(
                'MaskContainingClipCrop needs a clip with masks: per-frame '
                'lists "img" and "gt_masks" (put it after TransformBroadcaster'
                '(LoadImageFromFile, Load*Annotations(with masks)))')
        window = self.crop_window(results)
        # a per-frame list, so that a later TransformBroadcaster can split
        results['crop_window'] = [window] * len(results['img'])
        if window is None:
            return results
        for t in range(len(results['img'])):
            self._crop_frame(results, t, window)
        return results

    @staticmethod
    def _crop_frame(results: dict, t: int, window: Tuple[int, int, int,
                                                          int]) -> None:
        x, y, w, h = window
        results['img'][t] = results['img'][t][y:y + h, x:x + w]
        results['img_shape'][t] = (h, w)
        if results.get('gt_seg_map') is not None:
            results['gt_seg_map'][t] = results['gt_seg_map'][t][y:y + h,
                                                                x:x + w]
        if results.get('homography_matrix') is not None:
            shift = np.array([[1, 0, -x], [0, 1, -y], [0, 0, 1]], np.float32)
            results['homography_matrix'][t] = \
                shift @ results['homography_matrix'][t]
        masks = _frame_masks(results['gt_masks'][t])[:, y:y + h, x:x + w]
        keep = masks.reshape(len(masks), -1).any(1)
        results['gt_masks'][t] = BitmapMasks(masks[keep], h, w)
        if 'gt_bboxes' in results:
            box_type = type(results['gt_bboxes'][t])
            boxes = mask_boxes(masks[keep])
            results['gt_bboxes'][t] = boxes if box_type is np.ndarray \
                else box_type(boxes)
        for key in ('gt_bboxes_labels', 'gt_instances_ids',
                    'gt_ignore_flags'):
            if key in results:
                results[key][t] = np.asarray(results[key][t])[keep]

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_ratio={self.crop_ratio}, '
                f'min_coverage={self.min_coverage}, num_tries='
                f'{self.num_tries})')


def mask_preserving_crop(mask: np.ndarray,
                         crop_hw: Tuple[int, int],
                         rng: Optional[random.Random] = None
                         ) -> Optional[Tuple[int, int]]:
    """Top-left ``(x, y)`` of a ``crop_hw`` window that keeps **all** active
    pixels of ``mask`` (H, W), or None when the mask's box is not smaller
    than the window in both sides (official ``compute_mask_preserving_crop``
    of ``tarvis/data/utils/image_cropping.py``: x, then y, drawn with
    ``random.randint`` over the windows that contain the box).

    Raises:
        ValueError: ``mask`` is empty (as the official ``mask_to_bbox``).
    """
    rng = rng or random
    # x2 / y2 exclusive
    mask, (x1, y1, x2, y2) = _mask_and_box(mask, 'mask_preserving_crop')
    im_h, im_w = mask.shape
    crop_h, crop_w = crop_hw
    if x2 - x1 >= crop_w or y2 - y1 >= crop_h:
        return None
    x = rng.randint(max(0, x2 - crop_w), min(im_w - crop_w, x1))
    y = rng.randint(max(0, y2 - crop_h), min(im_h - crop_h, y1))
    return x, y


@TRANSFORMS.register_module()
class MaskPreservingClipCrop(MaskContainingClipCrop):
    """TarViS's VOS clip crop: one ``round(H * f) x round(W * f)`` window
    for all frames that keeps every pixel of the reference frame's objects
    (``Ali2500/TarViS: tarvis/data/vos_dataset.py::apply_random_crop``,
    ``compute_mask_preserving_crop``; DAVIS / BURST training, f = 0.75).

    The official VOS order is colour jitter, resize, flip, this crop (the
    VIS / VPS loaders crop before resizing). Objects of the other frames
    that the window cuts away are dropped from those frames (the VOS
    targets are then empty there, as the official cropped masks); no
    object of the reference frame is lost. No crop when the objects' box is
    not smaller than the window (official) or the reference frame has no
    object pixel (official: ``mask_to_bbox`` raises; the VOS clip sampler
    never builds such clips).

    Args:
        crop_ratio (tuple[float, float]): (height, width) fractions;
            official (0.75, 0.75).
        ref_frame (int): Index of the reference frame in the clip (0:
            :class:`TarViSVOSClips` puts it first).
    """

    def __init__(self,
                 crop_ratio: Tuple[float, float] = (0.75, 0.75),
                 ref_frame: int = 0) -> None:
        super().__init__(crop_ratio=crop_ratio)
        self.ref_frame = int(ref_frame)

    def crop_window(self, results: dict) -> Optional[Tuple[int, int, int,
                                                           int]]:
        """(x, y, w, h) of this clip's crop, or None (no crop)."""
        height, width = results['img'][0].shape[:2]
        arr = _frame_masks(results['gt_masks'][self.ref_frame]).astype(bool)
        ignore = results.get('gt_ignore_flags')
        if ignore is not None and len(arr):
            arr = arr[~np.asarray(ignore[self.ref_frame], bool)]
        if not len(arr) or not arr.any():
            return None
        crop_h = int(round(float(height) * self.crop_ratio[0]))
        crop_w = int(round(float(width) * self.crop_ratio[1]))
        xy = mask_preserving_crop(arr.any(0), (crop_h, crop_w))
        return None if xy is None else (xy[0], xy[1], crop_w, crop_h)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(crop_ratio={self.crop_ratio}, '
                f'ref_frame={self.ref_frame})')


__all__: List[str] = [
    'BRIGHTNESS_SPACES', 'imgaug_hue_shift', 'add_to_hue_and_saturation',
    'linear_contrast', 'add_to_brightness', 'tarvis_color_jitter',
    'ClipColorJitter', 'mask_containing_crop', 'MaskContainingClipCrop',
    'mask_preserving_crop', 'MaskPreservingClipCrop'
]
