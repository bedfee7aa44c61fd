# Copyright (c) mmvidseg contributors. All rights reserved.
"""KITTI-MOTS CLEAR-MOTS metrics (sMOTSA, MOTSA, MOTSP, IDS, ...)."""
import math
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from mmvidseg.structures.masks import encode_mask, mask_api, to_coco_rle
from .panoptic_io import read_mots_txt

IGNORE_CLASS = 10
MOTS_CLASSES = {'cars': 1, 'pedestrians': 2}

# raw counters summed over sequences before the ratios are taken
_COUNTS = ('n_gt', 'n_tr', 'n_itr', 'tp', 'fp', 'fn', 'total_cost',
           'modsp_sum', 'id_switches', 'fragments', 'MT', 'PT', 'ML',
           'n_gt_trajectories', 'n_tr_trajectories', 'total_num_frames')


def _trajectory_stats(traj: Sequence[int]) -> Tuple[int, int, str]:
    """ID switches, fragmentations and MT/PT/ML of one GT trajectory.

    ``traj`` holds the matched track id per frame where the GT is present
    (-1 = missed), as ``mots_tools: MOTS_metrics.py``.
    """
    if all(t == -1 for t in traj):
        return 0, 0, 'ML'
    ids = frag = 0
    last_id = traj[0]
    tracked = 1 if traj[0] >= 0 else 0
    f = 0
    for f in range(1, len(traj)):
        if last_id != traj[f] and last_id != -1 and traj[f] != -1:
            ids += 1
        if (f < len(traj) - 1 and traj[f - 1] != traj[f] and last_id != -1
                and traj[f] != -1 and traj[f + 1] != -1):
            frag += 1
        if traj[f] != -1:
            tracked += 1
            last_id = traj[f]
    if (len(traj) > 1 and traj[f - 1] != traj[f] and last_id != -1
            and traj[f] != -1):
        frag += 1
    ratio = tracked / float(len(traj))
    state = 'MT' if ratio > 0.8 else ('ML' if ratio < 0.2 else 'PT')
    return ids, frag, state


def mots_sequence_counts(gt_frames: Mapping[int, Sequence[dict]],
                         pred_frames: Mapping[int, Sequence[dict]],
                         max_frame: int, class_id: int,
                         ignore_class: int = IGNORE_CLASS) -> dict:
    """Raw CLEAR-MOTS counters of one sequence and class.

    Args:
        gt_frames / pred_frames: ``{frame: [{'track_id', 'class_id',
            'rle'}]}`` (COCO RLE with ``bytes`` or ``str`` counts).
        max_frame: last frame index (frames ``0..max_frame`` are scored).
        class_id: 1 (car) or 2 (pedestrian).
        ignore_class: GT class of ignore regions (merged per frame).
    """
    api = mask_api()
    c = dict.fromkeys(_COUNTS, 0)
    c['total_cost'] = c['modsp_sum'] = 0.0
    c['total_num_frames'] = max_frame + 1
    trajectories: Dict[int, List[int]] = defaultdict(list)
    gt_ids, tr_ids = set(), set()
    for f in range(max_frame + 1):
        g = [o for o in gt_frames.get(f, ()) if o['class_id'] == class_id]
        dc = [to_coco_rle(o['rle']) for o in gt_frames.get(f, ())
              if o['class_id'] == ignore_class]
        t = [o for o in pred_frames.get(f, ()) if o['class_id'] == class_id]
        gt_ids.update(o['track_id'] for o in g)
        tr_ids.update(o['track_id'] for o in t)
        c['n_gt'] += len(g)
        c['n_tr'] += len(t)
        for o in g:
            trajectories[o['track_id']].append(-1)
        valid = [False] * len(t)
        tp = 0
        cost = 0.0
        if g and t:
            ious = api.iou([to_coco_rle(o['rle']) for o in g],
                           [to_coco_rle(o['rle']) for o in t],
                           [0] * len(t))  # (len(g), len(t))
            for row, col in zip(*np.nonzero(ious > 0.5)):
                valid[col] = True
                c['total_cost'] += float(ious[row, col])
                cost += float(ious[row, col])
                trajectories[g[row]['track_id']][-1] = t[col]['track_id']
                tp += 1
        ignored = 0
        if t and dc:
            region = api.merge(dc, intersect=False)
            ioa = api.iou([to_coco_rle(o['rle']) for o in t], [region],
                          [1])[:, 0]  # (len(t),)
            ignored = int(sum(1 for i, v in enumerate(ioa)
                              if v > 0.5 and not valid[i]))
        c['n_itr'] += ignored
        c['tp'] += tp
        c['fn'] += len(g) - tp
        c['fp'] += len(t) - tp - ignored
        c['modsp_sum'] += cost / float(tp) if tp else 1
    c['n_gt_trajectories'] = len(gt_ids)
    c['n_tr_trajectories'] = len(tr_ids)
    for traj in trajectories.values():
        ids, frag, state = _trajectory_stats(traj)
        c['id_switches'] += ids
        c['fragments'] += frag
        c[state] += 1
    return c


