# Copyright (c) mmvidseg contributors. All rights reserved.
"""Helpers shared by the DAVIS, KITTI-MOTS and STEm-Seg JSON datasets.

Items follow mmdet's ``BaseVideoDataset``: one dict per video
``{video_id, video_name, video_length, images: [frame info]}``, each frame
info with ``img_path``, ``img_id``, ``frame_id``, ``video_id``,
``video_name`` (frame-level too, so that ``PackTrackInputs(meta_keys=
('video_name', ))`` hands it to the metrics in test mode), ``height``,
``width`` and ``instances`` = ``[{bbox (xyxy), bbox_label, mask,
instance_id, ignore_flag}]``.
"""
import itertools
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from mmvidseg.structures.masks import decode_rle, rle_bbox

MASK_FORMATS = ('rle', 'bitmap')


class DatasetFormatError(ValueError):
    """A dataset file is malformed; the message names file, sequence, frame."""


def make_instance(rle: dict, label: int, instance_id: int, ignore: bool,
                  mask_format: str) -> Optional[dict]:
    """Instance dict for ``instances``; None for an empty mask."""
    box = rle_bbox(rle)
    if box is None:
        return None
    mask = rle if mask_format == 'rle' else decode_rle(rle)
    return dict(bbox=box, bbox_label=int(label), mask=mask,
                instance_id=int(instance_id), ignore_flag=int(ignore))


def check_mask_format(mask_format: str) -> None:
    if mask_format not in MASK_FORMATS:
        raise ValueError(f'mask_format must be one of {MASK_FORMATS}, got '
                         f'{mask_format!r}')


def split_at_gaps(is_empty: Sequence[bool],
                  gap: int) -> List[List[int]]:
    """Frame indices of the pieces of a sequence split at empty-frame gaps.

    Re-implements the splitting of ``MOTSDataLoader.__init__``
    (``sabarim/STEm-Seg: stemseg/data/mots_data_loader.py``): empty frames are
    dropped; once ``gap`` consecutive empty frames have been seen, the frames
    collected so far form one piece. Shorter runs of empty frames are dropped
    without splitting.

    Args:
        is_empty (Sequence[bool]): Per frame, whether it has no (non-ignore)
            instance.
        gap (int): Run length that splits (6 in the reference).

    Returns:
        list[list[int]]: Non-empty pieces, in order.
    """
    pieces, current, run = [], [], 0
    for t, empty in enumerate(is_empty):
        if empty:
            run += 1
            if run == gap and current:
                pieces.append(current)
                current = []
        else:
            run = 0
            current.append(t)
    if current:
        pieces.append(current)
    return pieces


def split_video(video: dict, gap: int, new_id: Callable[[], int],
                relabel: Callable[[str, int], int]) -> List[dict]:
    """Split one video item with :func:`split_at_gaps`.

    Pieces are named ``<video_name>_<k>`` (k from 1, as the reference) and
    get fresh ``video_id`` s from ``new_id()``; ``relabel(piece_name,
    instance_id)`` gives the instance ids of the piece (kept unique over the
    dataset).
    """
    frames = video['images']
    empty = [
        not any(i['ignore_flag'] == 0 for i in f['instances']) for f in frames
    ]
    out = []
    for k, idx in enumerate(split_at_gaps(empty, gap), 1):
        name = f"{video['video_name']}_{k}"
        vid = new_id()
        images = []
        for frame_id, t in enumerate(idx):
            f = dict(frames[t], frame_id=frame_id, video_id=vid,
                     video_name=name, img_id=vid * 100000 + frame_id)
            f['instances'] = [
                dict(i, instance_id=relabel(name, i['instance_id']))
                for i in frames[t]['instances']
            ]
            images.append(f)
        out.append(dict(video_id=vid, video_name=name,
                        video_length=len(images), images=images))
    return out


def split_videos(videos: List[dict], gap: int) -> List[dict]:
    """:func:`split_video` over a dataset: pieces get ``video_id`` 0, 1 ...
    and instance ids unique over all pieces."""
    counter = itertools.count()
    ids = InstanceIdMap()
    pieces: List[dict] = []
    for video in videos:
        pieces += split_video(video, gap, lambda: next(counter), ids)
    return pieces


class InstanceIdMap:
    """Dataset-wide instance ids (>= 1) for (video name, local id) pairs."""

    def __init__(self) -> None:
        self._ids: Dict[Tuple[str, int], int] = {}

    def __call__(self, video: str, local_id: int) -> int:
        key = (video, int(local_id))
        if key not in self._ids:
            self._ids[key] = len(self._ids) + 1
        return self._ids[key]


def drop_empty_frames(videos: List[dict], min_frames: int) -> List[dict]:
    """Training filter: drop frames without a non-ignore instance and then
    videos with fewer than ``min_frames`` frames (frame ids are kept)."""
    kept = []
    for video in videos:
        frames = [
            f for f in video['images']
            if any(i['ignore_flag'] == 0 for i in f['instances'])
        ]
        if len(frames) >= min_frames:
            kept.append(dict(video, images=frames, video_length=len(frames)))
    return kept
