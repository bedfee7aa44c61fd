# Copyright (c) mmvidseg contributors. All rights reserved.
"""Speed of mmvidseg's DAVIS J&F against the official algorithm.

Synthetic DAVIS-like sequences (480x854 by default, 2-4 moving objects,
predictions = the ground truth shifted, eroded or with holes) are scored,
in this process and on the same arrays, by

* the reference: ``davis2017-evaluation``'s ``DAVISEvaluation`` static
  methods when ``--official-repo`` points at a clone of
  ``davisvideochallenge/davis2017-evaluation`` (it needs scikit-image), else
  a plain full-frame implementation of the same algorithm (one-hot masks,
  ``_seg2bmap`` and two ``cv2.dilate`` over the whole frame per object and
  frame, as ``davis2017/metrics.py`` does);
* :func:`mmvidseg.evaluation.functional.davis.evaluate_davis_sequence`;

and the script prints whether every per-frame J and F is identical, the
J&F-Mean of both, the times and their ratio.

Example::

    python tools/analysis_tools/benchmark_davis_eval.py --sequences 6
"""
import argparse
import sys
import time

import cv2
import numpy as np

from mmvidseg.evaluation.functional.davis import (bound_pixels, davis_summary,
                                                  disk,
                                                  evaluate_davis_sequence)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sequences', type=int, default=6)
    parser.add_argument('--frames', type=int, default=40)
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--width', type=int, default=854)
    parser.add_argument('--task', default='semi-supervised',
                        choices=['semi-supervised', 'unsupervised'])
    parser.add_argument('--official-repo', default=None,
                        help='clone of davis2017-evaluation to use as the '
                        'reference (default: built-in full-frame version)')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args()


