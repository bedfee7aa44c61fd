# Copyright (c) mmvidseg contributors. All rights reserved.
"""YouTube-VIS AP of streaming inference against whole-video inference.

Runs :class:`mmvidseg.apis.VideoSession` over every video of a YouTube-VIS
style annotation file (frames read from ``--img-root``), once per
``--windows`` setting ``W/O`` (window ``W`` frames, overlap ``O``), gathers
each stream's tracks into a YouTube-VIS results list (one entry per global
track id: its first label, its score, an RLE per frame and ``None`` where
the track is absent) and scores it with mmvidseg's YouTube-VIS AP. A
window as long as the videos is whole-video inference through the same
code, so the AP lost to window linking is the difference between its row
and the others.

A track's video-level score is the mean of its per-frame scores over the
video's frames, 0 where the track is absent (``video``; a fragment that
covers few frames ranks below a track that spans the video, as a
whole-video model ranks its tracks); ``AP_mean_score`` scores the same
tracks with the mean over the frames they are in. Several ``--max-missing``
values share one model run per window (the model's outputs are replayed).

    python tools/analysis_tools/make_toy_heldout.py --seeds 1 2 \\
        --out data/toy_heldout
    python tools/analysis_tools/stream_ap.py CONFIG CHECKPOINT \\
        --ann data/toy_heldout/youtube_vis/heldout.json \\
        --img-root data/toy_heldout/youtube_vis/JPEGImages \\
        --windows 8/0 4/2 4/1 3/1 --max-missing 0 2 --out stream_ap.json
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
    parser.add_argument('--max-missing', type=int, nargs='+', default=[2],
                        help='windows a track survives without its own '
                        'match (VideoSession max_missing); several values: '
                        'one row per value and window')
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
                      num_frames: int, category_ids: Sequence[int],
                      score: str = 'video') -> List[dict]:
    """One YouTube-VIS result per global track id of a stream.

    Args:
        frame_results: The session's :class:`FrameResult` list, in order.
        video_id (int): Id of the video in the annotation file.
        num_frames (int): Frames of the video.
        category_ids (Sequence[int]): Dataset category id of each label.
        score (str): ``'video'``: the sum of the track's per-frame scores
            over ``num_frames`` (absent frames count 0); ``'mean'``: the
            mean over the frames it is in.

    Returns:
        list[dict]: ``video_id``, ``category_id`` (the track's first
        label), ``score``, ``segmentations`` (RLE per frame, ``None`` where
        absent).
    """
    if score not in ('video', 'mean'):
        raise ValueError(f"score={score!r}: expected 'video' or 'mean'")
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
             score=float(np.sum(scores[t]) / num_frames if score == 'video'
                         else np.mean(scores[t])),
             segmentations=segs[t])
        for t in sorted(segs)
    ]


class _ReplayModel:
    """The model, except that ``test_step`` replays its outputs for the
    ``k``-th call since :meth:`rewind` once computed for the current video:
    sessions with the same window and overlap call the model on the same
    windows, so linking settings can share one model run."""

    def __init__(self, model) -> None:
        self._model, self._outputs, self._calls = model, {}, 0

    def __getattr__(self, name):
        return getattr(self._model, name)

    def new_video(self) -> None:
        self._outputs.clear()
        self._calls = 0

    def rewind(self) -> None:
        self._calls = 0

    def test_step(self, data):
        k, self._calls = self._calls, self._calls + 1
        if k not in self._outputs:
            self._outputs[k] = self._model.test_step(data)
        return self._outputs[k]


def run(args: argparse.Namespace) -> List[dict]:
    from mmvidseg.apis import VideoSession, init_model
    from mmvidseg.evaluation.functional.ytvis_io import ytvis_ap

    with open(args.ann) as f:
        gt = json.load(f)
    videos = gt['videos'][:args.max_videos]
    category_ids = sorted(c['id'] for c in gt['categories'])
    model = _ReplayModel(init_model(args.config, args.checkpoint,
                                    device=args.device))
    rows = []
    keep = {v['id'] for v in videos}
    gt_sub = dict(gt, videos=videos, annotations=[
        a for a in gt['annotations'] if a['video_id'] in keep])
    for text in args.windows:
        window, overlap = parse_window(text)
        sessions = {m: VideoSession(model, window=window, overlap=overlap,
                                    iou_thr=args.iou_thr,
                                    class_aware=not args.class_agnostic,
                                    max_missing=m)
                    for m in args.max_missing}
        streams = {m: [] for m in sessions}
        start = time.perf_counter()
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
            model.new_video()
            for m, session in sessions.items():
                model.rewind()
                streams[m].append((video['id'], len(paths),
                                   list(session.propagate(frames))))
        seconds = time.perf_counter() - start
        for m, per_video in streams.items():
            ap = {}
            for mode in ('video', 'mean'):
                results = [r for vid, num, out in per_video
                           for r in tracks_to_results(out, vid, num,
                                                      category_ids, mode)]
                ap[mode] = ytvis_ap(gt_sub, results)
            rows.append(dict(window=window, overlap=overlap,
                             max_missing=m, num_videos=len(videos),
                             seconds=round(seconds, 1),
                             **{k: ap['video'][k] for k in (
                                 'AP', 'AP50', 'AP75', 'AR1', 'AR10')},
                             AP_mean_score=ap['mean']['AP']))
            print(json.dumps(rows[-1]), flush=True)
        if args.out:  # the rows so far survive a stopped run
            _write(args.out, rows)
    return rows


def _write(path: str, rows: List[dict]) -> None:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(rows, f, indent=1)


def main(argv=None) -> int:
    args = parse_args(argv)
    for text in args.windows:
        parse_window(text)
    rows = run(args)
    print(f'{"window/overlap":>15} {"missing":>7} {"AP":>7} {"AP mean":>7} '
          f'{"AP50":>7} {"AP75":>7} {"AR10":>7} {"s":>7}')
    for r in rows:
        print(f'{r["window"]:>12}/{r["overlap"]:<2} {r["max_missing"]:7d} '
              f'{r["AP"]:7.4f} {r["AP_mean_score"]:7.4f} '
              f'{r["AP50"]:7.4f} {r["AP75"]:7.4f} {r["AR10"]:7.4f} '
              f'{r["seconds"]:7.1f}')
    if args.out:
        _write(args.out, rows)
    return 0


if __name__ == '__main__':
    sys.exit(main())
