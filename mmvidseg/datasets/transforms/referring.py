# Copyright (c) mmvidseg contributors. All rights reserved.
"""Clip-level transforms of the referring datasets (A2D / JHMDB /
Ref-YouTube-VOS): the flip that swaps "left" / "right" in the expression
and decoding a window of frames from a video file."""
from typing import Dict, List

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmvidseg.registry import TRANSFORMS


def swap_left_right(text: str) -> str:
    """``'left'`` <-> ``'right'`` as the official flip does it: plain
    substring replacement through a placeholder (``mttr2021/MTTR:
    datasets/a2d_sentences/a2d_sentences_dataset.py::A2dSentencesTransforms``),
    so both words may appear in one sentence."""
    return text.replace('left', '@').replace('right', 'left').replace(
        '@', 'right')


@TRANSFORMS.register_module()
class FlipReferringText(BaseTransform):
    """Swap "left" / "right" in the expression of a flipped clip.

    Put it after ``TransformBroadcaster(share_random_params=True,
    transforms=[..., RandomFlip(prob=0.5, direction='horizontal')])``: when
    the frames were flipped horizontally (``flip`` / ``flip_direction`` of
    the frames), every frame's ``text`` has its words swapped. Together the
    two are MTTR's training flip (p = 0.5 per clip). A clip whose frames
    disagree (``share_random_params=False``) is an error.
    """

    def transform(self, results: Dict) -> Dict:
        flips = results.get('flip')
        if flips is None:
            return results
        flips = list(flips) if isinstance(flips, (list, tuple)) else [flips]
        dirs = results.get('flip_direction')
        dirs = list(dirs) if isinstance(dirs, (list, tuple)) else \
            [dirs] * len(flips)
        horizontal = [bool(f) and d == 'horizontal' for f, d in
                      zip(flips, dirs)]
        if len(set(horizontal)) > 1:
            raise ValueError('FlipReferringText: the frames of a clip were '
                             'flipped differently; set share_random_params='
                             'True in the TransformBroadcaster')
        if horizontal and horizontal[0]:
            text = results['text']
            results['text'] = [swap_left_right(t) for t in text] \
                if isinstance(text, list) else swap_left_right(text)
        return results


def decode_frames(path: str, indices: List[int]) -> List[np.ndarray]:
    """BGR frames ``indices`` (0-based) of a video file, decoded in order
    with OpenCV; indices past the end take the last frame and negative ones
    the first (the official edge padding)."""
    cap = cv2.VideoCapture(path)
    if not cap.isOpened():
        raise FileNotFoundError(f'{path}: OpenCV cannot open the video '
                                '(missing file or no codec)')
    frames: List[np.ndarray] = []
    last = max(indices)
    try:
        while len(frames) <= last:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(frame)
    finally:
        cap.release()
    if not frames:
        raise ValueError(f'{path}: no frame could be decoded')
    return [frames[min(max(i, 0), len(frames) - 1)] for i in indices]


@TRANSFORMS.register_module()
class LoadVideoFrames(BaseTransform):
    """Decode a clip's frames from a video file (A2D-Sentences mp4 clips).

    Reads the per-frame lists ``video_path`` and ``frame_index`` (0-based,
    may lie outside the video: edge padding as ``mttr2021/MTTR:
    a2d_sentences_dataset.py``), decodes each file once with OpenCV (BGR,
    like ``LoadImageFromFile``; the official ``torchvision.io.read_video``
    gives RGB, the data preprocessor's ``bgr_to_rgb`` evens it out) and sets
    ``img``, ``img_shape``, ``ori_shape`` per frame. Put it before the
    ``TransformBroadcaster``.
    """

    def transform(self, results: Dict) -> Dict:
        paths, indices = results['video_path'], results['frame_index']
        imgs: List[np.ndarray] = [None] * len(paths)  # type: ignore
        for path in dict.fromkeys(paths):
            picks = [t for t, p in enumerate(paths) if p == path]
            frames = decode_frames(path, [indices[t] for t in picks])
            for t, frame in zip(picks, frames):
                imgs[t] = frame
        results['img'] = imgs
        results['img_shape'] = [im.shape[:2] for im in imgs]
        results['ori_shape'] = [im.shape[:2] for im in imgs]
        return results
