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

Every model family: VOS / point-tracking models (TarViS with an object
encoder) need ``--prompt masks`` (or ``points``): the three shapes' frame-0
masks, from the code that draws them, go to ``session.add_prompt(0,
masks=..., obj_ids=[1, 2, 3])``. Referring models (MTTR) need ``--text
"..."`` (repeatable): ``session.add_prompt(0, text=[...])``, and the
whole-video reference calls ``inference_video(..., text=...)`` once per
sentence. Video-TTT models stream frame by frame (``--window`` is their TTT
window; default: the config's) and have no whole-video reference (the run
says why), nor have prompted VOS runs (``inference_video`` takes no masks).
Without a checkpoint, ``--init-weights`` runs the model's own
``init_weights()`` (seed 0). Each child reports the number of track ids it
saw. A run that cannot be made prints why, not a traceback.

    python tools/analysis_tools/benchmark_stream.py \\
        configs/mttr/mttr_swin-t-tiny_1xb4-2000i_toy-ref-youtube-vos.py \\
        CKPT --frames 1000 10000 --size 48 64 --text "a red square"
"""
import argparse
import json
import subprocess
import sys
import time
from typing import List, Optional, Tuple

import numpy as np


_COLORS = ((40, 40, 220), (40, 200, 40), (220, 120, 40))


def _shape_boxes(t: int, h: int, w: int) -> List[Tuple[int, int, int, int]]:
    """``(y0, y1, x0, x1)`` of each shape at frame ``t``, in drawing order
    (a later shape covers an earlier one where they meet)."""
    boxes = []
    for k in range(len(_COLORS)):
        cy = int(h * (0.3 + 0.2 * k))
        cx = int((t * (3 + k) * w / 200 + k * w / 3) % w)
        r = max(4, min(h, w) // 10)
        boxes.append((max(cy - r, 0), cy + r, max(cx - r, 0), cx + r))
    return boxes


def shape_masks(t: int, h: int, w: int) -> np.ndarray:
    """``(3, H, W)`` uint8 masks of the shapes as drawn in frame ``t`` of
    :func:`synthetic_frames` (what is visible of each; the same boxes)."""
    owner = np.full((h, w), -1, np.int64)
    for k, (y0, y1, x0, x1) in enumerate(_shape_boxes(t, h, w)):
        owner[y0:y1, x0:x1] = k
    return np.stack([owner == k for k in range(len(_COLORS))]).astype(
        np.uint8)


def synthetic_frames(num: int, h: int, w: int):
    """Frames one at a time: three shapes moving over a fixed texture."""
    rng = np.random.RandomState(0)
    background = rng.randint(0, 80, (h, w, 3), np.uint8)
    for t in range(num):
        frame = background.copy()
        for color, (y0, y1, x0, x1) in zip(_COLORS, _shape_boxes(t, h, w)):
            frame[y0:y1, x0:x1] = color
        yield frame


def add_prompts(session, args) -> Optional[int]:
    """Frame-0 prompts of ``--prompt`` / ``--text``; the number of objects
    prompted (None: no prompt)."""
    h, w = args.size
    if args.prompt == 'masks':
        masks = shape_masks(0, h, w)
        session.add_prompt(0, masks=masks, obj_ids=[1, 2, 3])
        return len(masks)
    if args.prompt == 'points':  # each shape's visible centre
        points = [np.argwhere(m).mean(0)[::-1] for m in shape_masks(0, h, w)]
        session.add_prompt(0, points=np.stack(points), obj_ids=[1, 2, 3])
        return len(points)
    if args.text:
        session.add_prompt(0, text=list(args.text))
        return len(args.text)
    return None


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


def _whole_unsupported(model, args) -> Optional[str]:
    """Why whole-video inference is no reference for this run (None: it
    is)."""
    from mmvidseg.apis.ttt_stream import is_ttt_model
    if is_ttt_model(model):
        return ('Video-TTT adapts its weights on every frame before '
                'predicting it; there is no whole-video forward pass (the '
                'offline loop, tools/test_ttt.py, is the same frame-by-frame '
                'loop the session runs)')
    if args.prompt != 'none':
        return (f'inference_video takes no first-frame {args.prompt}: '
                f'{type(model).__name__} tracks prompted objects only in '
                'the session (clip by clip, predict_vos_window)')
    return None


def _child_run(args) -> dict:
    import torch

    from mmvidseg.apis import init_model
    from mmvidseg.apis.ttt_stream import is_ttt_model
    torch.manual_seed(0)
    model = init_model(args.config, args.checkpoint)
    # Video-TTT takes gradient steps while it streams
    with torch.set_grad_enabled(is_ttt_model(model)):
        return _measure(model, args)


def _measure(model, args) -> dict:
    from mmvidseg.apis import VideoSession, inference_video
    from mmvidseg.utils.memory import peak_rss_mb
    if args.checkpoint is None and args.init_weights:
        model.init_weights()  # the model's own init, not PyTorch's default
    if args.test_scale:
        with_test_scale(model.cfg, args.test_scale)
    frames = synthetic_frames(args.child_frames, *args.size)
    row = dict(mode=args.child_mode, model=type(model).__name__)
    tracks = set()
    start = time.perf_counter()
    if args.child_mode == 'stream':
        session = VideoSession(model, window=args.window,
                               overlap=args.overlap)
        row['prompted_objects'] = add_prompts(session, args)
        count, last = 0, None
        for last in session.propagate(frames):
            tracks.update(last.track_ids.tolist())
            count += 1
            if args.progress and count % args.progress == 0:
                # the same process's peak so far: the curve of one run
                print(f'  stream {count:6d} frames  '
                      f'{count / (time.perf_counter() - start):7.2f} '
                      f'frames/s  peak RSS so far {peak_rss_mb():8.0f} MB',
                      file=sys.stderr, flush=True)
        # results come back at the frames' size, whatever the model ran at
        shape = None if last is None else list(last.masks.shape[-2:])
        row.update(window=session.window, overlap=session.overlap)
    else:
        reason = _whole_unsupported(model, args)
        if reason:
            return dict(row, skipped=reason)
        frames = list(frames)
        count = 0
        for text in (args.text or [None]):  # one sentence per call
            out = inference_video(model, frames, text=text)
            count = len(out)
            for sample in out:
                ids = sample.pred_track_instances.instances_id.tolist()
                if text is not None:  # referring: the top query is it
                    ids = [args.text.index(text)] if ids else []
                tracks.update(ids)
        shape = None
    took = time.perf_counter() - start
    return dict(row, frames=count, fps=count / took,
                peak_rss_mb=peak_rss_mb(), result_hw=shape,
                tracks=len(tracks))


def _child(args) -> None:
    """One measured run; prints one JSON line (``error`` / ``skipped``:
    why there are no numbers)."""
    try:
        row = _child_run(args)
    except (NotImplementedError, ValueError, RuntimeError,
            AttributeError, KeyError) as e:
        print(json.dumps(dict(mode=args.child_mode,
                              error=f'{type(e).__name__}: {e}')))
        sys.exit(3)
    print(json.dumps(row))


def _report(r: dict) -> str:
    return (f"{r['mode']:6s} {r['frames']:6d} frames  {r['fps']:7.2f} "
            f"frames/s  peak RSS {r['peak_rss_mb']:8.0f} MB  "
            f"{r['tracks']} track ids" +
            (f"  results {r['result_hw'][0]} x {r['result_hw'][1]}"
             if r.get('result_hw') else ''))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?')
    parser.add_argument('--frames', type=int, nargs='+', default=[1000,
                                                                  10000])
    parser.add_argument('--size', type=int, nargs=2, default=[720, 1280])
    parser.add_argument('--window', type=int,
                        help="frames per window (default: the config's "
                        'stream_cfg or 8; Video-TTT: its TTT window)')
    parser.add_argument('--overlap', type=int,
                        help="default: the config's stream_cfg or 2")
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
    parser.add_argument('--prompt', choices=['none', 'masks', 'points'],
                        default='none',
                        help='VOS / point-tracking models (TarViS): the '
                        "synthetic shapes' frame-0 masks or centre points "
                        'as objects 1, 2, 3')
    parser.add_argument('--text', action='append',
                        help='referring models (MTTR): a sentence at frame '
                        '0 (repeatable: one object each)')
    parser.add_argument('--init-weights', action='store_true',
                        help='without a checkpoint: seed 0 and the '
                        "model's init_weights() instead of PyTorch's "
                        'default init (TeViT needs it: default-initialised '
                        'box heads give boxes of negative size)')
    parser.add_argument('--child-mode', choices=['stream', 'whole'],
                        help=argparse.SUPPRESS)
    parser.add_argument('--child-frames', type=int, help=argparse.SUPPRESS)
    return parser


def main():
    args = build_parser().parse_args()
    if args.child_mode:
        return _child(args)
    runs = [('stream', n) for n in args.frames]
    if not args.no_whole:
        runs.append(('whole', args.whole_frames or min(args.frames)))
    passed = [args.config] + ([args.checkpoint] if args.checkpoint else [])
    passed += ['--size', *map(str, args.size), '--prompt', args.prompt]
    for name in ('window', 'overlap'):
        if getattr(args, name) is not None:
            passed += [f'--{name}', str(getattr(args, name))]
    if args.test_scale:
        passed += ['--test-scale', *map(str, args.test_scale)]
    for text in args.text or []:
        passed += ['--text', text]
    if args.init_weights:
        passed.append('--init-weights')
    if args.progress:
        passed += ['--progress', str(args.progress)]
    rows = []
    for mode, num in runs:
        cmd = [sys.executable, __file__, *passed, '--child-mode', mode,
               '--child-frames', str(num)]
        # progress lines (the child's stderr) pass straight through
        out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True,
                             stderr=None if args.progress else
                             subprocess.PIPE)
        lines = out.stdout.strip().splitlines()
        try:
            row = json.loads(lines[-1])
        except (IndexError, ValueError):
            if out.stderr:
                print(out.stderr[-2000:], file=sys.stderr)
            sys.exit(out.returncode or 1)
        if 'error' in row:
            hint = '' if args.checkpoint or args.init_weights else \
                ' (random weights: --init-weights may help)'
            print(f'{mode} over {num} frames cannot run: {row["error"]}'
                  f'{hint}', file=sys.stderr)
            if mode == 'stream':
                sys.exit(out.returncode)
            continue
        if 'skipped' in row:
            print(f"whole-video reference skipped: {row['skipped']}",
                  flush=True)
            continue
        if mode == 'stream' and not rows:
            print(f"{row['model']}: window {row['window']}, overlap "
                  f"{row['overlap']}" +
                  (f", {row['prompted_objects']} objects prompted at frame "
                   '0' if row['prompted_objects'] is not None else ''),
                  flush=True)
        rows.append(row)
        print(_report(row), flush=True)
    stream = [r for r in rows if r['mode'] == 'stream']
    if len(stream) > 1:
        print(f"stream peak({stream[-1]['frames']}) / "
              f"peak({stream[0]['frames']}) = "
              f"{stream[-1]['peak_rss_mb'] / stream[0]['peak_rss_mb']:.3f}")
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
