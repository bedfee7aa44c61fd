# Copyright (c) mmvidseg contributors. All rights reserved.
"""STEm-Seg result writers: DAVIS unsupervised PNGs and KITTI-MOTS txt.

Re-implements ``DavisOutputGenerator`` and ``KittiMOTSOutputGenerator`` of
``sabarim/STEm-Seg: stemseg/inference/output_utils/{davis,kitti_mots}.py``
and the filters of ``kitti_mots_postprocessing.py`` (Athar et al., ECCV
2020), on the whole-video tracks of
:func:`mmvidseg.models.trackers.stemseg_inference.tracks_to_masks`
(``masks`` (K, T, H, W) at the original size, ranked by lifetime).
File I/O reuses :func:`mmvidseg.evaluation.functional.davis_io.
write_davis_png` and :func:`mmvidseg.evaluation.functional.panoptic_io.
write_mots_txt`.

Reference behaviour kept:

* DAVIS: the first ``max_tracks`` (20, the benchmark's proposal limit)
  tracks by lifetime get ids 1..N in that order; on overlaps the later
  (shorter-lived) id wins, as the reference paints with ``torch.where`` in
  rank order.
* KITTI-MOTS: tracks are ordered by ascending lifetime and numbered 1..N
  in that order; ``obj_id = class_id * 1000 + number``; overlapping pixels
  go to the track with the largest **raw** track id (the reference's
  ``max`` over raw ids, although its comment says lifetime).
* Post-processing (``results_nms``): per detection, area >= ``min_area``
  and pixel / box area > ``min_area_ratio``; per track, (number of time
  breaks / length) <= ``max_time_break_ratio`` and length >=
  ``min_track_length``, class thresholds as the reference (car 150 / 0.35 /
  0.3 / 3, pedestrian 250 / 0.2 / 0.5 / 10); detections of classes without
  thresholds are dropped, as there.

Deliberate deviations: a track's KITTI class is the prediction's ``label``
(argmax of the mean semantic logits over the track, as for YouTube-VIS)
instead of the majority vote of per-pixel argmax labels; a track is present
in a frame when its resized mask is non-empty (the reference decides at the
clustering resolution and may write empty masks); a sequence without tracks
gives an empty file instead of the reference's ``ValueError``.
"""
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np

from mmvidseg.structures.masks import encode_mask, rle_area, rle_bboxes
from .davis_io import write_davis_png
from .panoptic_io import write_mots_txt

DAVIS_MAX_PROPOSALS = 20
KITTI_CAR, KITTI_PEDESTRIAN = 1, 2
KITTI_MIN_AREA = {KITTI_CAR: 150, KITTI_PEDESTRIAN: 250}
KITTI_MIN_AREA_RATIO = {KITTI_CAR: 0.35, KITTI_PEDESTRIAN: 0.2}
KITTI_MAX_TIME_BREAK_RATIO = {KITTI_CAR: 0.3, KITTI_PEDESTRIAN: 0.5}
KITTI_MIN_TRACK_LENGTH = {KITTI_CAR: 3, KITTI_PEDESTRIAN: 10}


def davis_id_maps(masks: np.ndarray,
                  max_tracks: int = DAVIS_MAX_PROPOSALS) -> np.ndarray:
    """(K, T, H, W) bool tracks in rank order -> (T, H, W) uint8 ids.

    Ids are 1..min(K, max_tracks) in rank order; later ids overwrite
    earlier ones.
    """
    if not 0 < max_tracks < 256:
        raise ValueError(f'max_tracks must be in 1..255, got {max_tracks}')
    masks = np.asarray(masks, bool)
    if masks.ndim != 4:
        raise ValueError(f'masks must be (K, T, H, W), got {masks.shape}')
    out = np.zeros(masks.shape[1:], np.uint8)
    for k in range(min(len(masks), max_tracks)):
        out[masks[k]] = k + 1
    return out


def write_davis_results(out_dir: str, video_name: str,
                        frame_names: Sequence[str], masks: np.ndarray,
                        max_tracks: int = DAVIS_MAX_PROPOSALS) -> List[str]:
    """Write ``<out_dir>/<video_name>/<frame>.png`` palette PNGs.

    Returns:
        list[str]: The written paths, one per frame.
    """
    ids = davis_id_maps(masks, max_tracks)
    if len(frame_names) != len(ids):
        raise ValueError(f'video {video_name!r}: {len(frame_names)} frame '
                         f'names for {len(ids)} frames of masks')
    paths = []
    for name, frame in zip(frame_names, ids):
        path = osp.join(out_dir, video_name, f'{name}.png')
        write_davis_png(path, frame)
        paths.append(path)
    return paths


def _lifetime(track: np.ndarray) -> int:
    present = np.flatnonzero(track.reshape(len(track), -1).any(1))
    return int(present[-1] - present[0]) if len(present) else -1


