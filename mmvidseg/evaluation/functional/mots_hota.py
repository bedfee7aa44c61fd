# Copyright (c) mmvidseg contributors. All rights reserved.
"""HOTA of KITTI-MOTS (TrackEval's ``kitti_mots`` dataset), pure numpy."""
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment

from .hota import combine_sequences, hota_sequence, summarize
from mmvidseg.structures.masks import mask_api, to_coco_rle
from .mots import IGNORE_CLASS, MOTS_CLASSES

_EPS = np.finfo('float').eps


def _check_frames(frames: Mapping[int, Sequence[dict]], num_timesteps: int,
                  what: str, seq: str) -> None:
    extra = sorted(f for f in frames if not 0 <= int(f) < num_timesteps)
    if extra:
        raise ValueError(
            f'{what} of sequence {seq} has frames {extra[:10]} outside '
            f'0..{num_timesteps - 1}; the seqmap gives the last frame '
            f'{num_timesteps - 1} (TrackEval rejects such files)')
    for f, objs in frames.items():
        ids = [o['track_id'] for o in objs
               if what == 'prediction' or o['class_id'] != IGNORE_CLASS]
        if len(set(ids)) != len(ids):
            dup = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f'{what} of sequence {seq} frame {f} has track '
                             f'ids {dup} more than once; ids must be unique '
                             'per frame')


def _frame_class(gt: Sequence[dict], pred: Sequence[dict], class_id: int,
                 ignore_class: int) -> Tuple[np.ndarray, np.ndarray,
                                             np.ndarray]:
    """GT ids, kept prediction ids and their mask IoU for one frame."""
    api = mask_api()
    g = [o for o in gt if o['class_id'] == class_id]
    p = [o for o in pred if o['class_id'] == class_id]
    g_rles = [to_coco_rle(o['rle']) for o in g]
    p_rles = [to_coco_rle(o['rle']) for o in p]
    if g and p:
        sim = np.asarray(api.iou(g_rles, p_rles, [0] * len(p)),
                         np.float64).reshape(len(g), len(p))
    else:
        sim = np.zeros((len(g), len(p)))
    unmatched = np.arange(len(p))
    if g and p:
        scores = sim.copy()
        scores[scores < 0.5 - _EPS] = -10000
        rows, cols = linear_sum_assignment(-scores)
        cols = cols[scores[rows, cols] > 0 + _EPS]
        unmatched = np.delete(unmatched, cols)
    ignore = [to_coco_rle(o['rle']) for o in gt
              if o['class_id'] == ignore_class]
    if len(unmatched) and ignore:
        region = api.merge(ignore, intersect=False)
        ioa = np.asarray(api.iou([p_rles[i] for i in unmatched],
                                      [region], [1]),
                         np.float64).reshape(len(unmatched))
        remove = unmatched[ioa > 0.5 + _EPS]
    else:
        remove = np.zeros(0, np.int64)
    keep = np.setdiff1d(np.arange(len(p)), remove)
    gt_ids = np.array([o['track_id'] for o in g], np.int64)
    tr_ids = np.array([p[i]['track_id'] for i in keep], np.int64)
    return gt_ids, tr_ids, sim[:, keep]


def kitti_mots_hota_sequence(gt_frames: Mapping[int, Sequence[dict]],
                             pred_frames: Mapping[int, Sequence[dict]],
                             num_timesteps: int, class_id: int,
                             ignore_class: int = IGNORE_CLASS,
                             seq: str = '') -> Dict[str, np.ndarray]:
    """HOTA arrays (over alpha) of one KITTI-MOTS sequence and class.

    Args:
        gt_frames / pred_frames: ``{frame: [{'track_id', 'class_id',
            'rle'}]}`` as :func:`mmvidseg.evaluation.functional.panoptic_io.
            read_mots_txt` returns; GT objects of ``ignore_class`` are
            ignore regions.
        num_timesteps: number of frames (seqmap last frame + 1).
        class_id: 1 (car) or 2 (pedestrian).
        ignore_class: class id of the GT ignore regions.
        seq: sequence name for error messages.
    """
    _check_frames(gt_frames, num_timesteps, 'ground truth', seq)
    _check_frames(pred_frames, num_timesteps, 'prediction', seq)
    gt_ids: List[np.ndarray] = []
    tr_ids: List[np.ndarray] = []
    sims: List[np.ndarray] = []
    for t in range(num_timesteps):
        g, p, s = _frame_class(gt_frames.get(t, ()), pred_frames.get(t, ()),
                               class_id, ignore_class)
        gt_ids.append(g)
        tr_ids.append(p)
        sims.append(s)
    return hota_sequence(gt_ids, tr_ids, sims)


def evaluate_mots_hota(gt: Mapping[str, Mapping[int, Sequence[dict]]],
                       pred: Mapping[str, Mapping[int, Sequence[dict]]],
                       max_frames: Mapping[str, int],
                       classes: Optional[Mapping[str, int]] = None) -> dict:
    """HOTA, DetA, AssA, LocA, ... of KITTI-MOTS per class.

    Re-implements TrackEval's KITTI-MOTS evaluation (``JonathonLuiten/
    TrackEval: trackeval/datasets/kitti_mots.py`` +
    ``trackeval/metrics/hota.py``; Luiten et al., "HOTA: A Higher Order
    Metric for Evaluating Multi-Object Tracking", IJCV 2021), the ranking
    metric of the KITTI-MOTS server. Per class and frame: similarity =
    mask IoU; predictions left unmatched by a Hungarian matching at IoU
    >= 0.5 whose area lies > 50 % in the merged class-10 ignore region of
    the frame are removed; HOTA per sequence; sequences combined
    detection-weighted per class (classes are not combined, as
    TrackEval's ``kitti_mots``). Sequences missing from ``pred`` score as
    empty (TrackEval requires every file).

    Deviation: overlapping masks are not checked here (TrackEval aborts;
    :func:`mmvidseg.evaluation.functional.mots.load_mots_folder` checks
    files).

    Args:
        gt / pred: ``{seq: {frame: [objects]}}``.
        max_frames: ``{seq: last frame index}`` (seqmap column 4).
        classes: ``{name: class id}``; defaults to cars (1) and
            pedestrians (2).

    Returns:
        dict: ``{class_name: {HOTA, DetA, AssA, DetRe, DetPr, AssRe, AssPr,
        LocA, OWTA, HOTA(0), LocA(0), HOTALocA(0), 'per_sequence': {seq:
        {...}}}}`` as fractions (TrackEval's table prints them x 100).
    """
    classes = MOTS_CLASSES if classes is None else classes
    out = {}
    for name, class_id in classes.items():
        per_seq = {}
        for seq in gt:
            per_seq[seq] = kitti_mots_hota_sequence(
                gt[seq], pred.get(seq, {}), int(max_frames[seq]) + 1,
                class_id, seq=seq)
        combined = combine_sequences(list(per_seq.values()))
        summary = _summary(combined)
        summary['per_sequence'] = {s: _summary(r) for s, r in
                                   per_seq.items()}
        out[name] = summary
    return out


def _summary(res: Mapping[str, np.ndarray]) -> dict:
    out = summarize(res)
    for key in ('HOTA(0)', 'LocA(0)', 'HOTALocA(0)'):
        out[key] = float(res[key])
    return out
