# Copyright (c) mmvidseg contributors. All rights reserved.
"""Spatio-temporal track IoU of YouTube-VIS / OVIS, exact and fast.

Upstream (``youtubevos/cocoapi: PythonAPI/pycocotools/ytvoseval.py``,
``computeIoU`` / ``iou_seq``) merges every (prediction, ground truth, frame)
triple twice in Python. Here the per-frame mask areas come from
``pycocotools.mask.area`` (each RLE parsed once), and the intersections from
one ``pycocotools.mask.iou`` call per chunk of frames (with ``iscrowd=1`` it
returns ``intersection / area(prediction)``, turned back into the exact
integer; frames are told apart by giving each a different mask width, which
makes ``rleIou`` skip cross-frame pairs, see :func:`_frame_ratios`); the
union is ``sum(area_pred) + sum(area_gt) - intersection``. All sums are
of integers, so the IoUs are bitwise the upstream ones. Pairs that provably
cannot reach the lowest IoU threshold (area bound, refined frame chunk by
frame chunk) are not intersected at all.
"""
from itertools import compress
from typing import List, Optional, Sequence, Tuple

import numpy as np
from pycocotools import mask as mask_utils

from mmvidseg.structures.masks import empty_rle, rle_areas, to_coco_rle


class VideoTrack:
    """One ground-truth or predicted track of one video, ready to score.

    Args:
        track_id (int): Annotation id (ground truth) or 1-based position in the
            results list (prediction), as upstream.
        category_id (int): Category id (1-based as in the JSON).
        segms (list): Per frame a compressed RLE dict or None (absent).
        score (float): Prediction score; 0 for ground truth.
        iscrowd (bool): Ground truth to ignore (crowd).
        avg_area (float | None): Average area over the frames with a
            non-empty mask; None means "compute from the masks" (done in
            :func:`evaluate_ytvis`).
    """

    __slots__ = ('track_id', 'category_id', 'segms', 'score', 'iscrowd',
                 'avg_area', 'areas', 'total_area')

    def __init__(self, track_id: int, category_id: int, segms: list,
                 score: float = 0., iscrowd: bool = False,
                 avg_area: Optional[float] = None) -> None:
        self.track_id = track_id
        self.category_id = category_id
        self.segms = segms
        self.score = score
        self.iscrowd = iscrowd
        self.avg_area = avg_area
        self.areas: Optional[np.ndarray] = None  # (T, ) mask areas
        self.total_area = 0  # sum of ``areas``


def mask_areas(tracks: Sequence[VideoTrack], num_frames: int) -> None:
    """Fill ``track.areas`` (T,) with RLE areas (0 where absent), and
    ``avg_area`` where it is None (predictions)."""
    for tr in tracks:  # uncompressed RLE counts: compress once, here
        if any(s and isinstance(s['counts'], list) for s in tr.segms):
            tr.segms = [to_coco_rle(s) if s else None for s in tr.segms]
    segms = [s for tr in tracks for s in tr.segms]
    present = np.fromiter(map(bool, segms), dtype=bool, count=len(segms))
    flat = np.zeros(len(tracks) * num_frames, dtype=np.int64)
    if present.any():
        flat[present] = rle_areas(list(compress(segms, present.tolist())))
    areas = flat.reshape(len(tracks), num_frames)  # (N, T)
    # upstream: np.array([a for a in areas if a]).mean(), else 0; a float64
    # sum of integers is exact, so sum / count is bitwise that mean
    count = (areas != 0).sum(1)
    total = areas.sum(1)
    avg = np.zeros(len(tracks))
    np.divide(total, count, out=avg, where=count > 0)
    for track, row, mean, num, tot in zip(tracks, areas, avg.tolist(),
                                          count.tolist(), total.tolist()):
        track.areas = row
        track.total_area = tot
        if track.avg_area is None:
            track.avg_area = mean if num else 0


def _frame_ratios(dt_frames: List[list], gt_frames: List[Sequence],
                  height: int, width: int, empty_counts) -> np.ndarray:
    """``intersection / area(prediction)`` of every (prediction, ground
    truth) pair of every frame, in ONE ``pycocotools.mask.iou`` call.

    Frame ``f``'s masks are given the size ``(height, width + f)``: the
    counts (hence bounding boxes and intersections) are unchanged, but
    ``rleIou`` answers -1 without merging for a pair of different sizes, so
    pairs across frames cost a box test only. Absent masks become empty ones.

    Args:
        dt_frames (list[list]): F x R prediction RLEs (or None).
        gt_frames (list[Sequence]): F x G ground-truth RLEs (or None).

    Returns:
        np.ndarray: (F, R, G) ratios.
    """
    num_f, num_r, num_g = len(dt_frames), len(dt_frames[0]), len(gt_frames[0])
    dt_list, gt_list = [], []
    for f, (dt_col, gt_col) in enumerate(zip(dt_frames, gt_frames)):
        size = [height, width + f]
        dt_list += [dict(size=size, counts=s['counts'] if s else empty_counts)
                    for s in dt_col]
        gt_list += [dict(size=size, counts=s['counts'] if s else empty_counts)
                    for s in gt_col]
    out = mask_utils.iou(dt_list, gt_list, [1] * len(gt_list))
    out = np.asarray(out).reshape(num_f, num_r, num_f, num_g)
    diag = np.arange(num_f)
    return out[diag, :, diag, :]  # (F, R, G): same-frame pairs


