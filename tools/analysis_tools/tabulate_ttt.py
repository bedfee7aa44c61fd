# Copyright (c) mmvidseg contributors. All rights reserved.
"""Tabulate Video-TTT per-frame logs: baseline vs online TTT per video.

    python tools/analysis_tools/tabulate_ttt.py \
        --baseline WORK/frozen/ttt_frames --ttt WORK/online/ttt_frames \
        [--protocol coco|kitti|plain] [--official-weights] \
        [--min-frame N] [--out table.md]

Reads ``<video>.jsonl`` written by ``OnlineTTTLoop`` (one line per frame,
``value`` on evaluated frames). Per video: the mean of its per-frame
values (``renwang435/video-ttt-release: mask2former/utils/tabulate_results
{,_cv}.py``). Overall rows: ``coco`` = videos weighted by evaluated frames
(``--official-weights``: the official hard-coded counts); ``kitti`` =
frame-weighted means of the train and of the val sequences, separately
(official lengths with ``--official-weights``); ``plain`` = frame-weighted
over all videos. ``--min-frame`` keeps frames with ``frame_id >= N`` (e.g.
the shifted part of a toy stream). Also prints the per-frame cost (TTT
step, prediction, wall time) and the peak RSS of each run.
"""
import argparse
import glob
import json
import os.path as osp
from typing import Dict, List, Optional

import numpy as np

from mmvidseg.evaluation.functional.coco_videos import OFFICIAL_WEIGHTS
from mmvidseg.evaluation.functional.frame_miou import (KITTI_STEP_LENGTHS,
                                                       weighted_video_mean)


def read_run(folder: str, min_frame: int = 0) -> Dict[str, List[dict]]:
    """``{video: [frame records]}`` of one run's ``*.jsonl`` logs."""
    files = sorted(glob.glob(osp.join(folder, '*.jsonl')))
    if not files:
        raise FileNotFoundError(f'{folder}: no <video>.jsonl per-frame logs '
                                '(the OnlineTTTLoop log_dir)')
    out = {}
    for path in files:
        with open(path) as f:
            recs = [json.loads(line) for line in f if line.strip()]
        out[osp.splitext(osp.basename(path))[0]] = [
            r for r in recs if r['frame_id'] >= min_frame]
    return out


def video_values(run: Dict[str, List[dict]]) -> Dict[str, List[float]]:
    return {v: [r['value'] for r in recs if r.get('evaluated') and
                'value' in r] for v, recs in run.items()}


def summarise(run: Dict[str, List[dict]], protocol: str,
              official: bool) -> Dict[str, float]:
    """Per-video means and the overall row(s) of one run."""
    values = {v: x for v, x in video_values(run).items() if x}
    out = {v: float(np.mean(x)) for v, x in values.items()}
    if protocol == 'kitti':
        for split in ('train', 'val'):
            vids = {v: x for v, x in values.items()
                    if run[v] and run[v][0].get('split') == split}
            if vids:
                w = KITTI_STEP_LENGTHS if official else None
                out[f'{split} mean'] = weighted_video_mean(vids, w)['overall']
    else:
        w = OFFICIAL_WEIGHTS if (official and protocol == 'coco') else None
        out['overall'] = weighted_video_mean(values, w)['overall']
    return out


def cost(run: Dict[str, List[dict]]) -> Dict[str, float]:
    recs = [r for x in run.values() for r in x]
    return dict(
        ttt_s=float(np.mean([r['ttt_time_s'] for r in recs])),
        predict_s=float(np.mean([r['predict_time_s'] for r in recs
                                 if r['predict_time_s'] > 0] or [0.0])),
        wall_s=float(np.mean([r['wall_s'] for r in recs])),
        peak_rss_mb=float(max(r['peak_rss_mb'] for r in recs)))


def rel(new: float, base: float) -> str:
    return f'{(new - base) / abs(base) * 100:+.1f}%' if base else 'n/a'


def table(baseline: Dict[str, float], ttt: Dict[str, float]) -> str:
    rows = ['| video | baseline | online TTT | rel. improvement |',
            '|---|---|---|---|']
    keys = [k for k in baseline if 'mean' not in k and k != 'overall']
    keys += [k for k in baseline if 'mean' in k or k == 'overall']
    for k in keys:
        b, t = baseline[k], ttt.get(k, float('nan'))
        name = f'**{k}**' if ('mean' in k or k == 'overall') else k
        rows.append(f'| {name} | {b:.2f} | {t:.2f} | {rel(t, b)} |')
    return '\n'.join(rows)


def main(argv: Optional[list] = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--baseline', required=True,
                        help='per-frame log folder of the baseline run')
    parser.add_argument('--ttt', required=True,
                        help='per-frame log folder of the TTT run')
    parser.add_argument('--protocol', choices=('coco', 'kitti', 'plain'),
                        default='plain')
    parser.add_argument('--official-weights', action='store_true')
    parser.add_argument('--min-frame', type=int, default=0)
    parser.add_argument('--out', help='also write the table here')
    args = parser.parse_args(argv)
    runs = [read_run(d, args.min_frame) for d in (args.baseline, args.ttt)]
    sums = [summarise(r, args.protocol, args.official_weights) for r in runs]
    text = table(*sums)
    costs = [cost(r) for r in runs]
    text += '\n\n| run | TTT step s/frame | predict s/frame | wall s/frame ' \
            '| peak RSS MiB |\n|---|---|---|---|---|\n'
    for name, c in zip(('baseline', 'online TTT'), costs):
        text += (f"| {name} | {c['ttt_s']:.3f} | {c['predict_s']:.3f} | "
                 f"{c['wall_s']:.3f} | {c['peak_rss_mb']:.0f} |\n")
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text)
    return text


if __name__ == '__main__':
    main()
