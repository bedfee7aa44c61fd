# Copyright (c) mmvidseg contributors. All rights reserved.
"""Export a model's per-clip network to ONNX or a ``torch.export`` program.

Usage::

    python tools/deployment/export.py CONFIG [CHECKPOINT] \\
        --format onnx|torch-export --out FILE [--shape T H W] [--force]

CHECKPOINT may be a file, a URL, ``zoo://NAME`` or ``none`` (random
weights, for tests). The graph takes one clip ``(1, T, 3, H, W)``,
normalised and padded as the data preprocessor does, and returns the
tensors listed by the model's wrapper (``mmvidseg/deployment/``; MTTR
also takes token ids, attention and padding masks, see docs/en/export.md);
trackers, clip linking and clustering stay in Python. A JSON file next to
``--out`` records the input / output names, the dynamic axes and the
shape the graph was traced with.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import torch

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint',
                        nargs='?',
                        default=None,
                        help="file, URL, zoo://NAME or 'none'")
    parser.add_argument('--format',
                        choices=('onnx', 'torch-export'),
                        default='onnx')
    parser.add_argument('--out', required=True)
    parser.add_argument('--shape',
                        type=int,
                        nargs=3,
                        metavar=('T', 'H', 'W'),
                        help='trace clip shape (default: the wrapper\'s '
                        'clip length or 2 frames, at least 64 x 128)')
    parser.add_argument('--static',
                        action='store_true',
                        help='no dynamic axes even where the model allows')
    parser.add_argument('--force',
                        action='store_true',
                        help='overwrite --out if it exists')
    parser.add_argument('--no-check',
                        action='store_true',
                        help='skip the ONNX Runtime check against eager')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    if ROOT not in sys.path:  # this checkout's mmvidseg, not another
        sys.path.insert(0, ROOT)
    from mmvidseg.apis import init_model
    from mmvidseg.deployment import (build_export_wrapper, export_onnx,
                                     export_torch, run_onnx)
    from mmvidseg.deployment.exporters import ONNX_OPSET

    if osp.exists(args.out) and not args.force:
        print(f'{args.out} exists; pass --force to overwrite', file=sys.stderr)
        return 1
    checkpoint = None if args.checkpoint in (None, 'none') \
        else args.checkpoint
    model = init_model(args.config, checkpoint)
    wrapper = build_export_wrapper(model)
    t = wrapper.num_frames or 2
    h, w = max(64, wrapper.min_size), 128
    if args.shape:
        t, h, w = args.shape
    if wrapper.num_frames and t != wrapper.num_frames:
        print(
            f'{type(model).__name__} takes clips of exactly '
            f'{wrapper.num_frames} frames (num_frames in {args.config}); '
            f'got --shape T={t}',
            file=sys.stderr)
        return 1
    div = wrapper.size_divisor
    if h % div or w % div or min(h, w) < wrapper.min_size:
        print(
            f'--shape H W must be multiples of {div} and at least '
            f'{wrapper.min_size} for {type(model).__name__}; got {h} {w}',
            file=sys.stderr)
        return 1
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    x = torch.randn(1, t, 3, h, w)
    start = time.perf_counter()
    meta = dict(config=args.config,
                checkpoint=args.checkpoint,
                format=args.format,
                wrapper=type(wrapper).__name__,
                input_name='inputs',
                input_names=list(wrapper.input_names),
                input_shape=[1, t, 3, h, w],
                output_names=list(wrapper.output_names),
                dynamic_frames=wrapper.dynamic_frames and not args.static,
                dynamic_size=wrapper.dynamic_size and not args.static,
                size_divisor=div)
    if args.format == 'onnx':
        ref = export_onnx(wrapper, x, args.out, dynamic=not args.static)
        meta['opset'] = ONNX_OPSET
        elapsed = time.perf_counter() - start
        if not args.no_check:
            out = run_onnx(args.out, wrapper.example_inputs(x))
            diff = max(
                float((r - torch.from_numpy(o)).abs().max())
                for r, o in zip(ref, out))
            meta['max_abs_diff_vs_eager'] = diff
            print(f'ONNX Runtime vs eager: max abs diff {diff:.3g}')
    else:
        export_torch(wrapper, x, args.out, dynamic=not args.static)
        elapsed = time.perf_counter() - start
    meta['export_seconds'] = round(elapsed, 2)
    with open(args.out + '.json', 'w') as f:
        json.dump(meta, f, indent=2)
    print(f'wrote {args.out} ({elapsed:.1f} s) and {args.out}.json')
    return 0


if __name__ == '__main__':
    sys.exit(main())
