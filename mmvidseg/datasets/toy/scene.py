# Copyright (c) mmvidseg contributors. All rights reserved.
"""Sampling and rendering of the toy videos (pure numpy + OpenCV).

A video is a static textured background split into stuff regions (sky /
wall / ground bands with wavy borders) on which 1..K flat-coloured shapes
(square / circle / triangle) move in a straight line, grow or shrink,
rotate and occlude each other in a fixed depth order. Some objects enter or
leave through an image border, so they are absent in some frames; a small
object behind a large one can be fully hidden.

Every random decision of a video comes from its own generator seeded with
``(seed, split, index)``: a video does not change when the number of videos
changes, and the same seed always yields the same arrays.
"""
import math
from typing import List, Tuple

import cv2
import numpy as np

from .config import ToyDatasetConfig
from .expressions import add_expressions
from .shift import apply_shift, shift_kind, shift_start_frame
from .metainfo import (CLASS_COLOURS, OBJECT_COLOURS, STUFF_CLASSES,
                       STUFF_COLOURS, THING_CLASSES)
from .video import ToyObject, ToyVideo

SPLITS: Tuple[str, ...] = ('train', 'valid')
DIRECTIONS = {'left': (-1., 0.), 'right': (1., 0.), 'up': (0., -1.),
              'down': (0., 1.)}
OPPOSITE = {'left': 'right', 'right': 'left', 'up': 'down', 'down': 'up'}
# Stuff layouts, top to bottom.
LAYOUTS = (('sky', 'ground'), ('sky', 'wall', 'ground'), ('wall', 'ground'),
           ('sky', 'wall'))
# Radius factor per class so that the three shapes have similar areas.
SHAPE_SCALE = {'square': 0.95, 'circle': 0.8, 'triangle': 1.15}
_SHIFT = 4  # sub-pixel bits of the OpenCV drawing calls
_MAX_TRIES = 100


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cell: int,
                  amp: float) -> np.ndarray:
    """``(H, W)`` float32 value noise: random grid, bilinear upsampled."""
    grid = rng.uniform(-amp, amp, (h // cell + 2, w // cell + 2))
    return cv2.resize(grid.astype(np.float32), (w, h),
                      interpolation=cv2.INTER_LINEAR)


def _render_background(rng: np.random.Generator, h: int, w: int
                       ) -> Tuple[np.ndarray, np.ndarray]:
    """Stuff bands with wavy borders and their texture.

    Returns:
        ``(H, W)`` uint8 stuff index map and ``(H, W, 3)`` float32 image.
    """
    layout = LAYOUTS[rng.integers(len(LAYOUTS))]
    # Border heights as fractions of h, increasing.
    cuts = np.sort(rng.uniform(0.25, 0.75, len(layout) - 1))
    if len(cuts) == 2 and cuts[1] - cuts[0] < 0.15:
        cuts[1] = min(cuts[0] + 0.15, 0.9)
    xs = np.arange(w)
    rows = np.arange(h)[:, None]
    stuff_map = np.full((h, w), STUFF_CLASSES.index(layout[0]), np.uint8)
    for cut, name in zip(cuts, layout[1:]):
        amp = rng.uniform(0.0, 0.06) * h
        period = rng.uniform(0.5, 1.5) * w
        phase = rng.uniform(0, 2 * math.pi)
        border = cut * h + amp * np.sin(2 * math.pi * xs / period + phase)
        stuff_map[rows >= border[None, :]] = STUFF_CLASSES.index(name)
    image = np.zeros((h, w, 3), np.float32)
    for name in layout:  # never a set: its order depends on PYTHONHASHSEED
        colour = np.array(STUFF_COLOURS[name], np.float32)
        colour += rng.uniform(-20, 20, 3)
        tex = (_smooth_noise(rng, h, w, 8, 25.) +
               _smooth_noise(rng, h, w, 2, 10.))
        region = stuff_map == STUFF_CLASSES.index(name)
        image[region] = colour + tex[region][:, None]
    return stuff_map, image


def _shape_points(name: str, cx: float, cy: float, r: float,
                  angle: float) -> np.ndarray:
    """Vertices (fixed point, ``_SHIFT`` bits) of a square or triangle."""
    n = 4 if name == 'square' else 3
    t = angle + 2 * math.pi * np.arange(n) / n
    pts = np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], axis=1)
    return np.round(pts * (1 << _SHIFT)).astype(np.int32)  # (n, 2)


