# Copyright (c) mmvidseg contributors. All rights reserved.
"""Video Panoptic Quality (VPQ) by tube matching, pure numpy."""
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

VOID = 0

#: window lengths (number of annotated frames per tube) of each convention
WINDOW_CONVENTIONS: Dict[str, Tuple[int, ...]] = {
    # Cityscapes-VPS: k = (nframes - 1) * 5 in {0, 5, 10, 15}
    'cityscapes_vps': (1, 2, 3, 4),
    # VIPSeg: nframes in {1, 2, 4, 6, 8} consecutive frames
    'vipseg': (1, 2, 4, 6, 8),
}


def window_name(convention: str, nframes: int) -> str:
    """Official name of a window: ``k{(n-1)*5}`` (CVPS) / ``nframes{n}``."""
    if convention == 'cityscapes_vps':
        return f'k{(nframes - 1) * 5}'
    return f'nframes{nframes}'


@dataclass
class FrameStats:
    """Per-frame sufficient statistics of the VPQ tube matching.

    Attributes:
        gt_segments: GT segment id -> ``[category_id, iscrowd, area]``
            (area from the JSON, as upstream).
        pred_segments: predicted segment id -> ``[category_id, area]``
            (area counted in the PNG, as upstream).
        pairs: ``(gt_id, pred_id) -> intersection`` pixel counts, including
            the void (0) rows / columns.
    """
    gt_segments: Dict[int, list] = field(default_factory=dict)
    pred_segments: Dict[int, list] = field(default_factory=dict)
    pairs: Dict[Tuple[int, int], int] = field(default_factory=dict)


class _IdLookup:
    """Maps 24-bit segment ids to compact indices with one lookup table."""

    def __init__(self) -> None:
        self._lut: Optional[np.ndarray] = None

    def compact(self, ids_map: np.ndarray, known: np.ndarray,
                unknown_index: int) -> np.ndarray:
        if self._lut is None:
            self._lut = np.full(256**3, -1, dtype=np.int32)
        lut = self._lut
        lut[known] = np.arange(len(known), dtype=np.int32)
        out = lut[ids_map]
        lut[known] = -1
        if unknown_index >= 0:
            out[out < 0] = unknown_index
        return out


_LOOKUP = _IdLookup()


def frame_stats(gt_ids: np.ndarray, pred_ids: np.ndarray,
                gt_segments_info: Sequence[Mapping],
                pred_segments_info: Sequence[Mapping],
                categories: Mapping[int, Mapping],
                where: str = '') -> FrameStats:
    """Collects one frame's areas and GT x prediction intersections.

    Args:
        gt_ids: ``(H, W)`` GT segment ids (0 = void).
        pred_ids: ``(H, W)`` predicted segment ids (0 = void).
        gt_segments_info: GT ``segments_info`` ({id, category_id, iscrowd,
            area}) of the frame.
        pred_segments_info: predicted ``segments_info`` ({id,
            category_id}) of the frame.
        categories: category id -> category dict (with ``isthing``).
        where: ``video ... frame ...`` used in error messages.

    Raises:
        ValueError / KeyError: on shape mismatch, PNG ids missing from the
            JSON (or the reverse) and unknown category ids, naming ``where``.
    """
    if gt_ids.shape != pred_ids.shape:
        raise ValueError(f'{where}: prediction mask size {pred_ids.shape} '
                         f'does not match the ground truth {gt_ids.shape}')
    stats = FrameStats()
    gt_areas: Dict[int, int] = {}
    for el in gt_segments_info:
        if 'area' in el:
            gt_areas[el['id']] = gt_areas.get(el['id'], 0) + int(el['area'])
        if el['id'] not in stats.gt_segments:
            stats.gt_segments[el['id']] = [el['category_id'],
                                           el.get('iscrowd', 0), None]
    for el in pred_segments_info:
        if el['id'] not in stats.pred_segments:
            stats.pred_segments[el['id']] = [el['category_id'], 0]

    gt_known = np.array(sorted({VOID, *stats.gt_segments}), dtype=np.int64)
    pred_known = np.array(sorted({VOID, *stats.pred_segments}),
                          dtype=np.int64)
    n_gt, n_pred = len(gt_known) + 1, len(pred_known)
    g_idx = _LOOKUP.compact(gt_ids, gt_known, len(gt_known))
    p_idx = _LOOKUP.compact(pred_ids, pred_known, -1)
    if (p_idx < 0).any():
        bad = np.unique(pred_ids[p_idx < 0]).tolist()[:10]
        raise KeyError(f'{where}: segment ids {bad} are present in the '
                       'prediction PNG but not in its segments_info (JSON)')
    counts = np.bincount((g_idx.astype(np.int64) * n_pred + p_idx).ravel(),
                         minlength=n_gt * n_pred).reshape(n_gt, n_pred)
    pred_area = counts.sum(0)  # (n_pred,)
    for j, pid in enumerate(pred_known.tolist()):
        if pid == VOID and pid not in stats.pred_segments:
            continue
        if pred_area[j] == 0:
            raise KeyError(f'{where}: segment id {pid} is listed in the '
                           'prediction JSON but absent from its PNG')
        seg = stats.pred_segments[pid]
        if seg[0] not in categories:
            raise KeyError(f'{where}: predicted segment {pid} has unknown '
                           f'category_id {seg[0]}')
        seg[1] = int(pred_area[j])
    gt_area_png = counts.sum(1)
    for i, gid in enumerate(gt_known.tolist()):
        if gid in stats.gt_segments:
            stats.gt_segments[gid][2] = gt_areas.get(gid,
                                                     int(gt_area_png[i]))
    gi, pj = np.nonzero(counts)
    gt_lookup = gt_known.tolist() + [-1]  # -1: GT ids missing in the JSON
    pred_lookup = pred_known.tolist()
    stats.pairs = {(gt_lookup[a], pred_lookup[b]): int(counts[a, b])
                   for a, b in zip(gi.tolist(), pj.tolist())}
    return stats


