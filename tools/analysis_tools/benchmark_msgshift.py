# Copyright (c) mmvidseg contributors. All rights reserved.
"""Benchmarks of TeViT's backbone and whole-video inference memory (CPU).

1. ``speed``: forward time of ``MsgShifT`` vs mmdet's plain
   ``PyramidVisionTransformerV2`` (PVTv2-b1, same weights) on the same clip
   (default 5 frames at 640x360, padded to 640x384), interleaved runs in one
   process; prints the median times and their ratio (goal <= 1.05). A second
   reference, ``pvtv2-nw``, is the same PVTv2 with its attention called with
   ``need_weights=False`` (MsgShifT never computes the head-averaged
   attention weights that mmdet's call computes and discards), so the second
   ratio isolates the cost of the messengers themselves.
2. ``memory``: peak resident memory of ``TeViT.predict`` on videos of
   several lengths, whole-video (official) vs chunked
   (``test_cfg.chunk``), each in a fresh subprocess; prints the growth.

Examples::

    python tools/analysis_tools/benchmark_msgshift.py speed --repeats 5
    python tools/analysis_tools/benchmark_msgshift.py memory \
        --lengths 36 72 144 --size 192 320
"""
import argparse
import copy
import functools
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]


def bench_speed(args: argparse.Namespace) -> None:
    from mmdet.models.backbones import PyramidVisionTransformerV2

    from mmvidseg.models.backbones import MsgShifT
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    pvt = PyramidVisionTransformerV2(
        embed_dims=64, num_layers=[2, 2, 2, 2]).eval()
    ours = MsgShifT(embed_dims=64, num_layers=[2, 2, 2, 2]).eval()
    ours.load_state_dict(pvt.state_dict(), strict=False)
    h, w = args.size
    clip = torch.randn(args.frames, 3, h, w)
    pvt_nw = copy.deepcopy(pvt)
    for module in pvt_nw.modules():
        if isinstance(module, torch.nn.MultiheadAttention):
            module.forward = functools.partial(
                module.forward, need_weights=False)
    runs = {'pvtv2': lambda: pvt(clip),
            'pvtv2-nw': lambda: pvt_nw(clip),
            'msgshift': lambda: ours(clip, num_frames=args.frames)}
    times = {name: [] for name in runs}
    with torch.no_grad():
        for fn in runs.values():  # warm-up
            fn()
        for _ in range(args.repeats):
            for name, fn in runs.items():
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f'clip {args.frames} x 3 x {h} x {w}, {args.threads} threads, '
          f'{args.repeats} interleaved runs (median)')
    for name, t in med.items():
        print(f'  {name:9s} {t * 1000:8.1f} ms')
    print(f'  ratio msgshift / pvtv2 = {med["msgshift"] / med["pvtv2"]:.3f}'
          ' (goal <= 1.05)')
    print('  ratio msgshift / pvtv2-nw = '
          f'{med["msgshift"] / med["pvtv2-nw"]:.3f} (messenger cost only)')


def _memory_worker(length: int, size, chunk: int, overlap: int) -> None:
    """Runs in a subprocess: peak RSS of one TeViT.predict call (MiB)."""
    import resource

    from mmdet.structures import DetDataSample, TrackDataSample
    from mmengine.config import Config

    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    torch.set_num_threads(1)
    cfg = Config.fromfile(
        ROOT / 'configs/tevit/tevit_msgshift_8xb2-9200i_youtubevis2019.py')
    cfg.model.backbone.init_cfg = None
    if chunk:
        cfg.model.test_cfg.chunk = dict(num_frames=chunk, overlap=overlap)
    model = MODELS.build(cfg.model).eval()
    model.rpn_head.init_weights()  # whole-image initial proposals
    h, w = size
    frames = [
        DetDataSample(
            metainfo=dict(
                img_shape=(h, w),
                ori_shape=(h, w),
                batch_input_shape=(h, w),
                scale_factor=(1.0, 1.0),
                frame_id=t)) for t in range(length)
    ]
    inputs = torch.randn(1, length, 3, h, w)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    with torch.no_grad():
        model.predict(inputs, [TrackDataSample(video_data_samples=frames)])
    elapsed = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(base=base, peak=peak, seconds=elapsed)))


def bench_memory(args: argparse.Namespace) -> None:
    rows = []
    for chunk in (0, args.chunk):
        for length in args.lengths:
            out = subprocess.run([
                sys.executable, __file__, '_worker', str(length),
                str(args.size[0]), str(args.size[1]), str(chunk),
                str(args.overlap)
            ],
                                 capture_output=True,
                                 text=True)
            if out.returncode != 0:
                raise RuntimeError(f'worker for {length} frames failed:\n'
                                   f'{out.stderr[-2000:]}')
            res = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append((chunk, length, res))
            mode = f'chunk {chunk}/{args.overlap}' if chunk else 'whole'
            print(f'{mode:12s} {length:4d} frames: predict peak '
                  f'{res["peak"]:8.0f} MiB (model + inputs before: '
                  f'{res["base"]:6.0f} MiB, +{res["peak"] - res["base"]:6.0f}'
                  f') {res["seconds"]:6.1f} s', flush=True)
    for chunk in (0, args.chunk):
        deltas = [r['peak'] - r['base'] for c, _, r in rows if c == chunk]
        mode = 'chunked' if chunk else 'whole-video'
        print(f'{mode}: growth of the predict peak from {args.lengths[0]} '
              f'to {args.lengths[-1]} frames = {deltas[-1] / deltas[0]:.2f}x')


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == '_worker':
        length, h, w, chunk, overlap = map(int, sys.argv[2:7])
        _memory_worker(length, (h, w), chunk, overlap)
        return
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='mode', required=True)
    speed = sub.add_parser('speed')
    speed.add_argument('--frames', type=int, default=5)
    speed.add_argument('--size', type=int, nargs=2, default=(384, 640))
    speed.add_argument('--repeats', type=int, default=5)
    speed.add_argument('--threads', type=int, default=2)
    memory = sub.add_parser('memory')
    memory.add_argument('--lengths', type=int, nargs='+',
                        default=[36, 72, 144])
    memory.add_argument('--size', type=int, nargs=2, default=(192, 320))
    memory.add_argument('--chunk', type=int, default=36)
    memory.add_argument('--overlap', type=int, default=6)
    args = parser.parse_args()
    bench_speed(args) if args.mode == 'speed' else bench_memory(args)


if __name__ == '__main__':
    main()