def _draw(mask: np.ndarray, name: str, cx: float, cy: float, r: float,
          angle: float) -> None:
    """Rasterise one shape into ``mask`` (uint8, in place) with value 1."""
    # Keep coordinates small enough for OpenCV's fixed-point maths.
    cx, cy = (float(np.clip(v, -4 * r - 64, 4 * r + 64 + s))
              for v, s in ((cx, mask.shape[1]), (cy, mask.shape[0])))
    if name == 'circle':
        center = (round(cx * (1 << _SHIFT)), round(cy * (1 << _SHIFT)))
        cv2.circle(mask, center, max(round(r * (1 << _SHIFT)), 1), 1, -1,
                   cv2.LINE_8, _SHIFT)
    else:
        cv2.fillPoly(mask, [_shape_points(name, cx, cy, r, angle)], 1,
                     cv2.LINE_8, _SHIFT)


def _sample_track(rng: np.random.Generator, cfg: ToyDatasetConfig,
                  r0: float) -> Tuple[np.ndarray, str]:
    """Centre positions ``(T, 2)`` (x, y) and the motion direction."""
    h, w, num_frames = cfg.height, cfg.width, cfg.num_frames
    size = min(h, w)
    direction = list(DIRECTIONS)[rng.integers(4)]
    speed = rng.uniform(cfg.min_speed, cfg.max_speed) * size
    drift = rng.uniform(-0.3, 0.3) * speed
    t = np.arange(num_frames, dtype=np.float64)
    horizontal = direction in ('left', 'right')
    extent, cross_extent = (w, h) if horizontal else (h, w)
    cross = rng.uniform(r0, cross_extent - r0) + drift * (
        t - (num_frames - 1) / 2)
    mode = 'inside'
    if rng.uniform() < cfg.p_enter_leave:
        mode = 'enter' if rng.uniform() < 0.5 else 'leave'
    if mode == 'inside':
        mid = rng.uniform(r0, extent - r0)
        along = mid + speed * (t - (num_frames - 1) / 2)
    else:
        # Enter through the border behind the motion: fully outside at
        # frame 0, 30% of the radius inside the border at frame t_in.
        t_in = int(rng.integers(1, num_frames - cfg.min_visible_frames + 1))
        speed = max(speed, 1.4 * r0 / t_in + 0.5)
        along = 0.3 * r0 + speed * (t - t_in)
    if direction in ('left', 'up'):
        along = extent - along
    xy = np.stack([along, cross] if horizontal else [cross, along], axis=1)
    if mode == 'leave':  # an entering track played backwards
        xy, direction = xy[::-1].copy(), OPPOSITE[direction]
    return xy, direction


def _sample_colours(rng: np.random.Generator,
                    class_names: List[str]) -> List[str]:
    """Distinct colours, each from its class's family while one is free."""
    used: List[str] = []
    for name in class_names:
        free = [c for c in CLASS_COLOURS[name] if c not in used]
        if not free:
            free = [c for c in OBJECT_COLOURS if c not in used]
        used.append(free[int(rng.integers(len(free)))])
    return used


def _sample_objects(rng: np.random.Generator, cfg: ToyDatasetConfig):
    """Draw the objects of a video: attributes and per-frame geometry."""
    num = int(rng.integers(cfg.min_objects, cfg.max_objects + 1))
    num_classes = len(THING_CLASSES)
    classes = (rng.permutation(num_classes)[:num] if cfg.distinct_classes else
               rng.integers(num_classes, size=num))
    colours = _sample_colours(rng, [THING_CLASSES[c] for c in classes])
    size = min(cfg.height, cfg.width)
    objects, geometry = [], []
    t = np.arange(cfg.num_frames)
    for i in range(num):
        name = THING_CLASSES[classes[i]]
        r0 = rng.uniform(cfg.min_size, cfg.max_size) * size * SHAPE_SCALE[name]
        radii = r0 * (1 + rng.uniform(-cfg.max_growth, cfg.max_growth))**t
        angles = rng.uniform(0, 2 * math.pi) + rng.uniform(-0.15, 0.15) * t
        xy, direction = _sample_track(rng, cfg, r0)
        objects.append(
            ToyObject(
                local_id=i + 1,
                category_id=int(classes[i]) + 1,
                colour=colours[i],
                direction=direction))
        geometry.append((name, xy, radii, angles))
    depth = rng.permutation(num)  # depth[0] is drawn first (farthest)
    return objects, geometry, depth


