# Copyright (c) mmvidseg contributors. All rights reserved.
"""Turn one image into a clip: STEm-Seg's ``ImageToSeqAugmenter`` in cv2.

The geometry, photometry and blur are re-implemented with numpy / cv2 from
the imgaug augmenters the reference chains (imgaug 0.4 needs
``np.sctypes``, gone in NumPy 2). Pure functions build and apply one frame's
warp so that tests can pin exact parameters; :class:`PseudoClipAugment`
samples them.
"""
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.mask import BitmapMasks
from mmvidseg.datasets.transforms.clip_augment import \
    add_to_hue_and_saturation
from mmvidseg.registry import TRANSFORMS
from mmvidseg.structures.masks import mask_boxes


@dataclass
class FrameWarp:
    """Parameters of one synthesised frame.

    Attributes:
        corners (np.ndarray): (4, 2) fractional inward offsets (x, y) of the
            top-left, top-right, bottom-right, bottom-left corners of the
            perspective crop (imgaug ``PerspectiveTransform``, keep_size).
        angle (float): Rotation in degrees about the image centre; positive
            turns the content clockwise on screen (y points down).
        translate (Tuple[float, float]): Shift (x, y) as fractions of the
            width / height.
        scale (float): Zoom about the image centre.
        brightness (Optional[int]): Value added to all channels, or None.
        hue_saturation (Optional[int]): imgaug ``AddToHueAndSaturation``
            value (hue on imgaug's 0-255 scale), or None.
        blur_kernel (Optional[np.ndarray]): (k, k) motion blur kernel.
    """
    corners: np.ndarray
    angle: float = 0.0
    translate: Tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0
    brightness: Optional[int] = None
    hue_saturation: Optional[int] = None
    blur_kernel: Optional[np.ndarray] = None


def identity_warp() -> FrameWarp:
    """A :class:`FrameWarp` that leaves the frame unchanged."""
    return FrameWarp(corners=np.zeros((4, 2)))


def warp_matrix(height: int, width: int, warp: FrameWarp) -> np.ndarray:
    """(3, 3) homography, source pixel -> frame pixel: the perspective crop
    stretched back to full size, then scale / rotation / translation."""
    w1, h1 = width - 1, height - 1
    (a, b), (c, d), (e, f), (g, h) = np.asarray(warp.corners, np.float64)
    src = np.float32([[a * w1, b * h1], [(1 - c) * w1, d * h1],
                      [(1 - e) * w1, (1 - f) * h1], [g * w1, (1 - h) * h1]])
    dst = np.float32([[0, 0], [w1, 0], [w1, h1], [0, h1]])
    persp = cv2.getPerspectiveTransform(src, dst).astype(np.float64)
    cx, cy = w1 / 2.0, h1 / 2.0
    rad = np.deg2rad(warp.angle)
    cos, sin = np.cos(rad) * warp.scale, np.sin(rad) * warp.scale
    tx = warp.translate[0] * width
    ty = warp.translate[1] * height
    affine = np.array([[cos, -sin, cx - cos * cx + sin * cy + tx],
                       [sin, cos, cy - sin * cx - cos * cy + ty],
                       [0.0, 0.0, 1.0]])
    return affine @ persp