def kitti_mots_objects(masks: np.ndarray, track_ids: Sequence[int],
                       labels: Sequence[int],
                       class_ids: Sequence[int] = (KITTI_CAR,
                                                   KITTI_PEDESTRIAN),
                       lifetimes: Optional[Sequence[int]] = None
                       ) -> Dict[int, List[dict]]:
    """Per-frame MOTS objects of one sequence, as the reference writes them.

    Args:
        masks (np.ndarray): (K, T, H, W) bool tracks.
        track_ids (Sequence[int]): Raw track ids (decide overlaps).
        labels (Sequence[int]): 0-based class per track.
        class_ids (Sequence[int]): KITTI class id of each label.
        lifetimes (Sequence[int], optional): Per track (last - first
            frame); computed from ``masks`` when None.

    Returns:
        dict: ``{frame: [{'track_id', 'class_id', 'rle', 'index'}]}`` for
        :func:`write_mots_txt`, ``track_id = class_id * 1000 + number``,
        ``index`` = the track's row in ``masks``.
    """
    masks = np.asarray(masks, bool)
    k = len(masks)
    if not len(track_ids) == len(labels) == k:
        raise ValueError(f'{k} tracks but {len(track_ids)} track_ids and '
                         f'{len(labels)} labels')
    if lifetimes is None:
        lifetimes = [_lifetime(m) for m in masks]
    number = kitti_mots_numbers(lifetimes)
    frames: Dict[int, List[dict]] = {}
    for t in range(masks.shape[1] if k else 0):
        objs = kitti_mots_frame_objects(masks[:, t], track_ids, labels,
                                        class_ids, number)
        if objs:
            frames[t] = objs
    return frames


def kitti_mots_numbers(lifetimes: Sequence[int]) -> List[int]:
    """Per track its number 1..K: tracks ordered by ascending lifetime
    (stable), numbered in that order, as the reference writer."""
    order = sorted(range(len(lifetimes)), key=lambda i: lifetimes[i])
    number = [0] * len(order)
    for n, i in enumerate(order, 1):
        number[i] = n
    return number


def kitti_mots_frame_objects(masks: np.ndarray, track_ids: Sequence[int],
                             labels: Sequence[int], class_ids: Sequence[int],
                             number: Sequence[int]) -> List[dict]:
    """One frame of :func:`kitti_mots_objects`.

    Args:
        masks (np.ndarray): (K, H, W) bool masks of all tracks.
        track_ids (Sequence[int]): Raw track ids (decide overlaps).
        labels (Sequence[int]): 0-based class per track.
        class_ids (Sequence[int]): KITTI class id of each label.
        number (Sequence[int]): :func:`kitti_mots_numbers` of the video.

    Returns:
        list[dict]: ``{'track_id', 'class_id', 'rle', 'index'}`` of the
        tracks present, in ascending-number order.
    """
    masks = np.asarray(masks, bool)
    order = sorted(range(len(masks)), key=lambda i: number[i])
    active = [i for i in order if masks[i].any()]
    if not active:
        return []
    raw = np.asarray(track_ids)[active]
    owner = np.where(masks[active], raw[:, None, None], -1).max(0)
    objs = []
    for i, r in zip(active, raw.tolist()):
        cls = int(class_ids[int(labels[i])])
        objs.append(dict(track_id=cls * 1000 + number[i], class_id=cls,
                         rle=encode_mask(owner == r), index=i))
    return objs


def _area_and_box_ratio(rle: dict) -> tuple:
    area = float(rle_area(rle))
    _, _, w, h = rle_bboxes([rle])[0]
    return area, (area / float(w * h) if w * h > 0 else 0.)


def kitti_mots_postprocess(
        frames: Mapping[int, Sequence[dict]],
        min_area: Mapping[int, float] = KITTI_MIN_AREA,
        min_area_ratio: Mapping[int, float] = KITTI_MIN_AREA_RATIO,
        max_time_break_ratio: Mapping[int, float] = KITTI_MAX_TIME_BREAK_RATIO,
        min_track_length: Mapping[int, int] = KITTI_MIN_TRACK_LENGTH
) -> Dict[int, List[dict]]:
    """The reference's ``results_nms`` filters, in the reference order.

    Args:
        frames (Mapping): ``{frame: [{'track_id', 'class_id', 'rle'}]}``.
        min_area, min_area_ratio, max_time_break_ratio, min_track_length
            (Mapping[int, float]): Per KITTI class id.

    Returns:
        dict: The kept detections, same layout.
    """
    dets = [(t, d) for t in sorted(frames) for d in frames[t]]
    kept = []
    for t, d in dets:
        c = d['class_id']
        if c not in min_area or c not in min_area_ratio:
            continue
        area, ratio = _area_and_box_ratio(d['rle'])
        if area >= min_area[c] and ratio > min_area_ratio[c]:
            kept.append((t, d))

    def tracks(items):
        out: Dict[int, list] = {}
        for t, d in items:
            out.setdefault(d['track_id'], []).append((t, d))
        return [sorted(v, key=lambda x: x[0]) for v in out.values()]

    after_breaks = []
    for tr in tracks(kept):
        c = tr[0][1]['class_id']
        breaks = sum(int(b[0] - a[0] > 1) for a, b in zip(tr, tr[1:]))
        if c in max_time_break_ratio and \
                breaks / float(len(tr)) > max_time_break_ratio[c]:
            continue
        after_breaks.extend(tr)
    result: Dict[int, List[dict]] = {}
    for tr in tracks(after_breaks):
        c = tr[0][1]['class_id']
        if c in min_track_length and len(tr) < min_track_length[c]:
            continue
        for t, d in tr:
            result.setdefault(t, []).append(d)
    return {t: result[t] for t in sorted(result)}


def write_kitti_mots_results(out_dir: str, seq_name: str,
                             frames: Mapping[int, Sequence[dict]],
                             postprocess: bool = True) -> List[str]:
    """Write ``<out_dir>/results/<seq>.txt`` and, with ``postprocess``,
    ``<out_dir>/results_nms/<seq>.txt`` (the files to submit)."""
    paths = [osp.join(out_dir, 'results', f'{seq_name}.txt')]
    write_mots_txt(paths[0], dict(frames))
    if postprocess:
        paths.append(osp.join(out_dir, 'results_nms', f'{seq_name}.txt'))
        write_mots_txt(paths[1], kitti_mots_postprocess(frames))
    return paths
