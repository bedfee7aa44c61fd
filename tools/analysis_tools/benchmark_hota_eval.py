# Copyright (c) mmvidseg contributors. All rights reserved.
"""Speed of mmvidseg's BURST HOTA vs a reference, on a BURST-sized JSON.

Writes a synthetic BURST GT (``all_classes.json``) and result JSON
(default 300 sequences x 30 annotated frames, up to 6 tracks each, 720p
RLE masks, LVIS-like category ids incl. distractor and merged ones),
scores it with :func:`mmvidseg.evaluation.functional.burst.evaluate_burst`
(via ``mmvidseg.evaluation.offline.hota``) and with a reference in the same
process, checks that HOTA / DetA / AssA / LocA for all / common / uncommon
agree to 1e-9 and prints the speed ratio.

The reference is either the official ``burstapi/eval/run.py``, imported
from ``--official-root`` (a BURST-benchmark checkout whose TrackEval copy
runs on the installed NumPy; it also computes TrackMAP and Count, as users
run it), or by default a straightforward implementation written here that
follows the official structure: every sequence is evaluated for every
class of the ground truth, each frame is preprocessed and matched on its
own, and HOTA is accumulated with a loop over the 19 thresholds per frame
(file parsing is shared with mmvidseg). It contains no official code.

    python tools/analysis_tools/benchmark_hota_eval.py --seqs 300
"""
import argparse
import contextlib
import io
import json
import os.path as osp
import sys
import tempfile
import time

import numpy as np
from scipy.optimize import linear_sum_assignment

from mmvidseg.evaluation.functional import burst as B
from mmvidseg.evaluation.functional.hota import (ALPHAS, _final_fields,
                                                 box_iou_xywh,
                                                 combine_sequences,
                                                 summarize)
from mmvidseg.evaluation.offline import hota as hota_offline
from mmvidseg.structures.masks import encode_mask

_EPS = np.finfo('float').eps
CATS = [4, 13, 34, 35, 41, 95, 99, 100, 101, 102, 205, 347, 504, 20, 967]


def _box_rle(y: int, x: int, h: int, w: int, height: int,
             width: int) -> str:
    """Compressed RLE ``counts`` of an axis-aligned box."""
    mask = np.zeros((height, width), bool)
    mask[y:y + h, x:x + w] = True
    return encode_mask(mask)['counts']


