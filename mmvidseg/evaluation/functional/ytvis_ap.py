# Copyright (c) mmvidseg contributors. All rights reserved.
"""YouTube-VIS / OVIS track AP, exact and fast.

Re-implements the official evaluation of YouTube-VIS 2019 / 2021 / 2022 and
OVIS: ``youtubevos/cocoapi: PythonAPI/pycocotools/ytvoseval.py`` (class
``YTVOSeval``), vendored by mmdet as
``mmdet/evaluation/functional/ytviseval.py`` (``YTVISeval``), which is broken
on NumPy >= 1.24 (``np.float``).

Definition (identical to the official code):

* Track IoU is spatio-temporal: per-frame intersections summed over frames
  divided by per-frame unions summed over frames; a frame where only one track
  has a mask adds that mask's area to the union.
* IoU thresholds 0.50:0.05:0.95, 101 recall points, max detections
  ``(1, 10, 100)`` per video and category (the list is cut at 100 after a
  stable sort by score), area ranges on the *average* per-frame area over the
  frames where the object has a non-empty mask: all, small ``[0, 128^2]``,
  medium ``[128^2, 256^2]``, large ``[256^2, 1e10]`` (both ends inclusive).
* COCO-style greedy matching per video and category, COCO ``accumulate`` and
  the 12 summary numbers AP, AP50, AP75, AP_S, AP_M, AP_L, AR1, AR10, AR100,
  AR_S, AR_M, AR_L (``-1`` where nothing defines them).

Parity quirks reproduced on purpose:

* The ground-truth ``ignore`` flag is overwritten by ``iscrowd`` (line-order
  bug upstream): only ``iscrowd`` marks a ground truth as ignored.
* Ground-truth average areas come from the annotation's ``areas`` field
  (zero / null entries skipped), prediction areas from their masks.
* A match to a ground truth whose ``id`` is 0 counts as unmatched in
  ``accumulate`` (upstream stores the id in the match matrix).
* Ties in score keep the order of the results list (stable merge sorts),
  across videos in ascending video id.

Deliberate deviations (they only turn upstream crashes or silent garbage into
results or clear errors, never change a number of a valid input):

* Empty results give AP 0 instead of an ``IndexError``.
* A missing ``iscrowd`` means 0 (upstream: ``KeyError``); a missing ``areas``
  field is computed from the masks (upstream: ``KeyError``).
* Predictions may use uncompressed RLE (upstream: crash); polygons are
  rejected with a clear error.
* Invalid results (unknown video or category, wrong frame count or mask size)
  are rejected by :func:`mmvidseg.evaluation.functional.ytvis_io.
  check_ytvis_results` before scoring instead of being dropped, truncated or
  scored as IoU 0.

Speed: the track IoUs come from :mod:`.ytvis_iou`: every RLE is parsed once
for its area (``pycocotools.mask.area``, in chunks), pairs that cannot reach
IoU 0.5 are dropped from area bounds alone, and the intersections of the
others come from one ``pycocotools.mask.iou`` call per frame (frames with
the largest possible overlap first, bounds refined after each chunk), instead
of two merges per prediction, ground truth and frame. Matching caches
identical ignore patterns, categories without ground truth skip matching,
and ``accumulate`` is vectorised over IoU thresholds. The remaining time is
mostly pycocotools' own RLE parsing (about 0.7 us per mask of 360x640);
see ``tools/analysis_tools/benchmark_ytvis_eval.py``.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np

from .ytvis_iou import VideoTrack, mask_areas, video_ious

IOU_THRS = np.linspace(
    .5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
REC_THRS = np.linspace(
    .0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)
MAX_DETS = (1, 10, 100)
AREA_RANGES = ((0**2, 1e5**2), (0**2, 128**2), (128**2, 256**2),
               (256**2, 1e5**2))
AREA_LABELS = ('all', 'small', 'medium', 'large')
_AREA_LO = np.array([r[0] for r in AREA_RANGES], dtype=np.float64)
_AREA_HI = np.array([r[1] for r in AREA_RANGES], dtype=np.float64)
# (name, is_ap, iou_thr, area label, max_dets index) of the 12 summary stats.
SUMMARY = (('AP', True, None, 'all', 2), ('AP50', True, .5, 'all', 2),
           ('AP75', True, .75, 'all', 2), ('AP_S', True, None, 'small', 2),
           ('AP_M', True, None, 'medium', 2), ('AP_L', True, None, 'large', 2),
           ('AR1', False, None, 'all', 0), ('AR10', False, None, 'all', 1),
           ('AR100', False, None, 'all', 2), ('AR_S', False, None, 'small', 2),
           ('AR_M', False, None, 'medium', 2),
           ('AR_L', False, None, 'large', 2))


def _match(ious: np.ndarray, gt_ids: List[int], gt_ignore: List[bool],
           gt_crowd: List[bool]) -> Tuple[np.ndarray, np.ndarray]:
    """Greedy COCO matching at every IoU threshold (upstream evaluateVid).

    Args:
        ious (np.ndarray): (D, G) IoUs, predictions by descending score,
            ground truths with the ignored ones last.
        gt_ids (list[int]): Ids of the G ground truths.
        gt_ignore (list[bool]): Ignore flag of each ground truth.
        gt_crowd (list[bool]): Crowd flag (may be matched more than once).

    Returns:
        tuple[np.ndarray, np.ndarray]: (T, D) matched ground-truth id (0 for
        none) and (T, D) "matched to an ignored ground truth".
    """
    num_thr, (num_dt, num_gt) = len(IOU_THRS), ious.shape
    dtm = np.zeros((num_thr, num_dt), dtype=np.int64)
    dt_ig = np.zeros((num_thr, num_dt), dtype=bool)
    if num_dt == 0 or num_gt == 0:
        return dtm, dt_ig
    # predictions below the lowest threshold with every gt never match
    cand = np.flatnonzero(ious.max(1) >= min(IOU_THRS[0], 1 - 1e-10))
    if cand.size == 0:
        return dtm, dt_ig
    rows = ious[cand].tolist()
    cand = cand.tolist()
    for ti, thr in enumerate(IOU_THRS.tolist()):
        thr = min(thr, 1 - 1e-10)
        taken = [False] * num_gt
        for d, row in zip(cand, rows):
            best, m = thr, -1
            for g in range(num_gt):
                if taken[g] and not gt_crowd[g]:
                    continue
                if m > -1 and not gt_ignore[m] and gt_ignore[g]:
                    break
                if row[g] < best:
                    continue
                best, m = row[g], g
            if m == -1:
                continue
            dt_ig[ti, d] = gt_ignore[m]
            dtm[ti, d] = gt_ids[m]
            taken[m] = True
    return dtm, dt_ig


class _Accumulator:
    """Per (category, area range) lists of per-video matching results."""

    def __init__(self, num_cats: int) -> None:
        shape = (num_cats, len(AREA_RANGES))
        self.scores = np.empty(shape, dtype=object)
        for idx in np.ndindex(shape):
            self.scores[idx] = []
        self.dtm = np.empty(shape, dtype=object)
        self.dt_ig = np.empty(shape, dtype=object)
        for idx in np.ndindex(shape):
            self.dtm[idx], self.dt_ig[idx] = [], []
        self.num_pos = np.zeros(shape, dtype=np.int64)
        self.seen = np.zeros(shape, dtype=bool)

    def add(self, k: int, a: int, scores: np.ndarray, dtm: np.ndarray,
            dt_ig: np.ndarray, num_pos: int) -> None:
        self.seen[k, a] = True
        self.scores[k, a].append(scores)
        self.dtm[k, a].append(dtm)
        self.dt_ig[k, a].append(dt_ig)
        self.num_pos[k, a] += num_pos

    def precision_recall(self) -> Tuple[np.ndarray, np.ndarray]:
        """Upstream ``accumulate``: (T, R, K, A, M) precision, (T, K, A, M)
        recall, -1 where undefined."""
        num_thr, num_rec = len(IOU_THRS), len(REC_THRS)
        num_cats, num_areas = self.seen.shape
        precision = -np.ones(
            (num_thr, num_rec, num_cats, num_areas, len(MAX_DETS)))
        recall = -np.ones((num_thr, num_cats, num_areas, len(MAX_DETS)))
        for k, a in zip(*np.nonzero(self.seen & (self.num_pos > 0))):
            npig = self.num_pos[k, a]
            scores = self.scores[k, a]
            ranks = np.concatenate([np.arange(len(s)) for s in scores])
            scores = np.concatenate(scores)
            dtm = np.concatenate(self.dtm[k, a], axis=1)  # (T, N)
            dt_ig = np.concatenate(self.dt_ig[k, a], axis=1)  # (T, N)
            for m, max_det in enumerate(MAX_DETS):
                keep = ranks < max_det
                order = np.argsort(-scores[keep], kind='mergesort')
                ig = dt_ig[:, keep][:, order]
                matched = dtm[:, keep][:, order] != 0
                tps = np.cumsum(matched & ~ig, axis=1).astype(np.float64)
                fps = np.cumsum(~matched & ~ig, axis=1).astype(np.float64)
                num_det = tps.shape[1]
                if not num_det:
                    recall[:, k, a, m] = 0
                    precision[:, :, k, a, m] = 0
                    continue
                rc = tps / npig  # (T, N)
                pr = tps / (fps + tps + np.spacing(1))  # (T, N)
                recall[:, k, a, m] = rc[:, -1]
                # interpolated precision: max over the later detections
                pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]
                inds = np.stack([
                    np.searchsorted(row, REC_THRS, side='left') for row in rc
                ])  # (T, R)
                valid = inds < num_det
                q = np.zeros((num_thr, num_rec))
                rows = np.nonzero(valid)[0]
                q[valid] = pr[rows, inds[valid]]
                precision[:, :, k, a, m] = q
        return precision, recall


def summarize(precision: np.ndarray, recall: np.ndarray) -> Dict[str, float]:
    """The 12 upstream summary numbers (``summarize`` / ``_summarizeDets``).

    Args:
        precision (np.ndarray): (T, R, K, A, M) from accumulation.
        recall (np.ndarray): (T, K, A, M) from accumulation.

    Returns:
        dict[str, float]: AP, AP50, AP75, AP_S, AP_M, AP_L, AR1, AR10, AR100,
        AR_S, AR_M, AR_L; -1 where no value is defined.
    """
    stats = {}
    for name, is_ap, iou_thr, area, m in SUMMARY:
        a = AREA_LABELS.index(area)
        s = precision[..., a, m] if is_ap else recall[..., a, m]
        if iou_thr is not None:
            s = s[np.where(iou_thr == IOU_THRS)[0]]
        valid = s[s > -1]
        stats[name] = float(np.mean(valid)) if valid.size else -1.
    return stats


def evaluate_ytvis(videos: Dict[int, int],
                   category_ids: Sequence[int],
                   gt_tracks: Dict[int, List[VideoTrack]],
                   dt_tracks: Dict[int, List[VideoTrack]],
                   return_arrays: bool = False) -> Dict:
    """Score predicted tracks against ground truth, as upstream YTVOSeval.

    Inputs come from :func:`mmvidseg.evaluation.functional.ytvis_io.
    load_ytvis_gt` and :func:`~mmvidseg.evaluation.functional.ytvis_io.
    load_ytvis_results`, which validate them.

    Args:
        videos (dict[int, int]): Video id -> number of frames (all GT videos).
        category_ids (Sequence[int]): Category ids of the ground truth.
        gt_tracks (dict[int, list[VideoTrack]]): Per video, its ground-truth
            tracks in annotation order.
        dt_tracks (dict[int, list[VideoTrack]]): Per video, its predicted
            tracks in results order.
        return_arrays (bool): Also return ``precision`` (T, R, K, A, M) and
            ``recall`` (T, K, A, M). Defaults to False.

    Returns:
        dict: the 12 summary numbers (see :func:`summarize`), plus the arrays
        when asked.
    """
    cat_ids = sorted(set(category_ids))
    cat_index = {c: k for k, c in enumerate(cat_ids)}
    acc = _Accumulator(len(cat_ids))
    for vid in sorted(videos):
        num_frames = videos[vid]
        by_cat: Dict[int, Tuple[list, list]] = {}
        for g in gt_tracks.get(vid, []):
            if g.category_id in cat_index:
                by_cat.setdefault(g.category_id, ([], []))[0].append(g)
        for d in dt_tracks.get(vid, []):
            if d.category_id in cat_index:
                by_cat.setdefault(d.category_id, ([], []))[1].append(d)
        kept = {}
        for cat, (gts, dts) in by_cat.items():
            order = np.argsort([-d.score for d in dts], kind='mergesort')
            kept[cat] = (gts, [dts[i] for i in order[:MAX_DETS[-1]]])
        mask_areas([t for g, d in kept.values() for t in g + d], num_frames)
        all_ious = video_ious([(d, g) for g, d in kept.values()], num_frames,
                              min_iou=min(IOU_THRS[0], 1 - 1e-10))
        for (cat, (gts, dts)), ious in zip(kept.items(), all_ious):
            _evaluate_video_category(acc, cat_index[cat], gts, dts, ious)
            for t in gts + dts:
                t.areas = None  # free memory early
    precision, recall = acc.precision_recall()
    out: Dict = summarize(precision, recall)
    if return_arrays:
        out.update(precision=precision, recall=recall)
    return out


def _evaluate_video_category(acc: _Accumulator, k: int,
                             gts: List[VideoTrack], dts: List[VideoTrack],
                             ious: np.ndarray) -> None:
    """Match one (video, category) at every area range and store it."""
    scores = np.array([d.score for d in dts], dtype=np.float64)
    dt_area = np.array([d.avg_area for d in dts], dtype=np.float64)
    # (A, D) "prediction outside the area range"
    out_of_range = (dt_area[None] < _AREA_LO[:, None]) | (
        dt_area[None] > _AREA_HI[:, None])
    num_thr = len(IOU_THRS)
    if not gts:  # nothing to match: unmatched everywhere
        dtm = np.zeros((num_thr, len(dts)), dtype=np.int64)
        dt_ig = np.repeat(out_of_range[:, None], num_thr, axis=1)  # (A, T, D)
        for a in range(len(AREA_RANGES)):
            acc.add(k, a, scores, dtm, dt_ig[a], 0)
        return
    gt_area = np.array([g.avg_area for g in gts], dtype=np.float64)
    crowd = np.array([bool(g.iscrowd) for g in gts], dtype=bool)
    cache: Dict[bytes, Tuple[np.ndarray, np.ndarray]] = {}
    for a, (lo, hi) in enumerate(AREA_RANGES):
        ignore = crowd | (gt_area < lo) | (gt_area > hi)
        key = ignore.tobytes()
        if key not in cache:
            gt_order = np.argsort(ignore.astype(np.int64), kind='mergesort')
            cache[key] = _match(
                ious[:, gt_order], [gts[i].track_id for i in gt_order],
                ignore[gt_order].tolist(), crowd[gt_order].tolist())
        dtm, dt_ig = cache[key]
        dt_ig = dt_ig | ((dtm == 0) & out_of_range[a][None, :])
        acc.add(k, a, scores, dtm, dt_ig, int(np.count_nonzero(~ignore)))
