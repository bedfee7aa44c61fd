# Copyright (c) mmvidseg contributors. All rights reserved.
"""Benchmark STEm-Seg's sequential clustering: fast vs reference loop.

Synthetic clips of 480p-sized embedding maps (854 x 480 frames, by default
at the model's output stride 4; ``--stride 1`` mimics ``--resize_embeddings``)
with ``--instances`` Gaussian blobs in the xyff space. Both implementations
run on the same foreground points in the same process; the script checks the
labels are identical and prints the times and the speed-up.

Example::

    python tools/analysis_tools/benchmark_stemseg_clustering.py \
        --frames 16 --stride 4 --repeat 3
"""
import argparse
import time

import torch

from mmvidseg.models.trackers.stemseg_clustering import (
    sequential_clustering, sequential_clustering_reference)


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


def timed(fn, repeat: int, *args, **kwargs):
    best, out = float('inf'), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, out


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
    kwargs = dict(max_instances=args.max_instances)
    t_ref, (ref, ref_ids) = timed(sequential_clustering_reference,
                                  args.repeat, emb, bw, seed, free_bw,
                                  **kwargs)
    t_fast, (fast, fast_ids) = timed(sequential_clustering, args.repeat, emb,
                                     bw, seed, free_bw, **kwargs)
    identical = torch.equal(ref, fast) and ref_ids == fast_ids
    print(f'points: {emb.shape[0]} ({args.frames} frames of '
          f'{args.width}x{args.height} at stride {args.stride}, '
          f'{args.fg_fraction:.0%} foreground), clusters: {len(ref_ids)}, '
          f'outliers: {int((ref == -1).sum())}, threads: {args.threads}')
    print(f'reference loop: {t_ref * 1000:.1f} ms   fast: '
          f'{t_fast * 1000:.1f} ms   speed-up: {t_ref / t_fast:.2f}x   '
          f'identical labels: {identical}')
    if not identical:
        raise SystemExit('fast clustering differs from the reference')


if __name__ == '__main__':
    main()
