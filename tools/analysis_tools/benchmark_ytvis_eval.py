# Copyright (c) mmvidseg contributors. All rights reserved.
"""Speed / memory of mmvidseg's YouTube-VIS AP against mmdet's ytviseval.

Generates (once, cached in ``--work-dir``) a synthetic YouTube-VIS split: by
default 300 videos x 36 frames at 360x640, 1-4 ground-truth tracks and 100
predicted tracks per video over 5 categories (predictions near the ground
truth and random ones, RLE built directly in run-length form). Then, each in
a fresh subprocess on the same files, it runs

* the reference: mmdet 3.3's ``YTVIS`` / ``YTVISeval`` (a copy of the official
  ``youtubevos/cocoapi`` ytvoseval) with ``np.float`` patched to ``float``;
* mmvidseg's :func:`mmvidseg.evaluation.functional.ytvis_ap`;

and prints the 12 numbers of both (they must be identical), the evaluation
time (JSON loading excluded, reported apart), the time ratio and the peak RSS
of each process.

Example::

    python tools/analysis_tools/benchmark_ytvis_eval.py --work-dir work_dirs/bench_ytvis
    python tools/analysis_tools/benchmark_ytvis_eval.py --videos 30  # quick
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import time

import numpy as np

NAMES = ('AP', 'AP50', 'AP75', 'AP_S', 'AP_M', 'AP_L', 'AR1', 'AR10', 'AR100',
         'AR_S', 'AR_M', 'AR_L')


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--videos', type=int, default=300)
    parser.add_argument('--frames', type=int, default=36)
    parser.add_argument('--height', type=int, default=360)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument('--preds', type=int, default=100,
                        help='predicted tracks per video')
    parser.add_argument('--cats', type=int, default=5)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--work-dir', default='work_dirs/bench_ytvis')
    parser.add_argument('--skip-reference', action='store_true')
    parser.add_argument('--run', choices=['ours', 'reference'],
                        help='internal: run one side in this process')
    return parser.parse_args()


def _shape_counts(rng, h, w, max_h, max_w) -> tuple:
    """Column-major run lengths of an ellipse-like blob (uncompressed RLE)."""
    bh, bw = int(rng.integers(8, max_h)), int(rng.integers(8, max_w))
    cols = np.arange(bw)
    half = (bh / 2) * np.sqrt(1 - ((cols + .5 - bw / 2) / (bw / 2))**2)
    ys = np.floor(bh / 2 - half).astype(np.int64)
    ye = np.maximum(np.ceil(bh / 2 + half).astype(np.int64), ys + 1)
    y0 = int(rng.integers(0, h - bh))
    x0 = int(rng.integers(0, w - bw))
    ys, ye = ys + y0, ye + y0
    counts = np.empty(2 * bw + 1, dtype=np.int64)
    counts[0] = x0 * h + ys[0]
    counts[1:-1:2] = ye - ys
    counts[2:-1:2] = (h - ye[:-1]) + ys[1:]
    counts[-1] = h * w - counts[:-1].sum()
    return counts, (int(ys.min()), int(h - ye.max()), x0, w - x0 - bw)


def _track(rng, h, w, num_frames, base, present) -> list:
    """Per frame uncompressed RLE of ``base`` moving around, or None."""
    counts, (top, bottom, left, right) = base
    dy, dx = 0, 0
    out = []
    for t in range(num_frames):
        dy = int(np.clip(dy + rng.integers(-3, 4), -top, bottom))
        dx = int(np.clip(dx + rng.integers(-3, 4), -left, right))
        if not present[t]:
            out.append(None)
            continue
        c = counts.copy()
        shift = dx * h + dy
        c[0] += shift
        c[-1] -= shift
        out.append(c)
    return out


def generate(args: argparse.Namespace) -> tuple:
    """Write gt.json and results.json in the work dir (cached)."""
    from mmvidseg.structures.masks import rle_area, to_json_rle
    tag = (f'v{args.videos}_f{args.frames}_{args.height}x{args.width}_'
           f'p{args.preds}_c{args.cats}_s{args.seed}')
    gt_path = osp.join(args.work_dir, f'gt_{tag}.json')
    res_path = osp.join(args.work_dir, f'results_{tag}.json')
    if osp.isfile(gt_path) and osp.isfile(res_path):
        return gt_path, res_path
    os.makedirs(args.work_dir, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    h, w, num_frames = args.height, args.width, args.frames

    def compress(tracks):
        return [[None if c is None else
                 to_json_rle(dict(size=[h, w], counts=c)) for c in tr]
                for tr in tracks]

    videos, anns, results = [], [], []
    for vid in range(1, args.videos + 1):
        videos.append(dict(id=vid, height=h, width=w, length=num_frames,
                           file_names=[f'{vid}/{t:05d}.jpg'
                                       for t in range(num_frames)]))
        gt_tracks, gt_meta = [], []
        for _ in range(int(rng.integers(1, 5))):
            base = _shape_counts(rng, h, w, h // 2, w // 3)
            present = rng.random(num_frames) > 0.1
            gt_tracks.append(_track(rng, h, w, num_frames, base, present))
            gt_meta.append((int(rng.integers(1, args.cats + 1)), base))
        for segs, (cat, _) in zip(compress(gt_tracks), gt_meta):
            areas = [None if s is None else rle_area(s)
                     for s in segs]
            anns.append(dict(id=len(anns) + 1, video_id=vid, category_id=cat,
                             iscrowd=0, segmentations=segs, areas=areas,
                             bboxes=[None] * num_frames))
        pred_tracks, pred_cats = [], []
        for p in range(args.preds):
            present = np.ones(num_frames, bool)
            if p < 3 * len(gt_meta):  # near a ground truth
                cat, base = gt_meta[p % len(gt_meta)]
                if rng.random() < 0.3:
                    cat = int(rng.integers(1, args.cats + 1))
            else:
                cat = int(rng.integers(1, args.cats + 1))
                base = _shape_counts(rng, h, w, h // 2, w // 3)
            pred_tracks.append(_track(rng, h, w, num_frames, base, present))
            pred_cats.append(cat)
        for segs, cat in zip(compress(pred_tracks), pred_cats):
            results.append(dict(video_id=vid, score=float(rng.random()),
                                category_id=cat, segmentations=segs))
    gt = dict(videos=videos, annotations=anns,
              categories=[dict(id=c, name=f'class{c}')
                          for c in range(1, args.cats + 1)])
    with open(gt_path, 'w') as f:
        json.dump(gt, f)
    with open(res_path, 'w') as f:
        json.dump(results, f)
    return gt_path, res_path


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(side: str, gt_path: str, res_path: str) -> dict:
    """Load the files, evaluate, return numbers, time and memory."""
    import contextlib
    import io
    # imports first: importing mmvidseg.evaluation also imports mmdet's
    # packages, which must not count as evaluation time
    if side == 'ours':
        from mmvidseg.evaluation.functional import ytvis_ap
    else:
        np.float = float  # the only patch mmdet 3.3's ytviseval needs
        from mmdet.evaluation.functional import YTVIS, YTVISeval
    tic = time.perf_counter()
    with open(gt_path) as f:
        gt = json.load(f)
    with open(res_path) as f:
        results = json.load(f)
    load_s = time.perf_counter() - tic
    rss_loaded = _peak_rss_mb()
    tic, cpu = time.perf_counter(), time.process_time()
    if side == 'ours':
        stats = ytvis_ap(gt, results)
        numbers = [stats[n] for n in NAMES]
    else:
        with contextlib.redirect_stdout(io.StringIO()):
            ytvis = YTVIS(gt)
            dets = ytvis.loadRes(results)
            ev = YTVISeval(ytvis, dets, 'segm')
            ev.params.vidIds = ytvis.getVidIds()
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        numbers = [float(x) for x in ev.stats]
    eval_s = time.perf_counter() - tic
    cpu_s = time.process_time() - cpu
    return dict(numbers=numbers, load_s=load_s, eval_s=eval_s, cpu_s=cpu_s,
                peak_rss_mb=_peak_rss_mb(), rss_after_load_mb=rss_loaded)


def main() -> None:
    args = parse_args()
    if args.run:
        gt_path, res_path = generate(args)
        print(json.dumps(run_one(args.run, gt_path, res_path)))
        return
    tic = time.perf_counter()
    gt_path, res_path = generate(args)
    print(f'data: {gt_path} ({osp.getsize(gt_path) / 2**20:.0f} MB), '
          f'{res_path} ({osp.getsize(res_path) / 2**20:.0f} MB) '
          f'[{time.perf_counter() - tic:.1f} s]')
    print('load average before: {:.2f} {:.2f} {:.2f} ({} CPUs); wall-time '
          'ratios are only meaningful when it is low'.format(
              *os.getloadavg(), os.cpu_count()))
    sides = ['ours'] + ([] if args.skip_reference else ['reference'])
    out = {}
    for side in sides:
        cmd = [sys.executable, __file__, '--run', side] + [
            a for a in sys.argv[1:]]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode:
            sys.exit(f'{side} run failed:\n{proc.stderr[-3000:]}')
        out[side] = json.loads(proc.stdout.strip().splitlines()[-1])
        r = out[side]
        print(f'{side:>9}: eval {r["eval_s"]:.2f} s wall, {r["cpu_s"]:.2f} s '
              f'CPU (json load '
              f'{r["load_s"]:.2f} s), peak RSS {r["peak_rss_mb"]:.0f} MB '
              f'(after loading {r["rss_after_load_mb"]:.0f} MB)')
    print(' '.join(f'{n}={v:.6f}' for n, v in zip(NAMES,
                                                   out['ours']['numbers'])))
    if 'reference' in out:
        ours, ref = out['ours'], out['reference']
        diff = np.abs(np.array(ours['numbers']) - np.array(ref['numbers']))
        print(f'identical numbers: {bool((diff == 0).all())} '
              f'(max abs diff {diff.max():.3g})')
        print(f'speed-up: {ref["eval_s"] / ours["eval_s"]:.1f}x wall, '
              f'{ref["cpu_s"] / ours["cpu_s"]:.1f}x CPU; peak RSS '
              f'{ours["peak_rss_mb"]:.0f} MB vs {ref["peak_rss_mb"]:.0f} MB; '
              'evaluation memory above the loaded data: '
              f'{ours["peak_rss_mb"] - ours["rss_after_load_mb"]:.0f} MB vs '
              f'{ref["peak_rss_mb"] - ref["rss_after_load_mb"]:.0f} MB')
    print('load average after: {:.2f} {:.2f} {:.2f}'.format(*os.getloadavg()))


if __name__ == '__main__':
    main()