def _intersections(dts: Sequence[VideoTrack], gts: Sequence[VideoTrack],
                   num_frames: int, same: np.ndarray, min_iou: float,
                   chunk: int = 2) -> Tuple[np.ndarray, np.ndarray]:
    """Intersections (summed over frames) of predictions with ground truths.

    One ``pycocotools.mask.iou`` call per chunk of frames
    (:func:`_frame_ratios`): with ``iscrowd=1`` it gives ``intersection /
    area(prediction)`` (0 for an empty mask), turned back into the exact
    integer with the prediction's area; absent masks are replaced by an
    empty one (pycocotools skips it by its empty box). Frames go in chunks
    (the frames with the largest possible overlap first); after each chunk a
    prediction whose IoU upper bound (exact on the frames done, area bound on
    the others) is below ``min_iou`` with every ground truth of its category
    (``same``) is dropped: its IoUs are then known to be below ``min_iou``.
    A chunk that drops nothing doubles the next chunk (fewer pruning steps
    for the predictions that do match).

    Args:
        dts, gts: D predictions and G ground truths, ``areas`` filled.
        num_frames (int): Frames of the video.
        same (np.ndarray): (D, G) bool, pairs of the same category.
        min_iou (float): IoU below which pairs need not be exact.
        chunk (int): Frames of the first pruning step.

    Returns:
        tuple[np.ndarray, np.ndarray]: (D, G) int64 intersections, exact for
        the kept predictions, and (D, ) bool "kept".
    """
    dt_areas = np.stack([d.areas for d in dts])  # (D, T)
    gt_areas = np.stack([g.areas for g in gts])  # (G, T)
    inter = np.zeros((len(dts), len(gts)), dtype=np.int64)
    alive = np.ones(len(dts), dtype=bool)
    lo_t = np.minimum(dt_areas[:, None], gt_areas[None])  # (D, G, T)
    overlap = (lo_t * same[..., None]).sum((0, 1))  # (T, )
    # frames where some pair can intersect, largest possible overlap first
    frames = np.flatnonzero(overlap)
    if frames.size == 0:
        return inter, alive
    frames = frames[np.argsort(-overlap[frames], kind='stable')]
    height, width = next(s for g in gts for s in g.segms if s)['size']
    empty_counts = empty_rle(height, width)['counts']
    dt_cols = list(zip(*[d.segms for d in dts]))  # T x (D, )
    gt_cols = list(zip(*[g.segms for g in gts]))  # T x (G, )
    hi_t = np.maximum(dt_areas[:, None], gt_areas[None])  # (D, G, T)
    # state of the R predictions still kept (compacted when some are dropped)
    rows = np.arange(len(dts))
    c_same, c_areas, c_lo_t, c_hi_t = same, dt_areas, lo_t, hi_t
    c_inter = np.zeros((len(dts), len(gts)), dtype=np.int64)  # (R, G)
    c_union = np.zeros((len(dts), len(gts)), dtype=np.int64)  # frames done
    # per pair: sum over frames not done yet of min / max area (bounds)
    rest_lo, rest_hi = lo_t.sum(-1), hi_t.sum(-1)  # (R, G)
    pos = 0
    while pos < frames.size:
        rows_l = rows.tolist()
        fs = frames[pos:pos + chunk]
        pos += fs.size
        lo_c = c_lo_t[:, :, fs]  # (R, G, F)
        # frames where some kept pair of the same category can intersect
        need = np.flatnonzero((lo_c * c_same[..., None]).any((0, 1)))
        ratios = np.zeros((fs.size, rows.size, len(gts)))  # (F, R, G)
        # at most ~4M pairs (incl. the cross-frame ones) per iou call
        step = max(1, int((4e6 / (rows.size * len(gts)))**.5))
        for start in range(0, need.size, step):
            sub = need[start:start + step]
            ratios[sub] = _frame_ratios(
                [[dt_cols[t][i] for i in rows_l] for t in fs[sub].tolist()],
                [gt_cols[t] for t in fs[sub].tolist()], height, width,
                empty_counts)
        a_dt = c_areas[:, fs].T[:, :, None]  # (F, R, 1)
        a_gt = gt_areas[:, fs].T[:, None, :]  # (F, 1, G)
        i_t = np.rint(ratios * a_dt).astype(np.int64)  # (F, R, G)
        c_inter += i_t.sum(0)
        c_union += (a_dt + a_gt - i_t).sum(0)
        rest_lo -= lo_c.sum(-1)
        rest_hi -= c_hi_t[:, :, fs].sum(-1)
        if min_iou > 0 and pos < frames.size:
            num, den = c_inter + rest_lo, c_union + rest_hi
            bound = np.zeros(num.shape)
            np.divide(num, den, out=bound, where=den > 0)
            keep = ((bound >= min_iou) & c_same).any(1)  # (R, )
            if keep.all():
                chunk *= 2
                continue
            rows, c_same, c_areas = rows[keep], c_same[keep], c_areas[keep]
            c_lo_t, c_hi_t = c_lo_t[keep], c_hi_t[keep]
            c_inter, c_union = c_inter[keep], c_union[keep]
            rest_lo, rest_hi = rest_lo[keep], rest_hi[keep]
            if rows.size == 0:
                break
    alive[:] = False
    alive[rows] = True
    inter[rows] = c_inter
    return inter, alive


