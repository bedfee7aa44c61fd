# Copyright (c) mmvidseg contributors. All rights reserved.
"""STEm-Seg's single-instance duplication (``InstanceDuplicator``) in cv2.

A clip showing exactly one object gets a second, synthetic object: a copy of
the first one (pixels and mask), shifted sideways in every frame. Pure
functions plan and paste the copy so that tests can pin exact parameters;
:class:`SingleInstanceDuplicate` samples the plan and edits a clip.
"""
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.structures.mask import BitmapMasks

from mmvidseg.registry import TRANSFORMS
from mmvidseg.structures.masks import mask_bbox, mask_boxes

@dataclass
class DuplicationPlan:
    """Where the copy of the instance goes in each frame.

    Attributes:
        flip (bool): Mirror the instance (inside its box) before shifting.
        shifts (list): Per frame, the (x, y) shift in pixels of the copy, or
            None where the instance is absent (no copy in that frame).
    """
    flip: bool
    shifts: List[Optional[Tuple[float, float]]]


def _axis_direction(lo: int, hi: int, size: int) -> Optional[float]:
    """Shift direction forced by one frame's extent along one axis, or
    None: a large object (> 40 %) at a border moves further out of it, a
    small one (< 20 %) centred in the outer quarter moves inwards."""
    extent = hi - lo
    if extent > 0.4 * size:
        if lo == 0:
            return -1.0
        if hi == size:
            return 1.0
    elif extent < 0.2 * size:
        centre = (lo + hi) / 2.0
        if centre < 0.25 * size:
            return 1.0
        if centre > 0.75 * size:
            return -1.0
    return None


def sample_plan(masks: Sequence[np.ndarray],
                rand: Optional[Callable[[], float]] = None
                ) -> Optional[DuplicationPlan]:
    """Draw the copy's flip and per-frame shifts as ``InstanceDuplicator``.

    Directions: the constraints of :func:`_axis_direction` are checked frame
    by frame and the last frame that sets one wins; an unconstrained axis
    gets a random sign; no vertical shift if the object touches the top and
    the bottom border. Flip with p 0.5 unless the object touches the left or
    right border. Per present frame: ``x = sign * (0.75 + 0.25 u) * width``,
    ``y = sign * 0.25 u' * height`` (box width / height in that frame, fresh
    ``u, u'`` per frame), each capped at 30 % of the image size from above
    only (negative shifts are not capped, as the reference).

    Args:
        masks (Sequence[np.ndarray]): Per frame, the (H, W) mask of the
            instance (empty where it is absent).
        rand (callable, optional): Uniform [0, 1) source, called in the
            reference's order (horizontal sign, vertical sign, flip, then
            x / y per present frame); defaults to ``np.random.rand``.

    Returns:
        DuplicationPlan | None: None when duplication is infeasible (the
        object touches the left border in one frame and the right one in
        some frame) or the object is absent from every frame.
    """
    rand = rand or np.random.rand
    boxes = [mask_bbox(m) for m in masks]
    if all(b is None for b in boxes):
        return None
    horiz: Optional[float] = None
    vert: Optional[float] = None
    left = right = top = bottom = False
    for mask, box in zip(masks, boxes):
        if box is None:
            continue
        height, width = mask.shape
        x1, y1, x2, y2 = box
        left, right = left or x1 == 0, right or x2 == width
        top, bottom = top or y1 == 0, bottom or y2 == height
        frame_horiz = _axis_direction(x1, x2, width)
        frame_vert = _axis_direction(y1, y2, height)
        horiz = horiz if frame_horiz is None else frame_horiz
        vert = vert if frame_vert is None else frame_vert
    if left and right:
        return None
    if top and bottom:
        vert = 0.0
    if horiz is None:
        horiz = -1.0 if rand() < 0.5 else 1.0
    if vert is None:
        vert = -1.0 if rand() < 0.5 else 1.0
    flip = bool(rand() < 0.5) if not (left or right) else False
    shifts: List[Optional[Tuple[float, float]]] = []
    for mask, box in zip(masks, boxes):
        if box is None:
            shifts.append(None)
            continue
        height, width = mask.shape
        box_w, box_h = box[2] - box[0], box[3] - box[1]
        shift_x = horiz * (0.75 * box_w + rand() * 0.25 * box_w)
        shift_y = vert * (box_h * rand() * 0.25)
        shifts.append((min(shift_x, 0.3 * width), min(shift_y, 0.3 * height)))
    return DuplicationPlan(flip=flip, shifts=shifts)


