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

``--test-scale W H`` puts a ``Resize(scale=(W, H), keep_ratio=True)`` into
the config's test pipeline, as the YouTube-VIS configs have: 720p frames are
decoded and their results returned at 720p while the network runs at, e.g.,
640 x 360 (a toy config has no resize and would run at full size).
``--whole-frames N`` runs the whole-video reference on N frames instead of
the smallest count (whole-video inference of 1,000 720p frames does not fit
in memory: that is what the session is for). ``--progress N`` prints the
stream's frames/s and peak RSS so far every N frames.
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


def with_test_scale(cfg, scale) -> None:
    """Resize every frame to ``scale`` (W, H, keep ratio) in ``cfg``'s test
    pipeline, right after it is loaded (an existing ``Resize`` is
    replaced)."""
    pipeline = cfg.test_dataloader.dataset.pipeline
    for step in pipeline:
        if step['type'] != 'TransformBroadcaster':
            continue
        transforms = [t for t in step['transforms'] if t['type'] != 'Resize']
        load = [i for i, t in enumerate(transforms)
                if t['type'] in ('LoadImageFromFile',
                                 'mmdet.LoadImageFromNDArray')]
        if not load:
            break
        transforms.insert(load[0] + 1, dict(type='Resize', scale=tuple(scale),
                                            keep_ratio=True))
        step['transforms'] = transforms
        return
    raise ValueError(
        'benchmark_stream --test-scale: the config\'s '
        'test_dataloader.dataset.pipeline has no TransformBroadcaster that '
        'loads frames; put the Resize into the config instead.')


def _child(args) -> None:
    import torch

    from mmvidseg.apis import VideoSession, inference_video, init_model
    from mmvidseg.utils.memory import peak_rss_mb
    torch.set_grad_enabled(False)
    model = init_model(args.config, args.checkpoint)
    if args.test_scale:
        with_test_scale(model.cfg, args.test_scale)
    frames = synthetic_frames(args.child_frames, *args.size)
    start = time.perf_counter()
    if args.child_mode == 'stream':
        session = VideoSession(model, window=args.window,
                               overlap=args.overlap)
        count, last = 0, None
        for last in session.propagate(frames):
            count += 1
            if args.progress and count % args.progress == 0:
                # the same process's peak so far: the curve of one run
                print(f'  stream {count:6d} frames  '
                      f'{count / (time.perf_counter() - start):7.2f} '
                      f'frames/s  peak RSS so far {peak_rss_mb():8.0f} MB',
                      file=sys.stderr, flush=True)
        # the size results come back at (the frames', whatever the model ran at)
        shape = None if last is None else list(last.masks.shape[-2:])
    else:
        frames = list(frames)
        count = len(inference_video(model, frames))
        shape = None
    took = time.perf_counter() - start
    peak = peak_rss_mb()
    print(json.dumps(dict(mode=args.child_mode, frames=count,
                          fps=count / took, peak_rss_mb=peak,
                          result_hw=shape)))


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
    parser.add_argument('--whole-frames', type=int,
                        help='frames of the whole-video reference '
                        '(default: the smallest --frames)')
    parser.add_argument('--test-scale', type=int, nargs=2,
                        metavar=('W', 'H'),
                        help='resize frames to this scale (keep ratio) in '
                        'the test pipeline; results stay at --size')
    parser.add_argument('--progress', type=int, metavar='N',
                        help='print the stream\'s frames/s and peak RSS so '
                        'far every N frames (a long run shows its curve and '
                        'leaves numbers if it is stopped)')
    parser.add_argument('--child-mode', choices=['stream', 'whole'],
                        help=argparse.SUPPRESS)
    parser.add_argument('--child-frames', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_mode:
        return _child(args)
    runs = [('stream', n) for n in args.frames]
    if not args.no_whole:
        runs.append(('whole', args.whole_frames or min(args.frames)))
    rows = []
    for mode, num in runs:
        cmd = [sys.executable, __file__, args.config] + \
            ([args.checkpoint] if args.checkpoint else []) + [
                '--size', *map(str, args.size), '--window', str(args.window),
                '--overlap', str(args.overlap), '--child-mode', mode,
                '--child-frames', str(num)] + \
            (['--test-scale', *map(str, args.test_scale)]
             if args.test_scale else []) + \
            (['--progress', str(args.progress)] if args.progress else [])
        # progress lines (the child's stderr) pass straight through
        out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True,
                             stderr=None if args.progress else
                             subprocess.PIPE)
        if out.returncode != 0:
            if out.stderr:
                print(out.stderr[-2000:], file=sys.stderr)
            sys.exit(out.returncode)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(f"{r['mode']:6s} {r['frames']:6d} frames  {r['fps']:7.2f} "
              f"frames/s  peak RSS {r['peak_rss_mb']:8.0f} MB"
              + (f"  results {r['result_hw'][0]} x {r['result_hw'][1]}"
                 if r.get('result_hw') else ''), flush=True)
    stream = [r for r in rows if r['mode'] == 'stream']
    print(f"stream peak({stream[-1]['frames']}) / peak({stream[0]['frames']}) "
          f"= {stream[-1]['peak_rss_mb'] / stream[0]['peak_rss_mb']:.3f}")
    whole = [r for r in rows if r['mode'] == 'whole']
    if whole:
        same = [r for r in stream if r['frames'] == whole[0]['frames']]
        if not same:
            print(f"no stream run over {whole[0]['frames']} frames to "
                  'compare whole-video inference with (add it to --frames)')
            return
        same = same[0]
        print(f"at {same['frames']} frames: whole-video / stream peak RSS = "
              f"{whole[0]['peak_rss_mb'] / same['peak_rss_mb']:.2f}, "
              f"frames/s stream / whole = {same['fps'] / whole[0]['fps']:.2f}")


if __name__ == '__main__':
    main()