def motion_blur_kernel(size: int, angle: float,
                       direction: float) -> np.ndarray:
    """imgaug ``MotionBlur`` kernel: a vertical line through the centre
    whose weights ramp with ``direction`` in [-1, 1], rotated by ``angle``
    degrees (with imgaug's uint8 round trip), normalised to sum 1."""
    d = (float(np.clip(direction, -1, 1)) + 1) / 2
    line = np.zeros((size, size), np.float32)
    line[:, size // 2] = np.linspace(d, 1.0 - d, num=size)
    c = (size - 1) / 2.0
    rot = cv2.getRotationMatrix2D((c, c), -angle, 1.0)
    img = cv2.warpAffine((line * 255).astype(np.uint8), rot, (size, size),
                         flags=cv2.INTER_LINEAR)
    kernel = img.astype(np.float32) / 255.0
    total = kernel.sum()
    if total <= 0:  # degenerate ramp (direction +-1 ends at 0): no blur
        kernel = np.zeros_like(kernel)
        kernel[size // 2, size // 2] = 1.0
        return kernel
    return kernel / total


def adjust_colour(img: np.ndarray, brightness: Optional[int],
                  hue_saturation: Optional[int]) -> np.ndarray:
    """imgaug ``Add`` then ``AddToHueAndSaturation`` on a uint8 image.

    As the reference, the BGR array is handed to the HSV conversion as if it
    were RGB (imgaug's default ``from_colorspace``). One value is added to
    hue and saturation (imgaug's ``value``): the hue shift is imgaug's
    projection of the 0-255 scale onto OpenCV's 0-180 hue, truncated toward
    zero (:func:`~.clip_augment.imgaug_hue_shift`; ``value=5`` shifts the hue
    by 3, not ``round(3.53) = 4``), and wraps; saturation clips.
    """
    out = img
    if brightness is not None:
        out = np.clip(out.astype(np.int16) + int(brightness), 0,
                      255).astype(np.uint8)
    if hue_saturation is not None:
        out = add_to_hue_and_saturation(
            np.ascontiguousarray(out), hue_saturation, hue_saturation)
    return out


def condense_masks(masks: np.ndarray, order: Sequence[int]) -> np.ndarray:
    """(N, H, W) binary masks -> (H, W) int32 map of 1-based instance index;
    instances later in ``order`` win overlaps (reference
    ``condense_masks``)."""
    label_map = np.zeros(masks.shape[1:], np.int32)
    for i in order:
        label_map[masks[i] > 0] = i + 1
    return label_map


def apply_frame_warp(img: np.ndarray, label_map: np.ndarray,
                     warp: FrameWarp,
                     pad_val: float = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Synthesise one frame: colour change, one warp shared by image
    (bilinear) and instance map (nearest), then motion blur (image only).

    Args:
        img (np.ndarray): (H, W, C) uint8 source image.
        label_map (np.ndarray): (H, W) int32 instance map
            (:func:`condense_masks`).
        warp (FrameWarp): The frame's parameters.
        pad_val (float | Sequence[float]): Image value outside the source.

    Returns:
        tuple: (H, W, C) uint8 image and (H, W) int32 instance map.
    """
    h, w = img.shape[:2]
    matrix = warp_matrix(h, w, warp)
    out = adjust_colour(img, warp.brightness, warp.hue_saturation)
    border = tuple(float(v) for v in np.broadcast_to(pad_val, (4, )))
    out = cv2.warpPerspective(np.ascontiguousarray(out), matrix, (w, h),
                              flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT,
                              borderValue=border)
    out = out.reshape(img.shape)  # cv2 drops a trailing channel of 1
    lab = cv2.warpPerspective(label_map.astype(np.float32), matrix, (w, h),
                              flags=cv2.INTER_NEAREST,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if warp.blur_kernel is not None:
        out = cv2.filter2D(out, -1, warp.blur_kernel).reshape(img.shape)
    return out, lab.astype(np.int32)


_Range = Optional[Tuple[float, float]]


@TRANSFORMS.register_module()
class PseudoClipAugment(BaseTransform):
    """Make a training clip out of one image (STEm-Seg image datasets).

    Re-implements ``ImageToSeqAugmenter`` and the clip assembly of
    ``CocoDataLoader.__getitem__`` (``sabarim/STEm-Seg:
    stemseg/data/image_to_seq_augmenter.py``, ``coco_data_loader.py``;
    STEm-Seg, Athar et al., ECCV 2020): the image (and its masks) is flipped
    with ``flip_prob`` for the whole clip; frame 0 is the image unchanged;
    each further frame gets its own random colour change (imgaug
    ``SomeOf((1, None), [Add(brightness), AddToHueAndSaturation(hue)])``:
    one or both), perspective crop (``PerspectiveTransform(magnitude)``,
    stretched back to full size), affine (``Affine(rotate, translate_percent,
    scale)``, x / y shifts drawn independently) and, with
    ``motion_blur_prob``, a motion blur of a random kernel size, angle and
    direction. Image and all instance masks of a frame share one warp; the
    frames are then shuffled (``shuffle``).

    Works on a clip (a dict of per-frame lists, after ``VideoClipSample`` and
    a ``TransformBroadcaster`` that loads image and annotations): frame 0's
    image and annotations are the source; every frame is replaced. Put it
    before resizing (the reference warps at the original resolution).

    Parity quirks kept: warped masks go through the reference's condensed
    instance map, so where instances overlap the later one wins (ignore
    regions last), while frame 0 keeps the overlapping masks; a mask
    warped out of the frame leaves its instance out of that frame (the
    reference keeps an all-zero mask: the same targets). Defaults are
    ``CocoDataLoader``'s; VOC / Mapillary use ``rotation_range=(-10, 10)``
    and Mapillary ``motion_blur_prob=0``.

    Deviations: cv2 instead of imgaug; perspective and affine are composed
    into one homography and interpolated once (imgaug interpolates twice);
    the reference blanks pixels from outside the image after normalisation
    (they become the mean colour): ``pad_val`` fills them instead, so set it
    to the data preprocessor's mean to match. Parameters are drawn from
    ``np.random`` (seeded by mmengine per worker), not imgaug's generator.

    Args:
        num_frames (int, optional): Frames of the output clip; None keeps the
            number of input frames (other per-frame lists are repeated).
        rotation_range (tuple, optional): Degrees, uniform.
        translate_range (tuple, optional): Fraction of the size, uniform.
        scale_range (tuple, optional): Zoom, uniform (reference: 1.0).
        perspective_magnitude (float): Std of the corner jitter.
        brightness_range (tuple, optional): Integer added, uniform.
        hue_saturation_range (tuple, optional): Integer hue / saturation
            shift, uniform.
        motion_blur_prob (float): Probability of motion blur per frame.
        motion_blur_kernel_sizes (Sequence[int]): Kernel sizes, one drawn.
        flip_prob (float): Probability of a horizontal flip of the clip.
        shuffle (bool): Shuffle the frames (the original lands anywhere).
        pad_val (float | Sequence[float]): Image fill outside the source.
    """

    def __init__(self,
                 num_frames: Optional[int] = None,
                 rotation_range: _Range = (-12, 12),
                 translate_range: _Range = (-0.1, 0.1),
                 scale_range: _Range = (1.0, 1.0),
                 perspective_magnitude: float = 0.08,
                 brightness_range: _Range = (-40, 40),
                 hue_saturation_range: _Range = (-5, 5),
                 motion_blur_prob: float = 0.25,
                 motion_blur_kernel_sizes: Sequence[int] = (9, 11),
                 flip_prob: float = 0.5,
                 shuffle: bool = True,
                 pad_val=0) -> None:
        if num_frames is not None and num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        if not 0 <= motion_blur_prob <= 1 or not 0 <= flip_prob <= 1:
            raise ValueError('motion_blur_prob and flip_prob must be in '
                             '[0, 1]')
        self.num_frames = num_frames
        self.rotation_range = rotation_range
        self.translate_range = translate_range
        self.scale_range = scale_range
        self.perspective_magnitude = perspective_magnitude
        self.brightness_range = brightness_range
        self.hue_saturation_range = hue_saturation_range
        self.motion_blur_prob = motion_blur_prob
        self.motion_blur_kernel_sizes = tuple(motion_blur_kernel_sizes)
        self.flip_prob = flip_prob
        self.shuffle = shuffle
        self.pad_val = pad_val

    @staticmethod
    def _uniform(rng: _Range, default: float, size=None):
        return default if rng is None else np.random.uniform(*rng, size)

    def sample_warp(self) -> FrameWarp:
        """Draw one frame's :class:`FrameWarp` from ``np.random``."""
        mag = self.perspective_magnitude
        corners = np.mod(np.abs(np.random.normal(0, mag, (4, 2))), 1) \
            if mag > 0 else np.zeros((4, 2))
        angle = float(self._uniform(self.rotation_range, 0.0))
        tx, ty = self._uniform(self.translate_range, 0.0, 2) \
            if self.translate_range is not None else (0.0, 0.0)
        scale = float(self._uniform(self.scale_range, 1.0))
        # SomeOf((1, None), [Add, AddToHueAndSaturation]): 1 or 2 of them
        picked = np.random.choice(2, np.random.randint(1, 3), replace=False)
        colour = [None, None]
        for i, rng in enumerate((self.brightness_range,
                                 self.hue_saturation_range)):
            if i in picked and rng is not None:
                colour[i] = int(np.random.randint(rng[0], rng[1] + 1))
        kernel = None
        if self.motion_blur_kernel_sizes and \
                np.random.rand() < self.motion_blur_prob:
            size = int(np.random.choice(self.motion_blur_kernel_sizes))
            kernel = motion_blur_kernel(size, np.random.uniform(0, 360),
                                        np.random.uniform(-1, 1))
        return FrameWarp(corners=corners, angle=angle,
                         translate=(float(tx), float(ty)), scale=scale,
                         brightness=colour[0], hue_saturation=colour[1],
                         blur_kernel=kernel)

    def transform(self, results: dict) -> dict:
        imgs = results.get('img')
        if not isinstance(imgs, list) or 'gt_masks' not in results:
            raise TypeError(
                'PseudoClipAugment needs a clip with masks: a dict of '
                'per-frame lists with "img" and "gt_masks" (put it after '
                'VideoClipSample and TransformBroadcaster(LoadImageFromFile, '
                'LoadTrackAnnotations(with_mask=True)))')
        paths = results.get('img_path') or []
        if len(set(paths)) > 1:
            raise ValueError(
                f'PseudoClipAugment makes a clip from one image, but the '
                f'clip holds frames of {sorted(set(paths))[:3]}...; use it '
                'only in the pipeline of an image (pseudo-clip) dataset')
        num_in = len(imgs)
        num_out = self.num_frames or num_in
        frames = self._synthesise(results, num_out)
        if num_out != num_in:
            _resize_frame_lists(results, num_in, num_out)
        perm = np.random.permutation(num_out) if self.shuffle else \
            np.arange(num_out)
        labels = results['gt_bboxes_labels'][0]
        ids = results['gt_instances_ids'][0]
        ignore = results['gt_ignore_flags'][0]
        box_type = type(results['gt_bboxes'][0])
        for j, t in enumerate(perm.tolist()):
            img, masks = frames[t]
            h, w = img.shape[:2]
            keep = masks.reshape(len(masks), h * w).any(1)
            results['img'][j] = img
            results['gt_masks'][j] = BitmapMasks(masks[keep], h, w)
            boxes = mask_boxes(masks[keep])
            results['gt_bboxes'][j] = boxes if box_type is np.ndarray \
                else box_type(boxes)
            results['gt_bboxes_labels'][j] = labels[keep]
            results['gt_instances_ids'][j] = ids[keep]
            results['gt_ignore_flags'][j] = ignore[keep]
        return results

    def _synthesise(self, results: dict,
                    num_frames: int) -> List[Tuple[np.ndarray, np.ndarray]]:
        """[(image, (N, H, W) uint8 masks)] per frame, frame 0 unchanged."""
        src = results['img'][0]
        masks = results['gt_masks'][0]
        masks = masks.masks if isinstance(masks, BitmapMasks) else \
            masks.to_ndarray()
        masks = masks.astype(np.uint8)
        if np.random.rand() < self.flip_prob:
            src = np.ascontiguousarray(src[:, ::-1])
            masks = np.ascontiguousarray(masks[:, :, ::-1])
        ignore = np.asarray(results['gt_ignore_flags'][0], bool)
        order = np.concatenate([np.flatnonzero(~ignore),
                                np.flatnonzero(ignore)])
        label_map = condense_masks(masks, order.tolist())
        ids = np.arange(1, len(masks) + 1)[:, None, None]
        frames = [(src, masks)]
        for _ in range(num_frames - 1):
            img, lab = apply_frame_warp(src, label_map, self.sample_warp(),
                                        self.pad_val)
            frames.append((img, (lab[None] == ids).astype(np.uint8)))
        return frames

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, '
                f'rotation_range={self.rotation_range}, translate_range='
                f'{self.translate_range}, perspective_magnitude='
                f'{self.perspective_magnitude}, motion_blur_prob='
                f'{self.motion_blur_prob}, flip_prob={self.flip_prob}, '
                f'shuffle={self.shuffle})')


def _resize_frame_lists(results: dict, num_in: int, num_out: int) -> None:
    """Give every per-frame list ``num_out`` entries (frame 0 repeated)."""
    for key, value in results.items():
        if isinstance(value, list) and len(value) == num_in:
            results[key] = [value[0]] * num_out
    if 'frame_id' in results:
        results['frame_id'] = list(range(num_out))
    if 'key_frame_flags' in results:
        results['key_frame_flags'] = [True] + [False] * (num_out - 1)