def _iou_upper_bound(dt_areas: np.ndarray,
                     gt_areas: np.ndarray) -> np.ndarray:
    """(D, G) ``sum_t min(area) / sum_t max(area)`` >= the track IoU."""
    lo = np.minimum(dt_areas[:, None], gt_areas[None]).sum(-1)  # (D, G)
    hi = np.maximum(dt_areas[:, None], gt_areas[None]).sum(-1)  # (D, G)
    bound = np.zeros(lo.shape)
    np.divide(lo, hi, out=bound, where=hi > 0)
    return bound


def video_ious(pairs: Sequence[Tuple[List[VideoTrack], List[VideoTrack]]],
               num_frames: int, min_iou: float = 0.) -> List[np.ndarray]:
    """Spatio-temporal mask IoUs of one video, per category.

    Equal to upstream ``iou_seq``: per-frame intersections summed over
    frames divided by per-frame unions summed over frames (a frame where only
    one track has a mask adds its area to the union); 0 for an empty union.
    The union is ``sum(area_dt) + sum(area_gt) - intersection``, all integer
    sums, so the IoUs are bitwise the upstream ones. Pairs whose IoU cannot
    reach ``min_iou`` (:func:`_iou_upper_bound` below it) are not intersected
    and get 0.

    Args:
        pairs (Sequence[tuple[list, list]]): Per category (predictions,
            ground truths), ``areas`` (T,) filled.
        num_frames (int): Frames of the video.
        min_iou (float): IoUs below this value may be reported as 0.
            Defaults to 0 (all exact).

    Returns:
        list[np.ndarray]: Per category, (D, G) float64 IoUs.
    """
    cands, all_dts, all_gts = [], [], []
    for dts, gts in pairs:
        cand = np.zeros(0, dtype=np.int64)
        if dts and gts:
            cand = np.arange(len(dts))
            if min_iou > 0:
                bound = _iou_upper_bound(
                    np.stack([d.areas for d in dts]),
                    np.stack([g.areas for g in gts]))
                cand = np.flatnonzero((bound >= min_iou).any(1))
        cands.append(cand)
        if cand.size:
            all_dts += [dts[i] for i in cand.tolist()]
            all_gts += gts
    inter_all = alive_all = None
    if all_dts:
        same = np.zeros((len(all_dts), len(all_gts)), dtype=bool)
        d0 = g0 = 0
        for cand, (_, gts) in zip(cands, pairs):
            if cand.size:
                same[d0:d0 + cand.size, g0:g0 + len(gts)] = True
                d0, g0 = d0 + cand.size, g0 + len(gts)
        inter_all, alive_all = _intersections(all_dts, all_gts, num_frames,
                                              same, min_iou)
    out, d0, g0 = [], 0, 0
    for (dts, gts), cand in zip(pairs, cands):
        inter = np.zeros((len(dts), len(gts)), dtype=np.int64)
        if cand.size:
            keep = alive_all[d0:d0 + cand.size]
            inter[cand[keep]] = inter_all[d0:d0 + cand.size,
                                          g0:g0 + len(gts)][keep]
            d0, g0 = d0 + cand.size, g0 + len(gts)
        ious = np.zeros((len(dts), len(gts)))
        if dts and gts:
            dt_sum = np.array([d.total_area for d in dts], dtype=np.int64)
            gt_sum = np.array([g.total_area for g in gts], dtype=np.int64)
            union = dt_sum[:, None] + gt_sum[None, :] - inter
            np.divide(inter, union, out=ious, where=union > 0)
        out.append(ious)
    return out
