# Copyright (c) mmvidseg contributors. All rights reserved.
"""The toy video and object records every toy format writer reads."""
from dataclasses import dataclass, field
from typing import List

import numpy as np

from .metainfo import STUFF_CLASSES, THING_CLASSES


@dataclass
class ToyObject:
    """One object track of a toy video.

    Attributes:
        local_id: Id within its video, 1..K (DAVIS / KITTI / BURST ids).
        instance_id: Id unique across the dataset, from 1 (YouTube-VIS
            annotation id); 0 until :func:`assign_instance_ids` ran.
        category_id: 1-based thing class (index into ``THING_CLASSES`` + 1).
        colour: Name of its colour (a key of ``OBJECT_COLOURS``).
        direction: Dominant motion direction: left / right / up / down.
        expressions: Referring expressions that identify it in its video.
    """

    local_id: int
    category_id: int
    colour: str
    direction: str
    instance_id: int = 0
    expressions: List[str] = field(default_factory=list)

    @property
    def class_name(self) -> str:
        return THING_CLASSES[self.category_id - 1]


@dataclass
class ToyVideo:
    """A rendered toy video with its ground truth.

    Attributes:
        split: ``'train'`` or ``'valid'``.
        index: Position in its split, from 0.
        frames: ``(T, H, W, 3)`` uint8 RGB frames.
        id_maps: ``(T, H, W)`` uint8, ``local_id`` of the visible object of
            each pixel, 0 where only stuff is visible.
        stuff_map: ``(H, W)`` uint8 index into ``STUFF_CLASSES`` (static).
        objects: The object tracks, ordered by ``local_id``.
    """

    split: str
    index: int
    frames: np.ndarray
    id_maps: np.ndarray
    stuff_map: np.ndarray
    objects: List[ToyObject]

    @property
    def name(self) -> str:
        """Folder name of the video in every format, e.g. ``train_0003``."""
        return f'{self.split}_{self.index:04d}'

    @property
    def video_id(self) -> int:
        """1-based id within its split (YouTube-VIS ``video_id``)."""
        return self.index + 1

    @property
    def num_frames(self) -> int:
        return self.frames.shape[0]

    @property
    def height(self) -> int:
        return self.frames.shape[1]

    @property
    def width(self) -> int:
        return self.frames.shape[2]

    def masks(self, local_id: int) -> np.ndarray:
        """``(T, H, W)`` bool visible masks of one object."""
        return self.id_maps == local_id

    def semantic_maps(self) -> np.ndarray:
        """``(T, H, W)`` uint8 panoptic semantic ids (``PANOPTIC_CLASSES``)."""
        sem = np.broadcast_to(self.stuff_map, self.id_maps.shape).copy()
        for obj in self.objects:
            sem[self.id_maps == obj.local_id] = (
                len(STUFF_CLASSES) + obj.category_id - 1)
        return sem
