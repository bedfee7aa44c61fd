# Copyright (c) mmvidseg contributors. All rights reserved.
"""Streaming session speed: per-clip network in ONNX Runtime vs eager.

Runs :class:`mmvidseg.apis.VideoSession` twice over the same synthetic
frames (``benchmark_stream.synthetic_frames``) in this process, with the
same thread count: once on the PyTorch model, once on
:class:`mmvidseg.deployment.OnnxClipModel` (the model's graph exported
here, or ``--onnx FILE``). Prints frames/s of each, the ratio (> 1: ONNX
faster), the share of the ONNX run spent in ONNX Runtime, and how far the
two agree (track ids, scores, mask pixels). Each session is run
``--repeats`` times, alternating, and the fastest run counts. No timed
asserts.

    python tools/analysis_tools/benchmark_stream_onnx.py CONFIG [CHECKPOINT] \\
        [--onnx FILE] --frames 48 --size 128 192 --window 8 --overlap 2
"""
import argparse
import os.path as osp
import sys
import tempfile
import time

import numpy as np
import torch

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))
sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from benchmark_stream import synthetic_frames  # noqa: E402


def run(model, frames, window, overlap):
    from mmvidseg.apis import VideoSession
    session = VideoSession(model, window=window, overlap=overlap)
    start = time.perf_counter()
    out = list(session.propagate(frames))
    return out, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', nargs='?')
    parser.add_argument('--onnx', help='exported graph (default: export '
                        'the model here at the first window\'s shape)')
    parser.add_argument('--frames', type=int, default=48)
    parser.add_argument('--size', type=int, nargs=2, default=[128, 192])
    parser.add_argument('--window', type=int, default=8)
    parser.add_argument('--overlap', type=int, default=2)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=2)
    args = parser.parse_args()
    from mmvidseg.apis import init_model
    from mmvidseg.deployment import (OnnxClipModel, build_export_wrapper,
                                     export_onnx)
    from mmengine.logging import MMLogger
    # init_weights logs every parameter at INFO
    MMLogger.get_current_instance().setLevel('WARNING')
    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(False)
    torch.manual_seed(0)
    model = init_model(args.config, args.checkpoint)
    if not args.checkpoint:
        model.init_weights()  # random weights, as the export tests
    frames = list(synthetic_frames(args.frames, *args.size))
    with tempfile.TemporaryDirectory() as tmp:
        path = args.onnx
        if path is None:
            # the padded shape of a window, as the data preprocessor makes
            data = model.data_preprocessor(
                _packed(model, frames[:args.window]), False)
            x = data['inputs']
            path = osp.join(tmp, 'model.onnx')
            start = time.perf_counter()
            export_onnx(build_export_wrapper(model), x, path)
            print(f'exported {tuple(x.shape)} in '
                  f'{time.perf_counter() - start:.1f} s')
        onnx_model = OnnxClipModel(model, path, threads=args.threads)
        times = dict(eager=[], onnx=[])
        for _ in range(args.repeats):
            ref, t = run(model, frames, args.window, args.overlap)
            times['eager'].append(t)
            onnx_model.graph_seconds = 0.0
            got, t = run(onnx_model, frames, args.window, args.overlap)
            times['onnx'].append(t)
            graph = onnx_model.graph_seconds
    eager, onnx = min(times['eager']), min(times['onnx'])
    same_ids = all(
        np.array_equal(r.track_ids, g.track_ids) for r, g in zip(ref, got))
    score = max((float(np.abs(r.scores - g.scores).max())
                 for r, g in zip(ref, got) if len(r.scores)
                 and r.scores.shape == g.scores.shape), default=0.0)
    pix = [(r.masks != g.masks).mean() for r, g in zip(ref, got)
           if r.masks.shape == g.masks.shape and r.masks.size]
    n = len(frames)
    print(f'{type(model).__name__}, {n} frames of {tuple(args.size)}, '
          f'window {args.window} overlap {args.overlap}, '
          f'{args.threads} thread(s), best of {args.repeats}')
    print(f'eager session {n / eager:7.2f} frames/s')
    print(f'ONNX session  {n / onnx:7.2f} frames/s  (ONNX Runtime '
          f'{graph / onnx:.0%} of it)')
    print(f'ONNX / eager frames/s = {eager / onnx:.2f}')
    print(f'same track ids on every frame: {same_ids}; max score diff '
          f'{score:.2g}; mask pixels that differ '
          f'{max(pix, default=0.0):.2g}')


def _packed(model, frames):
    """The session's own packing of a window (for the export shape)."""
    from mmengine.dataset import pseudo_collate

    from mmvidseg.apis.inference import _frame_pipeline
    num = len(frames)
    packed = _frame_pipeline(model.cfg)(dict(
        img=list(frames), img_id=list(range(num)), img_path=[None] * num,
        frame_id=list(range(num)), video_id=[0] * num,
        video_length=[num] * num, ori_video_length=[num] * num))
    return pseudo_collate([packed])


if __name__ == '__main__':
    main()
