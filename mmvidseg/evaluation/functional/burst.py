# Copyright (c) mmvidseg contributors. All rights reserved.
"""BURST HOTA evaluation (class-guided and exemplar-guided tasks)."""
from collections import defaultdict
from typing import Dict, List, Mapping, Optional

import numpy as np
from scipy.optimize import linear_sum_assignment

from mmvidseg.structures.masks import rle_bboxes
from .hota import (box_iou_xywh, combine_sequences, hota_sequence,
                   summarize)

_EPS = np.finfo('float').eps
# LVIS ids that BURST treats as distractors (never evaluated).
DISTRACTORS = frozenset((
    20, 63, 108, 180, 188, 204, 212, 247, 303, 403, 407, 415, 490, 504, 507,
    513, 529, 567, 569, 588, 672, 691, 702, 708, 711, 720, 736, 737, 798, 813,
    815, 827, 831, 851, 877, 883, 912, 971, 976, 1130, 1133, 1134, 1169,
    1184, 1220))
# 'Common' split: the 78 category ids of ``burstapi/eval/run.py``.
COMMON_IDS = frozenset((
    4, 13, 1038, 544, 1057, 34, 35, 36, 41, 45, 58, 60, 579, 1091, 1097, 1099,
    78, 79, 81, 91, 1115, 1117, 95, 1122, 99, 1132, 621, 1135, 625, 118,
    1144, 126, 642, 1155, 133, 1162, 139, 154, 174, 185, 699, 1215, 714, 717,
    1229, 211, 729, 221, 229, 747, 235, 237, 779, 276, 805, 299, 829, 852,
    347, 371, 382, 896, 392, 926, 937, 428, 429, 961, 452, 979, 980, 982, 475,
    480, 993, 1001, 502, 1018))
# TAO categories merged into another one (TAO ``merged`` tags).
MERGED = {504: 347, 720: 347, 912: 529, 967: 529, 207: 554, 153: 943,
          201: 1175}
MAX_DETECTIONS = 300


def _frame_index(img_path: str) -> int:
    stripped = img_path.replace('.jpg', '').replace('.png', '').replace(
        'frame', '')
    return int(stripped.split('_')[-1])


def _int_boxes(rles: List, height: int, width: int) -> List[List[int]]:
    """Integer-truncated xywh boxes of RLE ``counts`` strings (one C call),
    as TrackEval's BURST loader truncates them."""
    return rle_bboxes([{'size': [height, width], 'counts': r} for r in rles]
                      ).astype(np.int64).tolist()


def _gt_sequences(gt: Mapping) -> List[dict]:
    """Per GT sequence: frames (by file name), dets per frame, metadata."""
    seqs = []
    for seq in gt['sequences']:
        paths = seq['annotated_image_paths']
        segs = seq['segmentations']
        if len(paths) != len(segs):
            raise ValueError(f"GT sequence {seq['id']}: {len(segs)} "
                             f'segmentation frames for {len(paths)} '
                             'annotated_image_paths')
        order = sorted(range(len(paths)),
                       key=lambda i: _frame_index(paths[i]))
        raw = []  # (frame, track id, category, rle)
        for i in order:
            for tid, seg in segs[i].items():
                if tid not in seq['track_category_ids']:
                    raise KeyError(f"GT sequence {seq['id']} frame "
                                   f'{paths[i]}: track {tid} has no entry '
                                   'in track_category_ids')
                cat = int(seq['track_category_ids'][tid])
                if cat in DISTRACTORS:
                    continue
                raw.append((i, int(tid), MERGED.get(cat, cat), seg['rle']))
        boxes = _int_boxes([r[3] for r in raw], seq['height'], seq['width'])
        by_frame: Dict[int, list] = defaultdict(list)
        for (i, tid, cat, _), box in zip(raw, boxes):
            by_frame[i].append((tid, cat, box))
        # frames without (non-distractor) GT are not timesteps upstream
        frames = [by_frame[i] for i in order if by_frame.get(i)]
        names = [paths[i] for i in order if by_frame.get(i)]
        seqs.append(dict(id=seq['id'], frames=frames, names=names,

                         key=(seq['dataset'], seq['seq_name']),
                         height=seq['height'], width=seq['width'],
                         neg=set(seq.get('neg_category_ids', [])),
                         not_exhaustive=set(
                             seq.get('not_exhaustive_category_ids', []))))
    return seqs