def make_data(root: str, seqs: int, frames: int, tracks: int, height: int,
              width: int, seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    gt, pred = dict(split='val', sequences=[]), dict(split='val',
                                                    sequences=[])
    for s in range(seqs):
        paths = [f'frame{30 * i:04d}.jpg' for i in range(frames)]
        n = int(rng.integers(1, tracks + 1))
        cats = {str(k + 1): int(rng.choice(CATS)) for k in range(n)}
        pos = rng.uniform([0, 0], [height - 150, width - 150], (n, 2))
        vel = rng.uniform(-15, 15, (n, 2))
        size = rng.uniform(20, 120, (n, 2))
        g_segs, p_segs = [], []
        for t in range(frames):
            g, p = {}, {}
            for k in range(n):
                if rng.random() < 0.2:
                    continue
                y, x = np.clip(pos[k] + vel[k] * t, 0,
                               [height - 150, width - 150]).astype(int)
                h, w = size[k].astype(int)
                g[str(k + 1)] = dict(rle=_box_rle(y, x, h, w, height,
                                                  width), is_gt=True)
                if rng.random() < 0.9:
                    dy, dx = rng.integers(-8, 9, 2)
                    tid = k + 1 if rng.random() < 0.9 else k + 50
                    p[str(tid)] = dict(
                        rle=_box_rle(int(y + 8 + dy), int(x + 8 + dx), h, w,
                                     height, width),
                        score=float(rng.random()))
            if rng.random() < 0.3:  # a false positive
                p['99'] = dict(rle=_box_rle(10, 10, 30, 30, height, width),
                               score=0.1)
            g_segs.append(g)
            p_segs.append(p)
        base = dict(id=s + 1, width=width, height=height, seq_name=f's{s}',
                    dataset='SYN', fps=30, annotated_image_paths=paths,
                    all_image_paths=paths,
                    neg_category_ids=[int(c) for c in rng.choice(CATS, 2)],
                    not_exhaustive_category_ids=[int(rng.choice(CATS))])
        gt['sequences'].append(dict(base, track_category_ids=cats,
                                    segmentations=g_segs))
        p_cats = dict(cats)
        p_cats.update({str(k + 50): cats[str(k + 1)] for k in range(n)})
        p_cats['99'] = int(rng.choice(CATS))
        pred['sequences'].append(dict(base, track_category_ids=p_cats,
                                      segmentations=p_segs))
    with open(osp.join(root, 'all_classes.json'), 'w') as f:
        json.dump(gt, f)
    with open(osp.join(root, 'pred.json'), 'w') as f:
        json.dump(pred, f)
    return root, osp.join(root, 'pred.json')


def _hota_per_frame(gt_ids, tr_ids, sims) -> dict:
    """HOTA of one (sequence, class), one frame and one alpha at a time."""
    res = {k: np.zeros(len(ALPHAS)) for k in (
        'HOTA_TP', 'HOTA_FN', 'HOTA_FP', 'LocA', 'AssA', 'AssRe', 'AssPr')}
    n_gt, n_tr = sum(map(len, gt_ids)), sum(map(len, tr_ids))
    if n_gt == 0 or n_tr == 0:
        res['HOTA_FN'][:], res['HOTA_FP'][:] = n_gt if n_tr == 0 else 0, \
            n_tr if n_gt == 0 else 0
        res['LocA'][:] = 1.0
        return _final_fields(res)
    g_map = {g: i for i, g in enumerate(sorted({int(x) for f in gt_ids
                                                for x in f}))}
    t_map = {t: i for i, t in enumerate(sorted({int(x) for f in tr_ids
                                                for x in f}))}
    pot = np.zeros((len(g_map), len(t_map)))
    g_cnt, t_cnt = np.zeros((len(g_map), 1)), np.zeros((1, len(t_map)))
    for g, t, sim in zip(gt_ids, tr_ids, sims):
        gi = [g_map[int(x)] for x in g]
        ti = [t_map[int(x)] for x in t]
        for a, i in enumerate(gi):
            g_cnt[i, 0] += 1
            for b, j in enumerate(ti):
                den = sim[a].sum() + sim[:, b].sum() - sim[a, b]
                if den > _EPS:
                    pot[i, j] += sim[a, b] / den
        for j in ti:
            t_cnt[0, j] += 1
    align = pot / (g_cnt + t_cnt - pot)
    matches = np.zeros((len(ALPHAS), len(g_map), len(t_map)))
    for g, t, sim in zip(gt_ids, tr_ids, sims):
        gi = [g_map[int(x)] for x in g]
        ti = [t_map[int(x)] for x in t]
        if not gi or not ti:
            res['HOTA_FN'] += len(gi)
            res['HOTA_FP'] += len(ti)
            continue
        score = align[np.ix_(gi, ti)] * sim
        rows, cols = linear_sum_assignment(-score)
        for a, alpha in enumerate(ALPHAS):
            n = 0
            for r, c in zip(rows, cols):
                if sim[r, c] >= alpha - _EPS:
                    n += 1
                    res['LocA'][a] += sim[r, c]
                    matches[a, gi[r], ti[c]] += 1
            res['HOTA_TP'][a] += n
            res['HOTA_FN'][a] += len(gi) - n
            res['HOTA_FP'][a] += len(ti) - n
    for a in range(len(ALPHAS)):
        m, tp = matches[a], max(1, res['HOTA_TP'][a])
        res['AssA'][a] = np.sum(m * m / np.maximum(1, g_cnt + t_cnt - m)) / tp
        res['AssRe'][a] = np.sum(m * m / np.maximum(1, g_cnt)) / tp
        res['AssPr'][a] = np.sum(m * m / np.maximum(1, t_cnt)) / tp
    res['LocA'] = np.maximum(1e-10, res['LocA']) / np.maximum(
        1e-10, res['HOTA_TP'])
    return _final_fields(res)


def _preprocess_frame(g_dets, t_dets, cls, neg, not_exhaustive, eg):
    g = [d for d in g_dets if d[1] == cls]
    p = [d for d in t_dets if d[1] == cls]
    sim = box_iou_xywh([d[2] for d in g], [d[2] for d in p])
    keep = list(range(len(p)))
    if not eg:
        matched = set()
        if g and p:
            sc = np.where(sim < 0.5 - _EPS, 0, sim)
            rows, cols = linear_sum_assignment(-sc)
            matched = {c for r, c in zip(rows, cols) if sc[r, c] > _EPS}
        if (not g and not neg) or not_exhaustive:
            keep = [i for i in keep if i in matched]
    return (np.array([d[0] for d in g]), np.array([p[i][0] for i in keep]),
            sim[:, keep])


def reference_burst(gt: dict, pred: dict, eg: bool) -> dict:
    """Every class for every sequence, frame by frame (official order)."""
    gt_seqs = B._gt_sequences(gt)
    by_key = {}
    for seq in pred['sequences']:
        by_key.setdefault((seq['dataset'], seq['seq_name']), []).append(seq)
    classes = sorted({d[1] for s in gt_seqs for f in s['frames']
                      for d in f} - B.DISTRACTORS)
    per_class = {c: [] for c in classes}
    for s in gt_seqs:
        tr = B._pred_frames(by_key.get(s['key'], []), s)
        for c in classes:
            frames = [_preprocess_frame(g, t, c, c in s['neg'],
                                        c in s['not_exhaustive'], eg)
                      for g, t in zip(s['frames'], tr)]
            per_class[c].append(_hota_per_frame(*zip(*frames)) if frames
                                else _hota_per_frame([], [], []))
    res = {c: summarize(combine_sequences(v)) for c, v in per_class.items()}
    out = {}
    for field in ('HOTA', 'DetA', 'AssA', 'LocA'):
        for split, cs in (('all', classes),
                          ('common', [c for c in classes
                                      if c in B.COMMON_IDS]),
                          ('uncommon', [c for c in classes
                                        if c not in B.COMMON_IDS])):
            vals = [res[c][field] for c in cs]
            out[f'{field}_{split}'] = 100 * float(np.mean(vals)) if vals \
                else float('nan')
    return out


def official_burst(root: str, gt_dir: str, pred: str, task: str) -> dict:
    sys.path.insert(0, root)
    from burstapi.eval import run  # noqa: E402 (user-provided checkout)
    out = osp.join(gt_dir, 'official.json')
    args = argparse.Namespace(gt=gt_dir, pred=pred, task=task, nprocs=1,
                              output=out)
    with contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(io.StringIO()):
        run.main(args)
    with open(out) as f:
        res = json.load(f)
    return {f'{row}_{split}': res[row].get(split, float('nan'))
            for row in ('HOTA', 'DetA', 'AssA', 'LocA') if row in res
            for split in ('all', 'common', 'uncommon')}


def _reference_files(gt_dir: str, pred: str, eg: bool) -> dict:
    with open(osp.join(gt_dir, 'all_classes.json')) as f:
        gt = json.load(f)
    with open(pred) as f:
        return reference_burst(gt, json.load(f), eg)


def _race(fn_ours, fn_ref, repeat: int) -> tuple:
    """Minimum wall times over ``repeat`` interleaved runs, last results.

    Interleaving keeps both sides exposed to the same machine load.
    """
    best, out = [float('inf')] * 2, [None, None]
    for _ in range(max(1, repeat)):
        for i, fn in enumerate((fn_ours, fn_ref)):
            t0 = time.perf_counter()
            out[i] = fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best[0], out[0], best[1], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--seqs', type=int, default=300)
    parser.add_argument('--frames', type=int, default=30)
    parser.add_argument('--tracks', type=int, default=6)
    parser.add_argument('--height', type=int, default=720)
    parser.add_argument('--width', type=int, default=1280)
    parser.add_argument('--task', default='class_guided',
                        choices=['class_guided', 'exemplar_guided'])
    parser.add_argument('--repeat', type=int, default=3,
                        help='timings are the minimum over this many runs')
    parser.add_argument('--official-root', default=None,
                        help='BURST-benchmark checkout to use as reference')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        gt_dir, pred = make_data(root, args.seqs, args.frames, args.tracks,
                                 args.height, args.width)
        print(f'{args.seqs} sequences x {args.frames} annotated frames, '
              f'{args.height}x{args.width}, task {args.task}')
        if args.official_root:
            name = 'official run.py'
            run_ref = lambda: official_burst(  # noqa: E731
                args.official_root, gt_dir, pred, args.task)
        else:
            name = 'per-frame reference'
            run_ref = lambda: _reference_files(  # noqa: E731
                gt_dir, pred, args.task == 'exemplar_guided')
        t_ours, ours, t_ref, ref = _race(
            lambda: hota_offline.evaluate(
                gt_dir, pred, argparse.Namespace(task=args.task)), run_ref,
            args.repeat)
    diff = 0.0
    for key, val in ref.items():
        if not (np.isnan(val) and np.isnan(ours[key])):
            diff = max(diff, abs(val - ours[key]))
    print(f'mmvidseg: HOTA_all {ours["HOTA_all"]:.10f} in {t_ours:.2f} s')
    print(f'{name}: HOTA_all {ref["HOTA_all"]:.10f} in {t_ref:.2f} s')
    print(f'max |difference| over {len(ref)} values {diff:.2e} '
          f'({"identical" if diff < 1e-9 else "MISMATCH"}); speed-up '
          f'{t_ref / t_ours:.1f}x')


if __name__ == '__main__':
    main()