def paste_duplicate(image: np.ndarray, mask: np.ndarray, flip: bool,
                    shift: Tuple[float, float]
                    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paste a shifted (optionally mirrored) copy of one frame's instance.

    Image and mask are mirrored inside the instance box (``flip``), then
    translated by ``shift`` with ``cv2.warpAffine`` (bilinear, zero border;
    fractional shifts as the reference). The copy lies in front: the
    original loses the pixels the copy covers.

    Args:
        image (np.ndarray): (H, W, C) or (H, W) image.
        mask (np.ndarray): (H, W) non-empty mask of the instance.
        flip (bool): Mirror the instance box horizontally first.
        shift (tuple): (x, y) translation in pixels.

    Returns:
        tuple: the new image, the original's (H, W) uint8 mask with the
        copy's pixels removed, and the copy's (H, W) uint8 mask.
    """
    height, width = mask.shape
    if image.shape[:2] != mask.shape:
        raise ValueError(f'image {image.shape[:2]} and mask {mask.shape} '
                         'differ in size')
    mask = mask.astype(np.uint8)
    src_img, src_mask = np.ascontiguousarray(image), mask
    if flip:
        x1, y1, x2, y2 = mask_bbox(mask)
        src_img, src_mask = src_img.copy(), mask.copy()
        src_img[y1:y2, x1:x2] = src_img[y1:y2, x1:x2][:, ::-1].copy()
        src_mask[y1:y2, x1:x2] = src_mask[y1:y2, x1:x2][:, ::-1].copy()
    matrix = np.array([[1., 0., shift[0]], [0., 1., shift[1]]], np.float32)
    moved_img = cv2.warpAffine(src_img, matrix, (width, height))
    moved_img = moved_img.reshape(image.shape)  # cv2 drops a channel of 1
    copy_mask = cv2.warpAffine(src_mask, matrix, (width, height))
    on = copy_mask > 0  # (H, W)
    new_img = np.where(on[..., None] if image.ndim == 3 else on, moved_img,
                       image)
    original = np.where(on, 0, mask).astype(np.uint8)
    return new_img.astype(image.dtype), original, copy_mask.astype(np.uint8)


@dataclass
class _Frame:
    """One frame's instances: (N, H, W) uint8 masks and (N, ) arrays."""
    masks: np.ndarray
    labels: np.ndarray
    ids: np.ndarray
    ignore: np.ndarray
    changed: bool = False

    def append(self, mask: np.ndarray, label: int, instance_id: int,
               ignore: bool) -> None:
        self.masks = np.concatenate([self.masks, mask[None]], 0)
        self.labels = np.append(self.labels, label).astype(self.labels.dtype)
        self.ids = np.append(self.ids, instance_id).astype(self.ids.dtype)
        self.ignore = np.append(self.ignore, ignore).astype(bool)

    def keep(self, sel: np.ndarray) -> None:
        self.masks, self.labels = self.masks[sel], self.labels[sel]
        self.ids, self.ignore = self.ids[sel], self.ignore[sel]


_FRAME_KEYS = ('gt_masks', 'gt_bboxes_labels', 'gt_instances_ids',
               'gt_ignore_flags')


@TRANSFORMS.register_module()
class SingleInstanceDuplicate(BaseTransform):
    """Add a shifted copy of the object to clips that show only one.

    Re-implements ``InstanceDuplicator`` and its use in
    ``YoutubeVISDataLoader`` / ``DavisDataLoader.parse_sample_at``
    (``sabarim/STEm-Seg: stemseg/data/instance_duplicator.py``,
    ``youtube_vis_data_loader.py``, ``davis_data_loader.py``; STEm-Seg,
    Athar et al., ECCV 2020). When exactly one non-ignored instance id occurs
    in the clip (over all its frames), the object is copied in every frame
    where it shows: mirrored inside its box with p 0.5 (never when it touches
    the left / right border), shifted by 75-100 % of its box width sideways
    and 0-25 % of its box height up or down (signs fixed per clip, from
    border heuristics or at random; magnitudes redrawn per frame), pasted in
    front of the original (which loses the covered pixels). The copy is a
    new instance with the same label and id ``-id`` (dataset ids are >= 1,
    so it collides with none; a clip whose id is <= 0 gets one below all
    its ids). No copy when the object touches the left border in one frame
    and the right border in some frame (see :func:`sample_plan`).

    ``background_as_ignore`` re-implements ``DavisDataLoader``'s
    ``background_as_ignore_region`` (hard-coded True for DAVIS training in
    ``stemseg/training/utils.py``): after duplication, every pixel outside
    the frame's instances becomes one ignore region (``ignore_flag`` 1,
    ``instance_id`` 0, label 0), replacing the frame's ignore regions (DAVIS
    void); applied to every clip. The STEm-Seg loss then skips the
    background seediness term on those pixels.

    Works on a clip (a dict of per-frame lists after
    ``TransformBroadcaster(LoadImageFromFile, LoadTrackAnnotations)``); put
    it before resizing (the reference duplicates at full resolution). Only
    edited frames get new boxes (from the masks).

    Parity quirks kept: probability 1 (``prob``; the reference has none);
    direction constraints scanned frame by frame, the last one wins;
    positive shifts capped at 30 % of the image, negative ones not;
    bilinear ``cv2.warpAffine`` of image and mask with fractional shifts.

    Deviations: parameters from ``np.random`` (seeded by mmengine per
    worker), not Python's ``random``; a mask emptied by the copy (or an
    empty copy) leaves its instance out of that frame (the reference keeps
    an all-zero mask: the same targets); existing ignore regions lose the
    copy's pixels (the reference's JSONs have none); errors are raised, not
    printed and skipped.

    Args:
        prob (float): Probability of duplicating a single-instance clip.
        background_as_ignore (bool): Mark the background as ignore region
            (DAVIS).
    """

    def __init__(self, prob: float = 1.0,
                 background_as_ignore: bool = False) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob
        self.background_as_ignore = background_as_ignore

    def transform(self, results: dict) -> dict:
        frames = self._read_frames(results)
        target = self._single_instance(frames)
        if target is not None and self._draw():
            self._duplicate(results, frames, target)
        if self.background_as_ignore:
            for frame in frames:
                self._background_to_ignore(frame)
        self._write_frames(results, frames)
        return results

    def _draw(self) -> bool:
        if self.prob >= 1 or self.prob <= 0:
            return self.prob >= 1
        return bool(np.random.rand() < self.prob)

    @staticmethod
    def _read_frames(results: dict) -> List[_Frame]:
        imgs = results.get('img')
        if not isinstance(imgs, list) or 'gt_masks' not in results:
            raise TypeError(
                'SingleInstanceDuplicate needs a clip with masks: a dict of '
                'per-frame lists with "img" and "gt_masks" (put it after '
                'VideoClipSample and TransformBroadcaster(LoadImageFromFile, '
                'LoadTrackAnnotations(with_mask=True)))')
        for key in _FRAME_KEYS:
            if len(results.get(key) or []) != len(imgs):
                raise ValueError(
                    f'SingleInstanceDuplicate: "{key}" must be a list with '
                    f'one entry per frame ({len(imgs)}); load annotations '
                    'with LoadTrackAnnotations(with_mask=True)')
        frames = []
        for t, img in enumerate(imgs):
            masks = results['gt_masks'][t]
            masks = masks.masks if isinstance(masks, BitmapMasks) else \
                masks.to_ndarray()
            frame = _Frame(masks.astype(np.uint8),
                           np.asarray(results['gt_bboxes_labels'][t]),
                           np.asarray(results['gt_instances_ids'][t]),
                           np.asarray(results['gt_ignore_flags'][t], bool))
            sizes = {len(frame.masks), len(frame.labels), len(frame.ids),
                     len(frame.ignore)}
            if len(sizes) > 1 or frame.masks.shape[1:] != img.shape[:2]:
                path = (results.get('img_path') or [None] * len(imgs))[t]
                raise ValueError(
                    f'SingleInstanceDuplicate: frame {t} ({path}) has '
                    f'{len(frame.masks)} masks of size '
                    f'{frame.masks.shape[1:]} for an image of '
                    f'{img.shape[:2]}, {len(frame.labels)} labels, '
                    f'{len(frame.ids)} ids, {len(frame.ignore)} ignore '
                    'flags; run it before any transform that edits only '
                    'some of them')
            frames.append(frame)
        return frames

    @staticmethod
    def _single_instance(frames: List[_Frame]) -> Optional[int]:
        """The clip's only non-ignored instance id, or None."""
        ids = {int(i) for f in frames for i in f.ids[~f.ignore]}
        return ids.pop() if len(ids) == 1 else None

    def _duplicate(self, results: dict, frames: List[_Frame],
                   target: int) -> None:
        originals, label = [], None
        for f in frames:
            sel = (f.ids == target) & ~f.ignore
            if sel.any():
                label = f.labels[sel][0]
            originals.append(f.masks[sel].any(0).astype(np.uint8))
        plan = sample_plan(originals)
        if plan is None:
            return
        all_ids = [int(i) for f in frames for i in f.ids]
        copy_id = -target if target > 0 else min(all_ids) - 1
        for t, (f, shift) in enumerate(zip(frames, plan.shifts)):
            if shift is None:
                continue
            img, kept, copy = paste_duplicate(results['img'][t],
                                              originals[t], plan.flip, shift)
            results['img'][t] = img
            covered = copy > 0  # (H, W)
            f.masks[(f.ids == target) & ~f.ignore] = kept
            f.masks[f.ignore] = np.where(covered, 0, f.masks[f.ignore])
            f.append(copy, label, copy_id, False)
            f.keep(f.masks.reshape(len(f.masks), -1).any(1))
            f.changed = True

    @staticmethod
    def _background_to_ignore(frame: _Frame) -> None:
        background = ~frame.masks[~frame.ignore].any(0)  # (H, W)
        frame.keep(~frame.ignore)
        if background.any():
            frame.append(background.astype(np.uint8), 0, 0, True)
        frame.changed = True

    @staticmethod
    def _write_frames(results: dict, frames: List[_Frame]) -> None:
        for t, f in enumerate(frames):
            if not f.changed:
                continue
            height, width = f.masks.shape[1:]
            results['gt_masks'][t] = BitmapMasks(f.masks, height, width)
            results['gt_bboxes_labels'][t] = f.labels
            results['gt_instances_ids'][t] = f.ids
            results['gt_ignore_flags'][t] = f.ignore
            if 'gt_bboxes' in results:
                box_type = type(results['gt_bboxes'][t])
                boxes = mask_boxes(f.masks)  # (N, 4)
                results['gt_bboxes'][t] = boxes \
                    if box_type is np.ndarray else box_type(boxes)

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'background_as_ignore={self.background_as_ignore})')
