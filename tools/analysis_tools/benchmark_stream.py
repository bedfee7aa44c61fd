# Copyright (c) mmvidseg contributors. All rights reserved.
"""Peak memory and speed of streaming vs whole-video inference.

For each ``--frames`` count, a fresh process runs
:class:`mmvidseg.apis.VideoSession` over that many synthetic frames (moving
shapes on a textured background, ``--size H W``) and reports frames/s and
its peak resident memory (``ru_maxrss``); a fresh process runs whole-video
inference (:func:`mmvidseg.apis.inference_video`, every frame in memory) on
the smallest count for comparison. Prints the ratio peak(largest) /
peak(smallest) of the stream (flat memory: ~1.0).

    python tools/analysis_tools/benchmark_stream.py CONFIG [CHECKPOINT] \\
        --frames 1000 10000 --size 720 1280 --window 8 --overlap 2
"""
import argparse
import json
import subprocess
import sys
import time

import numpy as np


def synthetic_frames(num: int, h: int, w: int):
    """Frames one at a time: three shapes moving over a fixed texture."""
    rng = np.random.RandomState(0)
    background = rng.randint(0, 80, (h, w, 3), np.uint8)
    for t in range(num):
        frame = background.copy()
        for k, color in enumerate(((40, 40, 220), (40, 200, 40),
                                   (220, 120, 40))):
            cy = int(h * (0.3 + 0.2 * k))
            cx = int((t * (3 + k) * w / 200 + k * w / 3) % w)
            r = max(4, min(h, w) // 10)
            frame[max(cy - r, 0):cy + r, max(cx - r, 0):cx + r] = color
        yield frame


def _child(args) -> None:
    import torch

    from mmvidseg.apis import VideoSession, inference_video, init_model
    from mmvidseg.utils.memory import peak_rss_mb
    torch.set_grad_enabled(False)
    model = init_model(args.config, args.checkpoint)
    frames = synthetic_frames(args.child_frames, *args.size)
    start = time.perf_counter()
    if args.child_mode == 'stream':
        session = VideoSession(model, window=args.window,
                               overlap=args.overlap)
        count = sum(1 for _ in session.propagate(frames))
    else:
        frames = list(frames)
        count = len(inference_video(model, frames))
    took = time.perf_counter() - start
    peak = peak_rss_mb()
    print(json.dumps(dict(mode=args.child_mode, frames=count,
                          fps=count / took, peak_rss_mb=peak)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?')
    parser.add_argument('--frames', type=int, nargs='+', default=[1000,
                                                                  10000])
    parser.add_argument('--size', type=int, nargs=2, default=[720, 1280])
    parser.add_argument('--window', type=int, default=8)
    parser.add_argument('--overlap', type=int, default=2)
    parser.add_argument('--no-whole', action='store_true',
                        help='skip the whole-video reference')
    parser.add_argument('--child-mode', choices=['stream', 'whole'],
                        help=argparse.SUPPRESS)
    parser.add_argument('--child-frames', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_mode:
        return _child(args)
    runs = [('stream', n) for n in args.frames]
    if not args.no_whole:
        runs.append(('whole', min(args.frames)))
    rows = []
    for mode, num in runs:
        cmd = [sys.executable, __file__, args.config] + \
            ([args.checkpoint] if args.checkpoint else []) + [
                '--size', *map(str, args.size), '--window', str(args.window),
                '--overlap', str(args.overlap), '--child-mode', mode,
                '--child-frames', str(num)]
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr[-2000:], file=sys.stderr)
            sys.exit(out.returncode)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(f"{r['mode']:6s} {r['frames']:6d} frames  {r['fps']:7.2f} "
              f"frames/s  peak RSS {r['peak_rss_mb']:8.0f} MB", flush=True)
    stream = [r for r in rows if r['mode'] == 'stream']
    print(f"stream peak({stream[-1]['frames']}) / peak({stream[0]['frames']}) "
          f"= {stream[-1]['peak_rss_mb'] / stream[0]['peak_rss_mb']:.3f}")
    whole = [r for r in rows if r['mode'] == 'whole']
    if whole:
        same = [r for r in stream if r['frames'] == whole[0]['frames']][0]
        print(f"at {same['frames']} frames: whole-video / stream peak RSS = "
              f"{whole[0]['peak_rss_mb'] / same['peak_rss_mb']:.2f}, "
              f"frames/s stream / whole = {same['fps'] / whole[0]['fps']:.2f}")


if __name__ == '__main__':
    main()