def _render_objects(rng: np.random.Generator, cfg: ToyDatasetConfig,
                    objects: List[ToyObject], geometry: list,
                    depth: np.ndarray, image: np.ndarray
                    ) -> Tuple[np.ndarray, np.ndarray]:
    """Paint the objects over the background, back to front.

    Returns:
        ``(T, H, W, 3)`` uint8 frames and ``(T, H, W)`` uint8 id maps.
    """
    h, w, num_frames = cfg.height, cfg.width, cfg.num_frames
    frames = np.empty((num_frames, h, w, 3), np.uint8)
    id_maps = np.zeros((num_frames, h, w), np.uint8)
    textures = [
        _smooth_noise(rng, h, w, 4, 14.)[..., None] for _ in objects
    ]
    shape_mask = np.zeros((h, w), np.uint8)
    for t in range(num_frames):
        frame = image + rng.normal(0, 3., (h, w, 3)).astype(np.float32)
        for k in depth:
            name, xy, radii, angles = geometry[k]
            shape_mask[:] = 0
            _draw(shape_mask, name, xy[t, 0], xy[t, 1], radii[t], angles[t])
            on = shape_mask.astype(bool)
            colour = np.array(OBJECT_COLOURS[objects[k].colour], np.float32)
            frame[on] = colour + textures[k][on]
            id_maps[t][on] = objects[k].local_id
        frames[t] = np.clip(np.round(frame), 0, 255).astype(np.uint8)
    # Slivers below min_visible_pixels count as absent (labelled stuff).
    for obj in objects:
        area = (id_maps == obj.local_id).sum(axis=(1, 2))  # (T,)
        for t in np.flatnonzero((area > 0) & (area < cfg.min_visible_pixels)):
            id_maps[t][id_maps[t] == obj.local_id] = 0
    return frames, id_maps


def render_video(cfg: ToyDatasetConfig, seed: int, split: str,
                 index: int) -> ToyVideo:
    """Render video ``index`` of ``split``, deterministically from ``seed``.

    Objects are re-drawn until each is visible in at least
    ``cfg.min_visible_frames`` frames.
    """
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    rng = np.random.default_rng([seed, SPLITS.index(split), index])
    stuff_map, image = _render_background(rng, cfg.height, cfg.width)
    for _ in range(_MAX_TRIES):
        objects, geometry, depth = _sample_objects(rng, cfg)
        frames, id_maps = _render_objects(rng, cfg, objects, geometry, depth,
                                          image)
        visible = [(id_maps == o.local_id).any(axis=(1, 2)).sum()
                   for o in objects]
        if min(visible) >= cfg.min_visible_frames:
            break
    else:
        raise RuntimeError(
            f'toy video {split}/{index}: no object layout keeps every object '
            f'visible in {cfg.min_visible_frames} frames after {_MAX_TRIES} '
            'tries; lower min_visible_frames or p_enter_leave')
    if cfg.shift != 'none':
        frames = apply_shift(
            frames, id_maps, shift_kind(cfg, index), shift_start_frame(cfg),
            cfg.shift_strength,
            np.random.default_rng([seed, SPLITS.index(split), index, 1]))
    video = ToyVideo(split, index, frames, id_maps, stuff_map, objects)
    add_expressions(video)
    return video


def assign_instance_ids(videos: List[ToyVideo]) -> None:
    """Number the objects of all videos 1, 2, ... in order (in place)."""
    next_id = 1
    for video in videos:
        for obj in video.objects:
            obj.instance_id = next_id
            next_id += 1


def render_dataset(cfg: ToyDatasetConfig, seed: int) -> List[ToyVideo]:
    """All videos, train then valid, with dataset-wide instance ids."""
    videos = [render_video(cfg, seed, 'train', i)
              for i in range(cfg.num_train_videos)]
    videos += [render_video(cfg, seed, 'valid', i)
               for i in range(cfg.num_val_videos)]
    assign_instance_ids(videos)
    return videos