def _pred_frames(pred: List[Mapping], gt_seq: dict) -> List[list]:
    """Predicted dets per GT timestep; frames the GT lacks are ignored.

    Upstream converts predictions before ``run.py`` sets its
    ``EXEMPLAR_GUIDED`` flag, so every task reads the category of a
    prediction from ``det['category_id']`` or the prediction's own
    ``track_category_ids`` (parity quirk, kept).
    """
    frame_of = {name: t for t, name in enumerate(gt_seq['names'])}
    raw = []  # (timestep, track id, category, rle, score)
    for seq in pred:
        for frame_segs, path in zip(seq['segmentations'],
                                    seq['annotated_image_paths']):
            t = frame_of.get(path)
            if t is None:
                continue
            for tid_str, det in frame_segs.items():
                if 'category_id' in det:
                    cat = det['category_id']
                elif tid_str in seq.get('track_category_ids', {}):
                    cat = seq['track_category_ids'][tid_str]
                else:
                    raise KeyError(
                        f"prediction sequence {seq.get('id')} frame {path}: "
                        f'track {tid_str} has no category (add it to '
                        'track_category_ids)')
                raw.append((t, int(tid_str), MERGED.get(int(cat), int(cat)),
                            det['rle'], float(det.get('score', 1.0))))
    boxes = _int_boxes([r[3] for r in raw], gt_seq['height'],
                       gt_seq['width'])
    frames: List[list] = [[] for _ in gt_seq['names']]
    for (t, tid, cat, _, score), box in zip(raw, boxes):
        frames[t].append((tid, cat, box, score))
    for t, dets in enumerate(frames):
        if len(dets) > MAX_DETECTIONS:
            frames[t] = sorted(dets, key=lambda d: d[3],
                               reverse=True)[:MAX_DETECTIONS]
    return frames


def _class_similarity(g_sel: List[list], p_sel: List[list]) -> List:
    """Per-frame box IoU blocks, from one (or a few) vectorised calls."""
    n_g = [len(g) for g in g_sel]
    n_p = [len(p) for p in p_sel]
    if sum(n_g) * sum(n_p) > 4_000_000:  # keep the full matrix small
        return [box_iou_xywh([d[2] for d in g], [d[2] for d in p])
                for g, p in zip(g_sel, p_sel)]
    sim = box_iou_xywh([d[2] for g in g_sel for d in g],
                       [d[2] for p in p_sel for d in p])  # (G_all, P_all)
    g_end, p_end = np.cumsum(n_g), np.cumsum(n_p)
    return [sim[ge - ng:ge, pe - np_:pe]
            for ng, ge, np_, pe in zip(n_g, g_end, n_p, p_end)]


def _preprocess_class(gt_frames, tr_frames, cls: int, neg: bool,
                      not_exhaustive: bool, exemplar_guided: bool):
    """GT ids, kept prediction ids and box IoU per frame for one class.

    Class-guided only: on frames without GT of the class (unless it is a
    negative class of the video) every prediction is unmatched and
    removed; for a not-exhaustively labelled class the predictions left
    unmatched by a Hungarian matching at IoU >= 0.5 are removed.
    """
    g_sel = [[d for d in f if d[1] == cls] for f in gt_frames]
    p_sel = [[d for d in f if d[1] == cls] for f in tr_frames]
    gt_ids, tr_ids, sims = [], [], []
    for g, p, sim in zip(g_sel, p_sel, _class_similarity(g_sel, p_sel)):
        keep = None  # all
        if not exemplar_guided and p:
            if not g and (not neg or not_exhaustive):
                keep = np.zeros(0, np.int64)
            elif g and not_exhaustive:
                scores = np.where(sim < 0.5 - _EPS, 0, sim)
                rows, cols = linear_sum_assignment(-scores)
                keep = np.sort(cols[scores[rows, cols] > 0 + _EPS])
        gt_ids.append(np.array([d[0] for d in g], np.int64))
        if keep is None:
            tr_ids.append(np.array([d[0] for d in p], np.int64))
            sims.append(sim)
        else:
            tr_ids.append(np.array([p[i][0] for i in keep.tolist()],
                                   np.int64))
            sims.append(sim[:, keep])
    return gt_ids, tr_ids, sims