def make_sequence(rng, num_frames, h, w):
    """(T, H, W) ground truth with a void band and a noisy prediction."""
    yy, xx = np.mgrid[:h, :w]
    gt = np.zeros((num_frames, h, w), np.uint8)
    for k in range(1, int(rng.integers(2, 5)) + 1):
        cy, cx = rng.uniform(0.2, 0.8) * h, rng.uniform(0.2, 0.8) * w
        ry, rx = rng.uniform(0.05, 0.25) * h, rng.uniform(0.05, 0.2) * w
        vy, vx = rng.normal(0, 2, 2)
        for t in range(num_frames):
            inside = ((yy - cy - vy * t) / ry)**2 + (
                (xx - cx - vx * t) / rx)**2 < 1
            gt[t][inside] = k
    pred = gt.copy()
    for t in range(num_frames):
        pred[t] = np.roll(pred[t], int(rng.integers(-4, 5)), axis=1)
        holes = rng.random((h, w)) < 0.002
        pred[t][cv2.dilate(holes.astype(np.uint8), np.ones((5, 5),
                                                            np.uint8)) > 0] = 0
    edge = cv2.morphologyEx((gt[0] > 0).astype(np.uint8),
                            cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    gt[:, edge > 0] = 255  # DAVIS-style void contour in every frame
    return gt, pred


def _bmap(seg):
    east, south, diag = (np.zeros_like(seg) for _ in range(3))
    east[:, :-1], south[:-1, :], diag[:-1, :-1] = seg[:, 1:], seg[1:], \
        seg[1:, 1:]
    bmap = (seg ^ east) | (seg ^ south) | (seg ^ diag)
    bmap[-1, :] = seg[-1, :] ^ east[-1, :]
    bmap[:, -1] = seg[:, -1] ^ south[:, -1]
    bmap[-1, -1] = 0
    return bmap


def plain_frame_f(gt, pred, void, kernel):
    keep = ~void
    fg, gb = _bmap(pred & keep), _bmap(gt & keep)
    fg_dil = cv2.dilate(fg.astype(np.uint8), kernel)
    gt_dil = cv2.dilate(gb.astype(np.uint8), kernel)
    n_fg, n_gt = int(fg.sum()), int(gb.sum())
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1, 0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0, 1
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1, 1
    else:
        precision = np.sum(fg * gt_dil) / float(n_fg)
        recall = np.sum(gb * fg_dil) / float(n_gt)
    if precision + recall == 0:
        return 0
    return 2 * precision * recall / (precision + recall)


def plain_reference(gt, pred, task):
    """Full-frame semi-supervised / unsupervised J and F (upstream algo)."""
    void = gt == 255
    labels = np.where(void, 0, gt)
    num_gt = int(labels[0].max())
    if task == 'semi-supervised':
        labels, pred, void = labels[1:-1], pred[1:-1], void[1:-1]
        void = np.zeros_like(void)
    num_pred = max(int(pred.max()), num_gt)
    kernel = disk(bound_pixels(gt.shape[1:]))
    shape = (num_pred, num_gt, labels.shape[0])
    j_all, f_all = np.zeros(shape), np.zeros(shape)
    for g in range(num_gt):
        for p in range(num_pred):
            if task == 'semi-supervised' and p != g:
                continue
            gm, pm = labels == g + 1, pred == p + 1
            inter = np.sum(gm & pm & ~void, axis=(1, 2))
            union = np.sum((gm | pm) & ~void, axis=(1, 2))
            with np.errstate(divide='ignore', invalid='ignore'):
                j = inter / union
            j[np.isclose(union, 0)] = 1
            j_all[p, g] = j
            f_all[p, g] = [plain_frame_f(gm[t], pm[t], void[t], kernel)
                           for t in range(len(gm))]
    if task == 'semi-supervised':
        idx = np.arange(num_gt)
        return j_all[idx, idx], f_all[idx, idx]
    from scipy.optimize import linear_sum_assignment
    rows, cols = linear_sum_assignment(
        -(j_all.mean(2) + f_all.mean(2)) / 2)
    return j_all[rows, cols], f_all[rows, cols]


def official_reference(repo, gt, pred, task):
    sys.path.insert(0, repo)
    from davis2017.evaluation import DAVISEvaluation
    masks = gt.astype(np.float64)
    void = (masks == 255).astype(np.float64)
    masks[masks == 255] = 0
    num = int(masks[0].max())
    gt_oh = np.arange(1, num + 1)[:, None, None, None] == masks[None]
    prd = pred.astype(np.float64)
    if task == 'semi-supervised':
        gt_oh, prd = gt_oh[:, 1:-1], prd[1:-1]
    num_p = int(prd.max())
    pr_oh = np.arange(1, num_p + 1)[:, None, None, None] == prd[None]
    if task == 'semi-supervised':
        return DAVISEvaluation._evaluate_semisupervised(
            gt_oh, pr_oh, None, ('J', 'F'))
    return DAVISEvaluation._evaluate_unsupervised(gt_oh, pr_oh, void,
                                                  ('J', 'F'))


def main() -> None:
    args = parse_args()
    rng = np.random.default_rng(args.seed)
    seqs = {f'seq{i}': make_sequence(rng, args.frames, args.height,
                                     args.width)
            for i in range(args.sequences)}
    timings, results = {}, {}
    for side in ('mmvidseg', 'reference'):
        out, tic = {}, time.perf_counter()
        for name, (gt, pred) in seqs.items():
            if side == 'mmvidseg':
                out[name] = evaluate_davis_sequence(gt, pred, args.task)
            elif args.official_repo:
                out[name] = official_reference(args.official_repo, gt, pred,
                                               args.task)
            else:
                out[name] = plain_reference(gt, pred, args.task)
        timings[side] = time.perf_counter() - tic
        results[side] = out
    same = all(
        np.array_equal(a, b) for name in seqs
        for a, b in zip(results['mmvidseg'][name], results['reference'][name]))
    ref_name = 'official davis2017' if args.official_repo else \
        'full-frame reference'
    print(f'{args.sequences} sequences x {args.frames} frames at '
          f'{args.height}x{args.width}, {args.task}')
    for side in ('mmvidseg', 'reference'):
        summary = davis_summary(results[side])
        print(f'{side:>9}: J&F-Mean {summary["J&F-Mean"]:.6f} '
              f'in {timings[side]:.2f} s')
    print(f'identical per-frame J and F ({ref_name}): {same}')
    print(f'speed-up: {timings["reference"] / timings["mmvidseg"]:.1f}x')


if __name__ == '__main__':
    main()
