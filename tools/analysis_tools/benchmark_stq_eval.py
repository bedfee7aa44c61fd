# Copyright (c) mmvidseg contributors. All rights reserved.
"""Speed of mmvidseg's STQ (KITTI-STEP-sized sequences) vs a reference.

Writes synthetic KITTI-STEP panoptic PNG folders (default 2 sequences x 50
frames at 375x1242, 19 classes, things 11 and 13), then times, in the same
process and on the same data:

* the metric alone on in-memory panoptic maps: mmvidseg's
  :class:`~mmvidseg.evaluation.functional.stq.STQuality` vs the reference;
* PNG decoding alone (every GT and predicted PNG read once), with each
  reader installed (Pillow, OpenCV, pyspng), and the share of decoding in
  mmvidseg's serial time (decoding + metric);
* the whole offline evaluation from the PNG folders:
  ``mmvidseg.evaluation.offline.stq`` (the fastest reader, one process per
  sequence where there are cores) vs reading the PNGs one by one with
  Pillow and feeding the reference.

The reference is either the official deeplab2 numpy STQ, imported from
``--official-root`` (a checkout of google-research/deeplab2; the file
``evaluation/numpy/segmentation_and_tracking_quality.py`` is loaded as
is), or by default a straightforward per-frame implementation of the same
definition written here (per-frame ``np.unique`` of the pixel ids, Python
dictionaries of tube areas, a Python loop over intersections). The script
checks that STQ / AQ / SQ and the per-sequence values agree to 1e-9 and
prints the speed ratios. It contains no official code.

    python tools/analysis_tools/benchmark_stq_eval.py --seqs 2 --frames 50
"""
import argparse
import importlib.util
import os
import os.path as osp
import tempfile
import time
from collections import defaultdict
from functools import partial

import numpy as np

from mmvidseg.evaluation.functional.panoptic_io import (kitti_step_decode,
                                                         kitti_step_encode,
                                                         png_backend,
                                                         read_rgb_png,
                                                         write_png)
from mmvidseg.evaluation.functional.stq import STQuality
from mmvidseg.evaluation.offline import stq as stq_offline

NUM_CLASSES, THINGS, IGNORE, SHIFT, OFFSET = 19, (11, 13), 255, 16, 1 << 24