def _window_pq(frames: Sequence[FrameStats], stat: Dict[int, list],
               where: str) -> None:
    """Tube matching on one window; adds into ``stat[cat] = [iou, tp, fp,
    fn]``."""
    gt_segs: Dict[int, list] = {}
    pred_segs: Dict[int, list] = {}
    pairs: Dict[Tuple[int, int], int] = defaultdict(int)
    for fr in frames:
        for k, v in fr.gt_segments.items():
            if k in gt_segs:
                gt_segs[k][2] += v[2]
            else:
                gt_segs[k] = list(v)
        for k, v in fr.pred_segments.items():
            if k in pred_segs:
                pred_segs[k][1] += v[1]
            else:
                pred_segs[k] = list(v)
        for k, v in fr.pairs.items():
            pairs[k] += v
    gt_matched, pred_matched = set(), set()
    for (g, p), inter in pairs.items():
        if g not in gt_segs or p not in pred_segs:
            continue
        gcat, crowd, garea = gt_segs[g]
        if crowd == 1 or gcat != pred_segs[p][0]:
            continue
        union = pred_segs[p][1] + garea - inter - pairs.get((VOID, p), 0)
        iou = inter / union
        if iou > 1.0:
            raise ValueError(f'{where}: IoU {iou} > 1 for GT segment {g}; '
                             'its "area" in the GT JSON is wrong')
        if iou > 0.5:
            s = stat[gcat]
            s[1] += 1
            s[0] += iou
            gt_matched.add(g)
            pred_matched.add(p)
    crowd_by_cat: Dict[int, int] = {}
    for g, (gcat, crowd, _) in gt_segs.items():
        if g in gt_matched:
            continue
        if crowd == 1:
            crowd_by_cat[gcat] = g
            continue
        stat[gcat][3] += 1
    for p, (pcat, parea) in pred_segs.items():
        if p in pred_matched:
            continue
        inter = pairs.get((VOID, p), 0)
        if pcat in crowd_by_cat:
            inter += pairs.get((crowd_by_cat[pcat], p), 0)
        if inter / parea > 0.5:
            continue
        stat[pcat][2] += 1


def video_pq_stats(frames: Sequence[FrameStats], nframes: int,
                   stat: Optional[Dict[int, list]] = None,
                   where: str = '') -> Dict[int, list]:
    """Sums the tube statistics of all ``nframes``-long windows of a video.

    Windows start at every frame ``range(0, len(frames) - nframes + 1)``.
    Returns ``{category_id: [iou_sum, tp, fp, fn]}``.
    """
    if stat is None:
        stat = defaultdict(lambda: [0.0, 0, 0, 0])
    for start in range(0, len(frames) - nframes + 1):
        _window_pq(frames[start:start + nframes], stat,
                   f'{where} window {start}:{start + nframes}')
    return stat


