# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS pre-training pseudo-clips: one panoptic image, a per-frame affine,
random min-side resize and fixed-size crop (``Ali2500/TarViS:
tarvis/data/panoptic_image_dataset.py::augment_sample_by_affine``)."""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.mask import BitmapMasks

from mmvidseg.registry import TRANSFORMS
from mmvidseg.structures.masks import mask_boxes
from .pseudo_clip_augment import _resize_frame_lists, condense_masks

IGNORE_LABEL = 255


def imgaug_affine_matrix(height: int, width: int, scale: float,
                         angle: float, shear: float) -> np.ndarray:
    """(3, 3) source -> frame matrix of imgaug 0.4 ``Affine(scale, rotate,
    shear)`` (shear on x only) about the image centre ``(w / 2 - 0.5, h / 2
    - 0.5)``: ``to_center @ A @ to_topleft`` with skimage's (< 0.19)
    ``AffineTransform`` ``A = [[s cos r, -s sin(r + sh)], [s sin r, s cos(r +
    sh)]]``."""
    cx, cy = width / 2.0 - 0.5, height / 2.0 - 0.5
    r, sh = np.deg2rad(angle), np.deg2rad(shear)
    a = np.array([[scale * np.cos(r), -scale * np.sin(r + sh), 0.0],
                  [scale * np.sin(r), scale * np.cos(r + sh), 0.0],
                  [0.0, 0.0, 1.0]])
    to_topleft = np.array([[1.0, 0, -cx], [0, 1.0, -cy], [0, 0, 1.0]])
    to_center = np.array([[1.0, 0, cx], [0, 1.0, cy], [0, 0, 1.0]])
    return to_center @ a @ to_topleft


def min_side_resize_shape(height: int, width: int, min_side: int,
                          max_side: int = 1333) -> Tuple[int, int]:
    """The reference's ``random_resize`` size: the shorter side to
    ``min_side`` unless the longer one would exceed ``max_side``."""
    factor = min_side / float(min(height, width))
    if max(height, width) * factor > max_side:
        factor = max_side / float(max(height, width))
    return int(round(factor * height)), int(round(factor * width))


@TRANSFORMS.register_module()
class PanopticPseudoClipAffine(BaseTransform):
    """Make a pre-training clip out of one panoptic image (TarViS).

    Re-implements ``PanopticImageDataset.parse_image`` /
    ``augment_sample_by_affine`` / ``random_resize`` (``Ali2500/TarViS:
    tarvis/data/panoptic_image_dataset.py``; TarViS, Athar et al., CVPR
    2023): the image and its maps are flipped with ``flip_prob`` for the
    whole clip; the instance map (things, condensed: later segments win)
    and the semantic map go through one warp per frame with the image:
    every frame (the first too) gets its own affine (scale, rotation,
    x-shear, drawn uniformly), a resize of the shorter side to one of
    ``min_sides`` (longer side <= ``max_side``) and a ``crop_size`` crop
    (at the same relative position in every frame with ``same_crop``, as
    Cityscapes / Mapillary). Pixels from outside the image are void (255)
    in the semantic map. Thing instances missing from every frame are
    removed; a clip with no instance left returns None (the caller draws
    another sample, as the reference's ``NoValidInstancesException``).

    Task-aware (``results['task']``, set by ``TaskTaggedDataset``): for
    ``'vos'`` a reference frame holding an object is drawn, only objects
    present in it are kept (at most ``max_vos_objects``, a random subset:
    the reference's 32 // 4), the reference frame is swapped to position 0
    (``TarViS`` needs one reference index per batch; the frames are
    independent draws, so their order carries no motion) and
    ``results['ref_frame_index']`` is set to 0 (pack it with
    ``meta_keys=('ref_frame_index', )``).

    Works on a clip dict of per-frame lists after ``TransformBroadcaster(
    LoadImageFromFile, LoadVideoPanopticAnnotations)``; frame 0 is the
    source. Writes ``img``, ``img_shape``, ``gt_seg_map``, ``gt_masks``,
    ``gt_bboxes``, ``gt_bboxes_labels``, ``gt_instances_ids`` and
    ``gt_ignore_flags`` for every frame (an instance warped out of a frame
    is not listed in it).

    Deviations: no per-image colour augmentation (as the fine-tuning
    configs); cv2 instead of imgaug (one bilinear / nearest warp); crowd
    thing segments stay ignore regions; the draws use ``np.random``.

    Args:
        num_frames (int, optional): Output frames; None keeps the input's.
        scale_range (tuple): Affine zoom.
        rotation_range (tuple): Degrees.
        shear_range (tuple): Degrees (x-shear).
        min_sides (Sequence[int]): Shorter-side choices (512, 544, 576).
        max_side (int): Longer-side limit (1333).
        crop_size (tuple): (h, w) crop (512, 512).
        same_crop (bool): One relative crop position for all frames.
        flip_prob (float): Clip-level horizontal flip probability.
        max_vos_objects (int): Object limit of a VOS sample.
        pad_val (float | Sequence[float]): Image fill outside the source.
    """

    def __init__(self,
                 num_frames: Optional[int] = None,
                 scale_range: Tuple[float, float] = (0.9, 1.1),
                 rotation_range: Tuple[float, float] = (-20, 20),
                 shear_range: Tuple[float, float] = (-10, 10),
                 min_sides: Sequence[int] = (512, 544, 576),
                 max_side: int = 1333,
                 crop_size: Tuple[int, int] = (512, 512),
                 same_crop: bool = False,
                 flip_prob: float = 0.5,
                 max_vos_objects: int = 8,
                 pad_val=0) -> None:
        if num_frames is not None and num_frames < 1:
            raise ValueError(f'num_frames must be >= 1, got {num_frames}')
        if not min_sides or min(min_sides) < 1 or max_vos_objects < 1:
            raise ValueError('min_sides must be positive sizes and '
                             'max_vos_objects >= 1')
        self.num_frames = num_frames
        self.scale_range = tuple(scale_range)
        self.rotation_range = tuple(rotation_range)
        self.shear_range = tuple(shear_range)
        self.min_sides = tuple(int(s) for s in min_sides)
        self.max_side = int(max_side)
        self.crop_size = tuple(int(s) for s in crop_size)
        self.same_crop = same_crop
        self.flip_prob = flip_prob
        self.max_vos_objects = int(max_vos_objects)
        self.pad_val = pad_val

    # ------------------------------------------------------------ one frame
    def warp_frame(self, img: np.ndarray, maps: np.ndarray,
                   matrix: np.ndarray, min_side: int,
                   crop_frac: Tuple[float, float]
                   ) -> Tuple[np.ndarray, np.ndarray]:
        """Affine, resize and crop one frame.

        Args:
            img (np.ndarray): (H, W, C) uint8 image.
            maps (np.ndarray): (H, W, 2) float32 [instance map (1-based),
                semantic map (label + 1, 0 = void)].
            matrix (np.ndarray): (3, 3) affine (:func:`imgaug_affine_matrix`).
            min_side (int): Shorter side after the resize.
            crop_frac (tuple): (y, x) crop position in [0, 1].

        Returns:
            tuple: (h, w, C) uint8 image, (h, w, 2) int64 maps.
        """
        h, w = img.shape[:2]
        border = tuple(float(v) for v in np.broadcast_to(self.pad_val, (4, )))
        out = cv2.warpAffine(np.ascontiguousarray(img), matrix[:2], (w, h),
                             flags=cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT,
                             borderValue=border).reshape(img.shape)
        lab = cv2.warpAffine(maps, matrix[:2], (w, h),
                             flags=cv2.INTER_NEAREST,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        nh, nw = min_side_resize_shape(h, w, min_side, self.max_side)
        out = cv2.resize(out, (nw, nh), interpolation=cv2.INTER_LINEAR_EXACT)
        out = out.reshape(nh, nw, *img.shape[2:])
        lab = cv2.resize(lab, (nw, nh), interpolation=cv2.INTER_NEAREST_EXACT)
        ch, cw = min(self.crop_size[0], nh), min(self.crop_size[1], nw)
        y0 = int(np.floor(crop_frac[0] * (nh - ch)))
        x0 = int(np.floor(crop_frac[1] * (nw - cw)))
        return (np.ascontiguousarray(out[y0:y0 + ch, x0:x0 + cw]),
                lab[y0:y0 + ch, x0:x0 + cw].astype(np.int64))

    def sample_matrix(self, height: int, width: int) -> np.ndarray:
        """One frame's affine drawn from ``np.random``."""
        return imgaug_affine_matrix(height, width,
                                    np.random.uniform(*self.scale_range),
                                    np.random.uniform(*self.rotation_range),
                                    np.random.uniform(*self.shear_range))

    # ------------------------------------------------------------- the clip
    def transform(self, results: dict) -> Optional[dict]:
        imgs = results.get('img')
        if not isinstance(imgs, list) or 'gt_seg_map' not in results:
            raise TypeError(
                'PanopticPseudoClipAffine needs a clip with panoptic targets: '
                'a dict of per-frame lists with "img" and "gt_seg_map" (put '
                'it after VideoClipSample and TransformBroadcaster('
                'LoadImageFromFile, LoadVideoPanopticAnnotations))')
        num_in = len(imgs)
        num_out = self.num_frames or num_in
        src, sem = imgs[0], np.asarray(results['gt_seg_map'][0])
        masks = results['gt_masks'][0].masks.astype(np.uint8)  # (N, H, W)
        if np.random.rand() < self.flip_prob:
            src = np.ascontiguousarray(src[:, ::-1])
            sem = np.ascontiguousarray(sem[:, ::-1])
            masks = np.ascontiguousarray(masks[:, :, ::-1])
        h, w = src.shape[:2]
        inst_map = condense_masks(masks, list(range(len(masks))))
        sem_map = np.where(sem == IGNORE_LABEL, 0, sem.astype(np.int32) + 1)
        maps = np.stack([inst_map, sem_map], -1).astype(np.float32)
        fixed = tuple(np.random.rand(2)) if self.same_crop else None
        frames = []
        for _ in range(num_out):
            frac = fixed if fixed is not None else tuple(np.random.rand(2))
            side = self.min_sides[np.random.randint(len(self.min_sides))]
            frames.append(self.warp_frame(src, maps, self.sample_matrix(h, w),
                                          side, frac))
        ids = np.arange(1, len(masks) + 1)
        present = np.stack([np.isin(ids, np.unique(lab[..., 0]))
                            for _, lab in frames])  # (T, N)
        keep = self._kept(results, present)
        if keep is None:
            return None
        ref = results.pop('_vos_ref', 0)
        if ref:  # the reference frame first: a VOS batch shares index 0
            frames[0], frames[ref] = frames[ref], frames[0]
        if num_out != num_in:
            _resize_frame_lists(results, num_in, num_out)
        self._write(results, frames, keep, ids)
        return results

    def _kept(self, results: dict, present: np.ndarray) -> Optional[list]:
        """Instance indices to keep (None: no object left)."""
        crowd = np.asarray(results['gt_ignore_flags'][0], bool)
        objects = present & ~crowd[None]  # (T, N)
        if not objects.any():
            return None
        task = results.get('task')
        if isinstance(task, (list, tuple)):  # per frame, after a sampler
            task = task[0] if task else None
        if task != 'vos':
            return np.flatnonzero(present.any(0)).tolist()
        ref = int(np.random.choice(np.flatnonzero(objects.any(1))))
        cand = np.flatnonzero(objects[ref])
        if len(cand) > self.max_vos_objects:
            cand = np.sort(np.random.choice(cand, self.max_vos_objects,
                                            replace=False))
        results['_vos_ref'] = ref
        results['ref_frame_index'] = [0] * present.shape[0]
        return cand.tolist()

    def _write(self, results: dict, frames: List[tuple], keep: List[int],
               ids: np.ndarray) -> None:
        labels = np.asarray(results['gt_bboxes_labels'][0])[keep]
        inst_ids = np.asarray(results['gt_instances_ids'][0])[keep]
        crowd = np.asarray(results['gt_ignore_flags'][0], bool)[keep]
        for t, (img, lab) in enumerate(frames):
            h, w = img.shape[:2]
            masks = (lab[None, ..., 0] == ids[keep][:, None, None])
            masks = masks.astype(np.uint8)  # (K, h, w)
            there = masks.reshape(len(keep), -1).any(1)
            sem = lab[..., 1] - 1
            results['img'][t] = img
            results['img_shape'][t] = (h, w)
            results['gt_seg_map'][t] = np.where(
                sem < 0, IGNORE_LABEL, sem).astype(np.uint8)
            results['gt_masks'][t] = BitmapMasks(masks[there], h, w)
            results['gt_bboxes'][t] = mask_boxes(masks[there]).astype(
                np.float32).reshape(-1, 4)
            results['gt_bboxes_labels'][t] = labels[there]
            results['gt_instances_ids'][t] = inst_ids[there]
            results['gt_ignore_flags'][t] = crowd[there]

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_frames={self.num_frames}, '
                f'scale_range={self.scale_range}, rotation_range='
                f'{self.rotation_range}, shear_range={self.shear_range}, '
                f'min_sides={self.min_sides}, crop_size={self.crop_size}, '
                f'same_crop={self.same_crop})')