def clear_mots_summary(c: Mapping[str, float]) -> dict:
    """Ratios of ``mots_tools: compute_prec_rec_clearmot`` from counters.

    Values are fractions (the official table prints them x 100). As
    upstream: sMOTSA / MOTSA / MODSA / MOTSAL are ``-inf`` without GT,
    MOTSP is ``inf`` without TP.
    """
    tp, fp, fn, n_gt = c['tp'], c['fp'], c['fn'], c['n_gt']
    ids = c['id_switches']
    out = {}
    if fp + tp == 0 or tp + fn == 0:
        out['recall'] = out['precision'] = 0.0
    else:
        out['recall'] = tp / float(tp + fn)
        out['precision'] = tp / float(fp + tp)
    pr = out['recall'] + out['precision']
    out['F1'] = 0.0 if pr == 0 else (
        2.0 * out['precision'] * out['recall'] / pr)
    frames = c['total_num_frames']
    out['FAR'] = fp / float(frames) if frames else float('nan')
    if n_gt == 0:
        out['MOTSA'] = out['MODSA'] = out['sMOTSA'] = -float('inf')
        out['MOTSAL'] = -float('inf')
    else:
        out['MOTSA'] = 1 - (fn + fp + ids) / float(n_gt)
        out['MODSA'] = 1 - (fn + fp) / float(n_gt)
        out['sMOTSA'] = (c['total_cost'] - fp - ids) / float(n_gt)
        out['MOTSAL'] = 1 - (fn + fp + (math.log10(ids) if ids else 0)) / \
            float(n_gt)
    out['MOTSP'] = float('inf') if tp == 0 else c['total_cost'] / float(tp)
    out['MODSP'] = c['modsp_sum'] / float(frames) if frames else float('nan')
    n_traj = c['n_gt_trajectories']
    for key in ('MT', 'PT', 'ML'):
        out[key] = c[key] / float(n_traj) if n_traj else 0.0
    for key in ('tp', 'fp', 'fn', 'id_switches', 'fragments', 'n_gt',
                'n_tr', 'n_itr', 'n_gt_trajectories', 'n_tr_trajectories'):
        out[key] = int(c[key])
    out['IDS'] = out['id_switches']
    return out


def evaluate_mots(gt: Mapping[str, Mapping[int, Sequence[dict]]],
                  pred: Mapping[str, Mapping[int, Sequence[dict]]],
                  max_frames: Mapping[str, int],
                  classes: Optional[Mapping[str, int]] = None) -> dict:
    """KITTI-MOTS CLEAR metrics per class, overall and per sequence.

    Re-implements ``VisualComputingInstitute/mots_tools:
    mots_eval/MOTS_metrics.py`` (Voigtlaender et al., "MOTS: Multi-Object
    Tracking and Segmentation", CVPR 2019): per frame each GT is matched to
    the prediction with mask IoU > 0.5; the class-10 GT masks of a frame
    are merged into one ignore region and an unmatched prediction covering
    it by more than half of its own area is not a false positive; ID
    switches / fragmentations per GT trajectory. Sequences missing from
    ``pred`` score as empty (as upstream).

    Returns:
        dict: ``{class_name: {metric: value, 'per_sequence': {seq: {...}}}}``.
    """
    classes = MOTS_CLASSES if classes is None else classes
    out = {}
    for name, class_id in classes.items():
        per_seq = {}
        total = dict.fromkeys(_COUNTS, 0)
        for seq in gt:
            counts = mots_sequence_counts(gt[seq], pred.get(seq, {}),
                                          max_frames[seq], class_id)
            per_seq[seq] = clear_mots_summary(counts)
            for k in _COUNTS:
                total[k] += counts[k]
        summary = clear_mots_summary(total)
        summary['per_sequence'] = per_seq
        out[name] = summary
    return out