def pq_average(stat: Mapping[int, list], categories: Mapping[int, Mapping],
               isthing: Optional[bool]) -> Tuple[dict, dict]:
    """PQ / SQ / RQ averaged over categories (skipping empty ones).

    Returns ``({'pq', 'sq', 'rq', 'n'}, per_class)``; values are NaN when no
    category has TP + FP + FN > 0 (upstream raises ZeroDivisionError).
    """
    pq = sq = rq = 0.0
    n = 0
    per_class = {}
    for cat, info in categories.items():
        if isthing is not None and (info.get('isthing') == 1) != isthing:
            continue
        iou, tp, fp, fn = stat.get(cat, (0.0, 0, 0, 0))
        if tp + fp + fn == 0:
            per_class[cat] = dict(pq=0.0, sq=0.0, rq=0.0, iou=0.0, tp=0,
                                  fp=0, fn=0)
            continue
        n += 1
        denom = tp + 0.5 * fp + 0.5 * fn
        pq_c, sq_c, rq_c = iou / denom, (iou / tp if tp else 0), tp / denom
        per_class[cat] = dict(pq=pq_c, sq=sq_c, rq=rq_c, iou=iou, tp=tp,
                              fp=fp, fn=fn)
        pq, sq, rq = pq + pq_c, sq + sq_c, rq + rq_c
    if n == 0:
        nan = float('nan')
        return dict(pq=nan, sq=nan, rq=nan, n=0), per_class
    return dict(pq=pq / n, sq=sq / n, rq=rq / n, n=n), per_class


def compute_vpq(videos: Mapping[str, Sequence[FrameStats]],
                categories: Mapping[int, Mapping],
                convention: str = 'vipseg',
                nframes_list: Optional[Sequence[int]] = None) -> dict:
    """VPQ of all videos for every window length, and their mean.

    Args:
        videos: video id -> its annotated frames' :class:`FrameStats`.
        categories: category id -> ``{'isthing': 0/1, ...}``.
        convention: ``'cityscapes_vps'`` (k = 0, 5, 10, 15) or ``'vipseg'``
            (nframes = 1, 2, 4, 6, 8); names the per-window keys.
        nframes_list: override of the window lengths.

    Returns:
        dict: like the official ``vpq-final.txt``, in percent: ``VPQ``,
        ``VPQ_thing``, ``VPQ_stuff`` (mean over windows) and per window
        ``VPQ_{name}``, ``VPQ_{name}_{thing,stuff}``, ``..._{SQ,RQ}``, plus
        ``per_window`` (nested per-class tables).
    """
    if convention not in WINDOW_CONVENTIONS:
        raise ValueError(f'unknown VPQ window convention {convention!r}; '
                         f'choose from {sorted(WINDOW_CONVENTIONS)}')
    if nframes_list is None:
        nframes_list = WINDOW_CONVENTIONS[convention]
    out: dict = {'window_convention': convention}
    per_window = {}
    sums = {'': [], '_thing': [], '_stuff': []}
    for nframes in nframes_list:
        stat: Dict[int, list] = defaultdict(lambda: [0.0, 0, 0, 0])
        for vid, frames in videos.items():
            video_pq_stats(frames, nframes, stat, where=f'video {vid!r}')
        name = window_name(convention, nframes)
        table = {}
        for suffix, isthing in (('', None), ('_thing', True),
                                ('_stuff', False)):
            res, per_class = pq_average(stat, categories, isthing)
            out[f'VPQ_{name}{suffix}'] = 100 * res['pq']
            out[f'VSQ_{name}{suffix}'] = 100 * res['sq']
            out[f'VRQ_{name}{suffix}'] = 100 * res['rq']
            sums[suffix].append(100 * res['pq'])
            if isthing is None:
                table = per_class
        per_window[name] = dict(nframes=nframes, per_class=table)
    for suffix, values in sums.items():
        out[f'VPQ{suffix}'] = float(sum(values) / len(values)) \
            if values else float('nan')
    out['per_window'] = per_window
    return out
