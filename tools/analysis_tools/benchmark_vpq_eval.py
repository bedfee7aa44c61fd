# Copyright (c) mmvidseg contributors. All rights reserved.
"""Speed of mmvidseg's VPQ (VIPSeg convention, 720p PNGs) vs a reference.

Writes a synthetic VIPSeg-layout submission (``panomasksRGB`` + GT JSON +
``pred.json`` / ``pan_pred``) at 1280x720, scores it with
``mmvidseg.evaluation.offline.vpq`` and with a reference in the same
process, checks that the numbers are identical and prints the speed ratio.

The reference is either the official script, imported from
``--official-root`` (a checkout of VIPSeg-Dataset; its
``ClipPanoFCN/eval_vpq_vspw.py`` functions are called single-process), or
by default a straightforward per-window re-implementation of the official
algorithm (decode every PNG of every window, ``np.unique`` on the stacked
window). This script contains no official code.

    python tools/analysis_tools/benchmark_vpq_eval.py --videos 2 --frames 8
"""
import argparse
import copy
import json
import os.path as osp
import sys
import tempfile
import time
from collections import defaultdict

import numpy as np

from mmvidseg.evaluation.functional.panoptic_io import (id2rgb, read_rgb_png,
                                                         rgb2id, write_png)
from mmvidseg.evaluation.functional.vpq import WINDOW_CONVENTIONS, pq_average
from mmvidseg.evaluation.offline import vpq as vpq_offline