def load_mots_folder(path: str, seqs: Sequence[str]) -> dict:
    """Loads ``<path>/<seq>.txt`` or ``<path>/<seq>/<%06d>.png`` per seq.

    PNG objects have ``class_id = obj_id // 1000`` and ``track_id = obj_id``
    (``mots_common/io.py``).
    """
    out = {}
    for seq in seqs:
        folder, txt = osp.join(path, seq), osp.join(path, seq + '.txt')
        if osp.isdir(folder):
            out[seq] = _load_png_folder(folder)
        elif osp.isfile(txt):
            out[seq] = read_mots_txt(txt)
            _check_txt(out[seq], txt)
        else:
            raise FileNotFoundError(f'sequence {seq}: neither {txt} nor the '
                                    f'PNG folder {folder} exists')
    return out


def _check_txt(frames: Mapping[int, Sequence[dict]], path: str) -> None:
    """Upstream aborts on duplicate ids, unknown classes, overlaps."""
    api = mask_api()
    for frame, objs in frames.items():
        seen = set()
        for o in objs:
            if o['track_id'] in seen:
                raise ValueError(f'{path}: frame {frame} has two objects with '
                                 f'track id {o["track_id"]}')
            seen.add(o['track_id'])
            if o['class_id'] not in (1, 2, IGNORE_CLASS):
                raise ValueError(f'{path}: frame {frame} has unknown class '
                                 f'{o["class_id"]} (expected 1, 2 or 10)')
        rles = [to_coco_rle(o['rle']) for o in objs]
        sizes = {tuple(r['size']) for r in rles}
        if len(sizes) > 1:
            raise ValueError(f'{path}: frame {frame} mixes mask sizes '
                             f'{sorted(sizes)}')
        if len(rles) > 1:
            union = api.area(api.merge(rles, intersect=False))
            if int(union) != int(sum(api.area(rles))):
                raise ValueError(f'{path}: frame {frame} has overlapping '
                                 'masks; KITTI-MOTS masks must not overlap')


def _load_png_folder(folder: str) -> dict:
    from .panoptic_io import _pil
    frames = {}
    for name in sorted(os.listdir(folder)):
        if not name.endswith('.png'):
            continue
        if len(name) != 10:
            raise ValueError(f'{folder}/{name}: PNG names must look like '
                             '000000.png')
        img = np.array(_pil().open(osp.join(folder, name)))
        objs = []
        for obj_id in np.unique(img).tolist():
            if obj_id == 0:
                continue
            rle = encode_mask(img == obj_id, as_json=False)
            objs.append(dict(track_id=obj_id, class_id=obj_id // 1000,
                             rle=rle))
        frames[int(name[:-4])] = objs
    return frames


def load_seqmap(path: str) -> Tuple[List[str], Dict[str, int]]:
    """Reads a seqmap (``<seq> empty 000000 <last frame>`` per line)."""
    seqs, max_frames = [], {}
    with open(path, 'r') as f:
        for line_no, line in enumerate(f, 1):
            fields = line.split(' ')
            if len(fields) < 4:
                raise ValueError(f'{path}:{line_no}: expected "<seq> empty '
                                 '000000 <last frame>"')
            seq = '%04d' % int(fields[0])
            seqs.append(seq)
            max_frames[seq] = int(fields[3])
    return seqs, max_frames