def evaluate_burst(gt: Mapping, pred: Mapping,
                   exemplar_guided: bool = False,
                   class_names: Optional[Mapping[int, str]] = None) -> dict:
    """BURST HOTA / DetA / AssA / LocA for all / common / uncommon classes.

    Re-implements ``Ali2500/BURST-benchmark: burstapi/eval/run.py`` with its
    TrackEval-derived ``datasets/burst_helpers/{burst_base,
    format_converter}.py`` (Athar et al., "BURST: A Benchmark for Unifying
    Object Recognition, Segmentation and Tracking in Video", WACV 2023).

    Parity quirks kept: the similarity is the IoU of the integer-truncated
    **bounding boxes** of the RLE masks (``_load_raw_file`` reads
    ``ann['bbox']``), not mask IoU; distractor classes are dropped; TAO
    ``merged`` categories are merged; at most 300 dets per frame (by score);
    in class-guided mode unmatched predictions are removed on frames without
    GT of the class (unless the class is a negative category of the video)
    and for not-exhaustively labelled classes; only classes with GT are
    evaluated; per class, sequences are combined detection-weighted, then
    classes are averaged. Deviations: TrackMAP (AP) is not computed; when
    no class can be evaluated (GT with distractor classes only) the values
    are NaN where upstream raises ``IndexError`` in its class combiner.

    Args:
        gt: the BURST GT JSON (``all_classes.json``) as a dict.
        pred: the prediction JSON (same format) as a dict.
        exemplar_guided: exemplar-guided task: unmatched predictions are
            never removed. As upstream at HEAD, categories still come from
            the prediction file (keep the GT ``track_category_ids``).
        class_names: optional category id -> name for per-class output.

    Returns:
        dict: ``HOTA``, ``DetA``, ``AssA``, ``LocA`` (percent) with ``_all``,
        ``_common``, ``_uncommon`` suffixes, plus ``per_class``.
    """
    gt_seqs = _gt_sequences(gt)
    pred_by_key = defaultdict(list)
    if 'split' in pred and 'split' in gt and pred['split'] != gt['split']:
        raise ValueError(f"prediction split {pred['split']!r} != GT split "
                         f"{gt['split']!r}")
    for seq in pred.get('sequences', []):
        if len(seq['segmentations']) != len(seq['annotated_image_paths']):
            raise ValueError(f"prediction sequence {seq.get('id')}: "
                             f"{len(seq['segmentations'])} segmentation "
                             'frames for '
                             f"{len(seq['annotated_image_paths'])} "
                             'annotated_image_paths')
        pred_by_key[(seq['dataset'], seq['seq_name'])].append(seq)
    class_set = sorted({d[1] for s in gt_seqs for f in s['frames']
                        for d in f} - DISTRACTORS)
    valid = set(class_set)
    per_class: Dict[int, list] = defaultdict(list)
    for s in gt_seqs:
        tr_frames = _pred_frames(pred_by_key[s['key']], s)
        classes = {d[1] for f in s['frames'] for d in f}
        classes |= {d[1] for f in tr_frames for d in f}
        for cls in sorted(classes & valid):
            ids = _preprocess_class(s['frames'], tr_frames, cls,
                                    cls in s['neg'],
                                    cls in s['not_exhaustive'],
                                    exemplar_guided)
            per_class[cls].append(hota_sequence(*ids))
    class_res = {c: summarize(combine_sequences(per_class[c]))
                 for c in class_set}
    out = {}
    splits = dict(all=class_set,
                  common=[c for c in class_set if c in COMMON_IDS],
                  uncommon=[c for c in class_set if c not in COMMON_IDS])
    for field in ('HOTA', 'DetA', 'AssA', 'LocA'):
        for split, classes in splits.items():
            vals = [class_res[c][field] for c in classes]
            out[f'{field}_{split}'] = 100 * float(np.mean(vals)) \
                if vals else float('nan')
    names = class_names or {}
    out['per_class'] = {names.get(c, str(c)): v for c, v in class_res.items()}
    return out