def make_data(root: str, videos: int, frames: int, segments: int,
              seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    h, w = 720, 1280
    cats = [dict(id=i, isthing=int(i % 2)) for i in range(20)]
    gt_j = dict(videos=[], annotations=[], categories=cats)
    pred_j = dict(annotations=[])
    for v in range(videos):
        vid = f'video{v}'
        seg_cat = {s: int(rng.integers(0, 20)) for s in range(1, segments)}
        gt_j['videos'].append(dict(video_id=vid, images=[]))
        g_anns, p_anns = [], []
        cy, cx = rng.integers(0, h, segments), rng.integers(0, w, segments)
        for f in range(frames):
            cy = np.clip(cy + rng.integers(-20, 21, segments), 0, h - 1)
            cx = np.clip(cx + rng.integers(-20, 21, segments), 0, w - 1)
            yy, xx = np.mgrid[0:h:8, 0:w:8]
            d = (yy[..., None] - cy) ** 2 + (xx[..., None] - cx) ** 2
            small = np.argmin(d, -1)  # Voronoi cells, (90, 160)
            gt = np.kron(small, np.ones((8, 8), np.int64))  # (720, 1280)
            gt[gt >= segments] = 0
            pred = gt.copy()
            pred[rng.random((h, w)) < 0.05] = 0
            pred = np.where(pred > 0, pred + 1000, 0)
            name = f'{f:05d}.png'
            gt_j['videos'][-1]['images'].append(dict(file_name=name))
            write_png(osp.join(root, 'gt', vid, name), id2rgb(gt))
            write_png(osp.join(root, 'sub', 'pan_pred', vid, name),
                      id2rgb(pred))
            g_anns.append(dict(file_name=name, segments_info=[
                dict(id=int(i), category_id=seg_cat.get(int(i), 0),
                     iscrowd=0, area=int(a))
                for i, a in zip(*np.unique(gt, return_counts=True)) if i]))
            p_anns.append(dict(file_name=name, segments_info=[
                dict(id=int(i), category_id=seg_cat.get(int(i) - 1000, 0))
                for i in np.unique(pred) if i]))
        gt_j['annotations'].append(dict(video_id=vid, annotations=g_anns))
        pred_j['annotations'].append(dict(video_id=vid, annotations=p_anns))
    with open(osp.join(root, 'gt.json'), 'w') as f:
        json.dump(gt_j, f)
    with open(osp.join(root, 'sub', 'pred.json'), 'w') as f:
        json.dump(pred_j, f)
    return osp.join(root, 'gt'), osp.join(root, 'gt.json'), osp.join(
        root, 'sub')


def _load_pairs(gt_dir, gt_json, sub):
    with open(gt_json) as f:
        gt = json.load(f)
    with open(osp.join(sub, 'pred.json')) as f:
        pred = {a['video_id']: a['annotations']
                for a in json.load(f)['annotations']}
    gt_a = {a['video_id']: a['annotations'] for a in gt['annotations']}
    split = []
    for v in gt['videos']:
        vid = v['video_id']
        split.append([(g, p, osp.join(gt_dir, vid, im['file_name']),
                       osp.join(sub, 'pan_pred', vid, im['file_name']))
                      for g, p, im in zip(gt_a[vid], pred[vid], v['images'])])
    return gt, split


def reference_vpq(gt_dir, gt_json, sub):
    """Per-window re-implementation of the official VIPSeg algorithm."""
    gt, split = _load_pairs(gt_dir, gt_json, sub)
    cats = {c['id']: c for c in gt['categories']}
    values = []
    for nframes in WINDOW_CONVENTIONS['vipseg']:
        stat = defaultdict(lambda: [0.0, 0, 0, 0])
        for frames in split:
            for s in range(len(frames) - nframes + 1):
                g_ids, p_ids, g_segs, p_segs = [], [], {}, {}
                for g, p, gp, pp in frames[s:s + nframes]:
                    gi, pi = rgb2id(read_rgb_png(gp)), rgb2id(read_rgb_png(pp))
                    g_ids.append(gi)
                    p_ids.append(pi)
                    for el in g['segments_info']:
                        e = g_segs.setdefault(el['id'], dict(el, area=0))
                        e['area'] += el['area']
                    ids, cnt = np.unique(pi, return_counts=True)
                    cat = {el['id']: el['category_id']
                           for el in p['segments_info']}
                    for i, c in zip(ids.tolist(), cnt.tolist()):
                        if i:
                            e = p_segs.setdefault(
                                i, dict(category_id=cat[i], area=0))
                            e['area'] += c
                key = np.stack(g_ids).astype(np.uint64) * 256**3 + np.stack(
                    p_ids)
                labels, inter = np.unique(key, return_counts=True)
                pairs = {(int(k // 256**3), int(k % 256**3)): int(n)
                         for k, n in zip(labels, inter)}
                gm, pm = set(), set()
                for (gi, pi), n in pairs.items():
                    if gi not in g_segs or pi not in p_segs:
                        continue
                    gs, ps = g_segs[gi], p_segs[pi]
                    if gs['iscrowd'] or gs['category_id'] != ps['category_id']:
                        continue
                    iou = n / (ps['area'] + gs['area'] - n -
                               pairs.get((0, pi), 0))
                    if iou > 0.5:
                        stat[gs['category_id']][0] += iou
                        stat[gs['category_id']][1] += 1
                        gm.add(gi)
                        pm.add(pi)
                for gi, gs in g_segs.items():
                    if gi not in gm:
                        stat[gs['category_id']][3] += 1
                for pi, ps in p_segs.items():
                    if pi not in pm and pairs.get((0, pi), 0) / ps[
                            'area'] <= 0.5:
                        stat[ps['category_id']][2] += 1
        values.append(100 * pq_average(stat, cats, None)[0]['pq'])
    return sum(values) / len(values)


def official_vpq(root, gt_dir, gt_json, sub):
    sys.path.insert(0, osp.join(root, 'ClipPanoFCN'))
    import eval_vpq_vspw as off  # noqa: E402 (user-provided checkout)
    with open(gt_json) as f:
        gt = json.load(f)
    cats = {c['id']: c for c in gt['categories']}
    _, split = _load_pairs(gt_dir, gt_json, sub)
    split = [[(g, p, gp, pp, None) for g, p, gp, pp in v] for v in split]
    values = []
    for nframes in WINDOW_CONVENTIONS['vipseg']:
        stat = off.PQStat()
        for v in copy.deepcopy(split):
            stat += off.vpq_compute_single_core(cats, nframes, v)
        values.append(100 * stat.pq_average(cats, None)[0]['pq'])
    return sum(values) / len(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--videos', type=int, default=2)
    parser.add_argument('--frames', type=int, default=8)
    parser.add_argument('--segments', type=int, default=40)
    parser.add_argument('--official-root', default=None,
                        help='VIPSeg-Dataset checkout to use as reference')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        gt_dir, gt_json, sub = make_data(root, args.videos, args.frames,
                                         args.segments)
        ns = argparse.Namespace(gt_json=gt_json, vpq_format='vipseg',
                                window=None)
        t0 = time.perf_counter()
        ours = vpq_offline.evaluate(gt_dir, sub, ns)['VPQ']
        t_ours = time.perf_counter() - t0
        t0 = time.perf_counter()
        if args.official_root:
            ref = official_vpq(args.official_root, gt_dir, gt_json, sub)
            name = 'official'
        else:
            ref = reference_vpq(gt_dir, gt_json, sub)
            name = 'per-window reference'
        t_ref = time.perf_counter() - t0
    print(f'{args.videos} videos x {args.frames} frames, 1280x720')
    print(f'mmvidseg VPQ (VIPSeg windows) = {ours:.10f} in {t_ours:.2f} s')
    print(f'{name} VPQ = {ref:.10f} in {t_ref:.2f} s')
    print(f'|difference| = {abs(ours - ref):.2e}; speed-up = '
          f'{t_ref / t_ours:.1f}x')


if __name__ == '__main__':
    main()
