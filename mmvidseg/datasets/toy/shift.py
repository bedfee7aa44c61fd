# Copyright (c) mmvidseg contributors. All rights reserved.
"""Distribution shifts inside a toy video (Video-TTT's toy protocol).

From frame ``int(shift_start * T)`` on, the rendered frames change while
the scene and its ground truth stay: lighting (darker and tinted), blur
(Gaussian, sigma 1.5), noise (Gaussian, sigma 30) or texture (a fixed
high-frequency checker pattern, amplitude 45, over the background), all
scaled by ``shift_strength``. The draws come from a generator of their
own, so the unshifted part of a video is identical to an unshifted render.
"""
import cv2
import numpy as np

from .config import ToyDatasetConfig

KINDS = ('lighting', 'blur', 'noise', 'texture')


def shift_kind(cfg: ToyDatasetConfig, index: int) -> str:
    """The shift of video ``index`` (``'mixed'``: the kinds in turn)."""
    return KINDS[index % len(KINDS)] if cfg.shift == 'mixed' else cfg.shift


def shift_start_frame(cfg: ToyDatasetConfig) -> int:
    return int(cfg.shift_start * cfg.num_frames)


def apply_shift(frames: np.ndarray, id_maps: np.ndarray, kind: str,
                start: int, strength: float,
                rng: np.random.Generator) -> np.ndarray:
    """Shifted copy of ``(T, H, W, 3)`` uint8 ``frames`` from ``start`` on.

    ``id_maps`` (T, H, W) tells the background (0) for ``'texture'``.
    """
    out = frames.copy()
    _, h, w, _ = frames.shape
    if kind == 'texture':
        yy, xx = np.mgrid[:h, :w]
        checker = (((yy // 2) + (xx // 2)) % 2 * 2 - 1).astype(np.float32)
        tint = rng.uniform(0.5, 1.0, 3).astype(np.float32)
        pattern = 45.0 * strength * checker[..., None] * tint  # (H, W, 3)
    for t in range(start, frames.shape[0]):
        f = frames[t].astype(np.float32)
        if kind == 'lighting':
            gain = 1 - strength * np.array([0.45, 0.5, 0.3], np.float32)
            f = f * gain + 10.0 * strength
        elif kind == 'blur':
            f = cv2.GaussianBlur(f, (0, 0), 1.5 * strength)
        elif kind == 'noise':
            f = f + rng.normal(0, 30.0 * strength, f.shape).astype(np.float32)
        elif kind == 'texture':
            bg = (id_maps[t] == 0)[..., None]
            f = np.where(bg, f + pattern, f)
        else:
            raise ValueError(f'unknown toy shift {kind!r} (one of {KINDS})')
        out[t] = np.clip(np.round(f), 0, 255).astype(np.uint8)
    return out