def make_sequence(rng: np.random.Generator, frames: int, h: int, w: int,
                  objects: int) -> tuple:
    """GT and predicted ``(T, H, W)`` semantic and instance maps."""
    rows = np.arange(h)[:, None]
    band = np.minimum(rows * 6 // h, 5) + np.zeros((1, w), np.int64)
    stuff = np.array([10, 8, 0, 1, 2, 9])[band]  # sky ... road, (H, W)
    pos = rng.uniform([0, 0], [h - 40, w - 80], (objects, 2))
    vel = rng.uniform(-6, 6, (objects, 2))
    size = rng.uniform([20, 30], [90, 200], (objects, 2))
    cls = rng.choice(THINGS, objects)
    out = [np.empty((frames, h, w), np.int64) for _ in range(4)]
    swap = {}
    for t in range(frames):
        sem, inst = stuff.copy(), np.zeros((h, w), np.int64)
        sem[rng.random((h, w)) < 0.02] = IGNORE
        for k in range(objects):
            y, x = (pos[k] + vel[k] * t).astype(int)
            dy, dx = size[k].astype(int)
            y0, x0 = np.clip([y, x], 0, [h - 1, w - 1])
            sem[y0:y0 + dy, x0:x0 + dx] = cls[k]
            inst[y0:y0 + dy, x0:x0 + dx] = k + 1
        crowd = (t % 7 == 0)
        if crowd:  # a crowd region: thing class, instance 0
            sem[:30, :60], inst[:30, :60] = 13, 0
        p_sem = np.roll(sem, int(rng.integers(-2, 3)), axis=1)
        p_inst = np.roll(inst, int(rng.integers(-2, 3)), axis=0)
        p_sem[rng.random((h, w)) < 0.01] = int(rng.integers(0, NUM_CLASSES))
        if rng.random() < 0.1:
            swap[int(rng.integers(1, objects + 1))] = int(rng.integers(50, 60))
        for k, v in swap.items():
            p_inst[p_inst == k] = v
        p_inst = np.where(np.isin(p_sem, THINGS), p_inst, 0)
        inst = np.where(np.isin(sem, THINGS), inst, 0)
        for arr, val in zip(out, (sem, inst, p_sem, p_inst)):
            arr[t] = val
    return tuple(out)


def reference_stq(frames_iter) -> dict:
    """Per-frame reference: np.unique per frame + Python dictionaries."""
    size = NUM_CLASSES + 1
    conf = defaultdict(lambda: np.zeros((size, size), np.int64))
    gt_a, pr_a, in_a = (defaultdict(lambda: defaultdict(int))
                        for _ in range(3))
    things = np.array(THINGS)
    for seq, y_true, y_pred in frames_iter:
        s_t, s_p = y_true >> SHIFT, y_pred >> SHIFT
        s_t = np.where(s_t == IGNORE, NUM_CLASSES, s_t)
        s_p = np.where(s_p == IGNORE, NUM_CLASSES, s_p)
        ids, cnt = np.unique(s_t * size + s_p, return_counts=True)
        conf[seq][ids // size, ids % size] += cnt
        lab = np.isin(s_t, things)
        crowd = lab & ((y_true & 0xFFFF) == 0)
        lab &= ~crowd
        prd = np.isin(s_p, things) & ~crowd
        for store, values in ((gt_a[seq], y_true[lab]),
                              (pr_a[seq], y_pred[prd]),
                              (in_a[seq], y_true[lab & prd] * OFFSET +
                               y_pred[lab & prd])):
            for i, c in zip(*np.unique(values, return_counts=True)):
                store[int(i)] += int(c)
    out, aq_sum, tubes = {}, 0.0, 0
    total = np.zeros((size, size), np.int64)
    for seq in conf:
        aq = 0.0
        for key, tpa in in_a[seq].items():
            g, p = key // OFFSET, key % OFFSET
            aq += tpa * tpa / (gt_a[seq][g] + pr_a[seq][p] - tpa) / \
                gt_a[seq][g]
        aq_sum, tubes = aq_sum + aq, tubes + len(gt_a[seq])
        cm = conf[seq].copy()
        cm[NUM_CLASSES] = 0
        total += cm
        out[seq] = (aq / max(len(gt_a[seq]), 1e-15), _miou(cm))
    aq, iou = aq_sum / max(tubes, 1e-15), _miou(total)
    return dict(STQ=float(np.sqrt(aq * iou)), AQ=aq, IoU=iou, per_seq=out)


def _miou(cm: np.ndarray) -> float:
    inter = np.diag(cm).astype(np.float64)
    union = cm.sum(0) + cm.sum(1) - inter
    return float(np.sum(inter / np.maximum(union, 1e-15)) /
                 np.count_nonzero(union))


def official_stq(root: str, frames_iter) -> dict:
    path = osp.join(root, 'evaluation', 'numpy',
                    'segmentation_and_tracking_quality.py')
    spec = importlib.util.spec_from_file_location('official_stq', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    metric = module.STQuality(NUM_CLASSES, list(THINGS), IGNORE, SHIFT,
                              OFFSET)
    for seq, y_true, y_pred in frames_iter:
        metric.update_state(y_true, y_pred, seq)
    res = metric.result()
    return dict(STQ=float(res['STQ']), AQ=float(res['AQ']),
                IoU=float(res['IoU']),
                per_seq={s: (float(a), float(i)) for s, a, i in zip(
                    res['ID_per_seq'], res['AQ_per_seq'],
                    res['IoU_per_seq'])})


def _png_frames(root: str, seqs):
    """What a user of the reference does: Pillow, frame by frame."""
    for seq in seqs:
        for name in sorted(os.listdir(osp.join(root, 'gt', seq))):
            st, it = kitti_step_decode(read_rgb_png(
                osp.join(root, 'gt', seq, name), backend='pil'))
            sp, ip = kitti_step_decode(read_rgb_png(
                osp.join(root, 'pred', seq, name), backend='pil'))
            yield seq, (st << SHIFT) + it, (sp << SHIFT) + ip


def _decode_all(paths, backend: str) -> None:
    for path in paths:
        read_rgb_png(path, backend=backend)


def _time_decoding(root: str, seqs, repeat: int) -> dict:
    """Best time to read every PNG once, per installed reader."""
    paths = [osp.join(root, kind, seq, name) for seq in seqs
             for kind in ('gt', 'pred')
             for name in sorted(os.listdir(osp.join(root, 'gt', seq)))]
    backends = ['pil']
    for name in ('cv2', 'pyspng'):
        try:
            __import__(name)
            backends.append(name)
        except ImportError:
            pass
    best = {b: float('inf') for b in backends}
    for _ in range(max(1, repeat)):  # interleaved
        for b in backends:
            t0 = time.perf_counter()
            _decode_all(paths, b)
            best[b] = min(best[b], time.perf_counter() - t0)
    return best


def _check(name: str, ours: dict, ref: dict) -> float:
    diff = max(abs(ours[k] - ref[k]) for k in ('STQ', 'AQ', 'IoU'))
    for seq, (aq, iou) in ref['per_seq'].items():
        diff = max(diff, abs(ours['per_sequence'][seq]['AQ'] - aq),
                   abs(ours['per_sequence'][seq]['IoU'] - iou))
    # deeplab2 accumulates tube areas in float32 (mmvidseg: exact int64 and
    # float64, see STQuality's docstring): agreement to ~1e-7 is expected
    verdict = 'identical' if diff < 1e-9 else (
        'equal up to float32 accumulation' if diff < 1e-6 else 'MISMATCH')
    print(f'  {name}: STQ {ref["STQ"]:.12f} AQ {ref["AQ"]:.12f} SQ '
          f'{ref["IoU"]:.12f}; max |difference| to mmvidseg {diff:.2e} '
          f'({verdict})')
    return diff


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
    parser.add_argument('--seqs', type=int, default=2)
    parser.add_argument('--frames', type=int, default=50)
    parser.add_argument('--height', type=int, default=375)
    parser.add_argument('--width', type=int, default=1242)
    parser.add_argument('--objects', type=int, default=12)
    parser.add_argument('--repeat', type=int, default=3,
                        help='timings are the minimum over this many runs')
    parser.add_argument('--official-root', default=None,
                        help='google-research/deeplab2 checkout to use as '
                        'the reference')
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    seqs = [f'{i:04d}' for i in range(args.seqs)]
    data = {}
    with tempfile.TemporaryDirectory() as root:
        for seq in seqs:
            st, it, sp, ip = make_sequence(rng, args.frames, args.height,
                                           args.width, args.objects)
            data[seq] = ((st << SHIFT) + it, (sp << SHIFT) + ip)
            for t in range(args.frames):
                write_png(osp.join(root, 'gt', seq, f'{t:06d}.png'),
                          kitti_step_encode(st[t], it[t]))
                write_png(osp.join(root, 'pred', seq, f'{t:06d}.png'),
                          kitti_step_encode(sp[t], ip[t]))

        def arrays():
            for seq in seqs:
                for y_true, y_pred in zip(*data[seq]):
                    yield seq, y_true, y_pred

        if args.official_root:
            ref_name = 'official deeplab2'
            run_ref = partial(official_stq, args.official_root)
        else:
            ref_name, run_ref = 'per-frame reference', reference_stq
        print(f'{args.seqs} sequences x {args.frames} frames, '
              f'{args.height}x{args.width}')
        def ours_metric():
            metric = STQuality(NUM_CLASSES, THINGS, IGNORE, SHIFT, OFFSET)
            for seq, y_true, y_pred in arrays():
                metric.update(y_true, y_pred, seq)
            return stq_offline._format(metric.result())

        # 1) metric only, in-memory maps
        t_ours, ours, t_ref, ref = _race(ours_metric,
                                         lambda: run_ref(arrays()),
                                         args.repeat)
        print(f'metric only: mmvidseg {t_ours:.2f} s, {ref_name} '
              f'{t_ref:.2f} s, speed-up {t_ref / t_ours:.1f}x')
        _check(ref_name, ours, ref)
        # 2) PNG decoding alone, and its share of the serial time
        decode = _time_decoding(root, seqs, args.repeat)
        chosen = png_backend()
        speed = decode['pil'] / decode[chosen]
        print('PNG decoding, every PNG once: ' + ', '.join(
            f'{b} {t:.2f} s' for b, t in decode.items()) +
              f' (mmvidseg uses {chosen}: {speed:.1f}x Pillow)')
        serial = decode[chosen] + t_ours
        print(f'mmvidseg serial time = decoding {decode[chosen]:.2f} s + '
              f'metric {t_ours:.2f} s: decoding is '
              f'{decode[chosen] / serial:.0%}')
        # 3) end to end from the PNG folders
        ns = argparse.Namespace(stq_format='kitti_step', num_classes=None,
                                things=None, ignore_label=IGNORE,
                                sequences=None)
        t_ours, ours, t_ref, ref = _race(
            lambda: stq_offline.evaluate(osp.join(root, 'gt'),
                                         osp.join(root, 'pred'), ns),
            lambda: run_ref(_png_frames(root, seqs)), args.repeat)
        print(f'PNG folders end to end: mmvidseg {t_ours:.2f} s '
              f'({stq_offline._workers()} cores), {ref_name} {t_ref:.2f} s, '
              f'speed-up {t_ref / t_ours:.1f}x')
        _check(ref_name, ours, ref)


if __name__ == '__main__':
    main()
