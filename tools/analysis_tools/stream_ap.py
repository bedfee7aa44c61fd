# Copyright (c) mmvidseg contributors. All rights reserved.
"""YouTube-VIS AP of streaming inference against whole-video inference.

Runs :class:`mmvidseg.apis.VideoSession` over every video of a YouTube-VIS
style annotation file (frames read from ``--img-root``), once per
``--windows`` setting ``W/O`` (window ``W`` frames, overlap ``O``), gathers
each stream's tracks into a YouTube-VIS results list (one entry per global
track id: its first label, the mean of its per-frame scores, an RLE per
frame and ``None`` where the track is absent) and scores it with
mmvidseg's YouTube-VIS AP. A window as long as the videos is whole-video
inference through the same code, so the AP lost to window linking is the
difference between its row and the others.

    python tools/analysis_tools/make_toy_heldout.py --seeds 1 2 \\
        --out data/toy_heldout
    python tools/analysis_tools/stream_ap.py CONFIG CHECKPOINT \\
        --ann data/toy_heldout/youtube_vis/heldout.json \\
        --img-root data/toy_heldout/youtube_vis/JPEGImages \\
        --windows 8/0 4/2 4/1 3/1 --out stream_ap.json
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from collections import defaultdict
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--ann', required=True,
                        help='YouTube-VIS JSON with ground truth')
    parser.add_argument('--img-root', required=True,
                        help='folder that the file_names are relative to')
    parser.add_argument('--windows', nargs='+', default=['8/0', '4/2'],
                        help='W/O pairs: window W frames, overlap O')
    parser.add_argument('--iou-thr', type=float, default=0.5)
    parser.add_argument('--class-agnostic', action='store_true',
                        help='link tracks of any class across windows')
    parser.add_argument('--max-videos', type=int, default=None)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out', default=None,
                        help='write the table as JSON here')
    return parser.parse_args(argv)


def parse_window(text: str) -> Tuple[int, int]:
    """``'8/2'`` -> ``(8, 2)``, with a message naming the bad value."""
    try:
        window, overlap = (int(v) for v in text.split('/'))
    except ValueError:
        raise ValueError(f'--windows {text!r}: expected W/O, e.g. 8/2')
    if not 0 <= overlap < window:
        raise ValueError(f'--windows {text!r}: the overlap must be in '
                         f'[0, {window})')
    return window, overlap


def tracks_to_results(frame_results: Sequence, video_id: int,
                      num_frames: int, category_ids: Sequence[int]
                      ) -> List[dict]:
    """One YouTube-VIS result per global track id of a stream.

    Args:
        frame_results: The session's :class:`FrameResult` list, in order.
        video_id (int): Id of the video in the annotation file.
        num_frames (int): Frames of the video.
        category_ids (Sequence[int]): Dataset category id of each label.

    Returns:
        list[dict]: ``video_id``, ``category_id`` (the track's first
        label), ``score`` (mean over the frames it is in), ``segmentations``
        (RLE per frame, ``None`` where absent).
    """
    segs: Dict[int, list] = {}
    scores: Dict[int, list] = defaultdict(list)
    labels: Dict[int, int] = {}
    for res in frame_results:
        rles = res.rle() if len(res.track_ids) else []
        for k, tid in enumerate(res.track_ids.tolist()):
            if tid not in segs:
                segs[tid] = [None] * num_frames
                labels[tid] = int(res.labels[k])
            segs[tid][res.frame_idx] = rles[k]
            scores[tid].append(float(res.scores[k]))
    return [
        dict(video_id=video_id, category_id=int(category_ids[labels[t]]),
             score=float(np.mean(scores[t])), segmentations=segs[t])
        for t in sorted(segs)
    ]


def run(args: argparse.Namespace) -> List[dict]:
    from mmvidseg.apis import VideoSession, init_model
    from mmvidseg.evaluation.functional.ytvis_io import ytvis_ap

    with open(args.ann) as f:
        gt = json.load(f)
    videos = gt['videos'][:args.max_videos]
    category_ids = sorted(c['id'] for c in gt['categories'])
    model = init_model(args.config, args.checkpoint, device=args.device)
    rows = []
    for text in args.windows:
        window, overlap = parse_window(text)
        session = VideoSession(model, window=window, overlap=overlap,
                               iou_thr=args.iou_thr,
                               class_aware=not args.class_agnostic)
        results, start = [], time.perf_counter()
        for video in videos:
            paths = [osp.join(args.img_root, n) for n in video['file_names']]
            frames = []
            for p in paths:
                img = cv2.imread(p)
                if img is None:
                    raise FileNotFoundError(
                        f'video {video["id"]}: frame {p} cannot be read; '
                        'check --img-root')
                frames.append(img)
            out = list(session.propagate(frames))
            results += tracks_to_results(out, video['id'], len(paths),
                                         category_ids)
        seconds = time.perf_counter() - start
        keep = {v['id'] for v in videos}
        gt_sub = dict(gt, videos=videos, annotations=[
            a for a in gt['annotations'] if a['video_id'] in keep])
        ap = ytvis_ap(gt_sub, results)
        rows.append(dict(window=window, overlap=overlap,
                         num_videos=len(videos), seconds=round(seconds, 1),
                         **{k: ap[k] for k in ('AP', 'AP50', 'AP75',
                                               'AR1', 'AR10')}))
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv=None) -> int:
    args = parse_args(argv)
    for text in args.windows:
        parse_window(text)
    rows = run(args)
    print(f'{"window/overlap":>15} {"AP":>7} {"AP50":>7} {"AP75":>7} '
          f'{"AR10":>7} {"s":>7}')
    for r in rows:
        print(f'{r["window"]:>12}/{r["overlap"]:<2} {r["AP"]:7.4f} '
              f'{r["AP50"]:7.4f} {r["AP75"]:7.4f} {r["AR10"]:7.4f} '
              f'{r["seconds"]:7.1f}')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
