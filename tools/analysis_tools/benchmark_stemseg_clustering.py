# Copyright (c) mmvidseg contributors. All rights reserved.
"""Benchmark STEm-Seg's sequential clustering against the reference loop.

Synthetic clips of 480p-sized embedding maps (854 x 480 frames, by default
at the model's output stride 4; ``--stride 1`` mimics ``--resize_embeddings``)
with ``--instances`` Gaussian blobs in the xyff space. The reference loop,
the PyTorch fallback (``sequential_clustering_torch``) and, when
``mmvidseg.ops._ext`` is built, the C++ kernel run on the same foreground
points in the same process, interleaved ``--repeat`` times; the script checks
that the labels are identical and prints the best times and the speed-ups.

Example::

    python tools/analysis_tools/benchmark_stemseg_clustering.py \
        --frames 16 --stride 4 --repeat 3
"""
import argparse
import time

import torch

from mmvidseg.models.trackers.stemseg_clustering import (
    sequential_clustering_reference, sequential_clustering_torch)
from mmvidseg.ops.stemseg_clustering import stemseg_clustering_kernel


def make_clip(frames: int, height: int, width: int, stride: int,
              instances: int, fg_fraction: float, seed: int):
    """Foreground embeddings, bandwidths, seediness of one synthetic clip."""
    g = torch.Generator().manual_seed(seed)
    h, w = height // stride, width // stride
    num_fg = int(frames * h * w * fg_fraction)
    centers = torch.randn(instances, 4, generator=g) * 1.2
    owner = torch.randint(0, instances, (num_fg, ), generator=g)
    emb = centers[owner] + 0.12 * torch.randn(num_fg, 4, generator=g)
    bw = torch.rand(num_fg, 2, generator=g) * 10 + 15
    seediness = torch.rand(num_fg, 1, generator=g)
    return emb, bw, seediness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--frames', type=int, default=16)
    parser.add_argument('--height', type=int, default=480)
    parser.add_argument('--width', type=int, default=854)
    parser.add_argument('--stride', type=int, default=4)
    parser.add_argument('--instances', type=int, default=6)
    parser.add_argument('--fg-fraction', type=float, default=0.3)
    parser.add_argument('--max-instances', type=int, default=20)
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    free_bw = 1. / torch.tensor([0.3, 0.3])**2
    emb, bw, seed = make_clip(args.frames, args.height, args.width,
                              args.stride, args.instances, args.fg_fraction,
                              0)
    impls = dict(
        reference=sequential_clustering_reference,
        torch=sequential_clustering_torch,
        kernel=stemseg_clustering_kernel)
    best = {name: float('inf') for name in impls}
    outputs = {}
    for _ in range(args.repeat):  # interleaved: same machine load for all
        for name, fn in impls.items():
            start = time.perf_counter()
            out = fn(emb, bw, seed, free_bw, max_instances=args.max_instances)
            best[name] = min(best[name], time.perf_counter() - start)
            outputs[name] = out
    if outputs['kernel'] is None:
        print('the C++ kernel is not available (mmvidseg.ops.info(): build '
              'the extension); timing the PyTorch paths only')
        del impls['kernel'], outputs['kernel']
    ref, ref_ids = outputs['reference']
    print(f'points: {emb.shape[0]} ({args.frames} frames of '
          f'{args.width}x{args.height} at stride {args.stride}, '
          f'{args.fg_fraction:.0%} foreground), clusters: {len(ref_ids)}, '
          f'outliers: {int((ref == -1).sum())}, threads: {args.threads}')
    identical = True
    for name in impls:
        labels, ids = outputs[name]
        same = torch.equal(labels, ref) and ids == ref_ids
        identical &= same
        print(f'{name:>9}: {best[name] * 1000:8.2f} ms   speed-up vs '
              f'reference: {best["reference"] / best[name]:6.2f}x   '
              f'identical labels: {same}')
    if not identical:
        raise SystemExit('a fast clustering differs from the reference')


if __name__ == '__main__':
    main()
