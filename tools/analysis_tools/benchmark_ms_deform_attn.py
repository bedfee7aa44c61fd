# Copyright (c) mmvidseg contributors. All rights reserved.
"""Benchmark multi-scale deformable attention on CPU: mmvidseg's C++ kernel
vs mmcv's pure-PyTorch (``grid_sample``) fallback.

The default workload is a Mask2Former pixel decoder on video clips: batch 2 x
5 frames, three levels at 1/8, 1/16 and 1/32 of 384x640, 256 channels,
8 heads, 4 points, one query per pixel (5040 queries and keys per frame).

* Time: median forward+backward wall time of each backend, measured in this
  process, alternating backends (after one warm-up call each).
* Peak memory: each backend runs one forward+backward in a fresh subprocess
  (so that allocator caches and the other backend do not interfere). Once the
  inputs exist, the process' peak resident set size is reset (``echo 5 >
  /proc/self/clear_refs``); the number reported is the peak (``VmHWM`` in
  ``/proc/self/status``) minus the resident size at that point, i.e. the
  extra memory the op needs at its peak: output, gradients and temporaries.
  Where ``/proc`` is missing, the growth of ``ru_maxrss`` is used instead.

Example::

    python tools/analysis_tools/benchmark_ms_deform_attn.py --repeat 3
"""
import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from typing import Dict, List, Tuple

import torch

from mmvidseg.ops import info, ms_deform_attn, ms_deform_attn_backend

BACKENDS = ('cpu_kernel', 'pytorch')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--frames', type=int, default=5)
    parser.add_argument('--height', type=int, default=384)
    parser.add_argument('--width', type=int, default=640)
    parser.add_argument(
        '--strides', type=int, nargs='+', default=[8, 16, 32])
    parser.add_argument('--channels', type=int, default=256)
    parser.add_argument('--heads', type=int, default=8)
    parser.add_argument('--points', type=int, default=4)
    parser.add_argument(
        '--dtype', choices=['float32', 'float64'], default='float32')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument(
        '--threads', type=int, default=0, help='torch threads (0: keep)')
    parser.add_argument(
        '--memory-worker', choices=BACKENDS, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def make_inputs(args: argparse.Namespace) -> Tuple[torch.Tensor, ...]:
    """Random inputs in mmcv's layout, a few points outside the maps."""
    gen = torch.Generator().manual_seed(0)
    dtype = getattr(torch, args.dtype)
    shapes = torch.tensor([[-(-args.height // s), -(-args.width // s)]
                           for s in args.strides])  # (num_levels, 2) (h, w)
    areas = shapes[:, 0] * shapes[:, 1]
    starts = torch.cat([areas.new_zeros(1), areas.cumsum(0)[:-1]])
    bs = args.batch * args.frames
    num_keys = num_queries = int(areas.sum())
    heads, levels = args.heads, len(args.strides)
    value = torch.randn(
        bs, num_keys, heads, args.channels // heads, generator=gen,
        dtype=dtype)
    loc = torch.rand(
        bs, num_queries, heads, levels, args.points, 2, generator=gen,
        dtype=dtype) * 1.1 - 0.05
    attn = torch.randn(
        bs, num_queries, heads, levels * args.points, generator=gen,
        dtype=dtype).softmax(-1).view(bs, num_queries, heads, levels,
                                      args.points)
    grad_out = torch.randn(
        bs, num_queries, args.channels, generator=gen, dtype=dtype)
    return value, shapes, starts, loc, attn, grad_out


def forward_backward(backend: str, inputs: Tuple[torch.Tensor, ...]) -> list:
    """One forward+backward; returns [output, grads...] (detached)."""
    value, shapes, starts, loc, attn, grad_out = inputs
    leaves = [t.detach().requires_grad_() for t in (value, loc, attn)]
    with ms_deform_attn_backend(backend):
        out = ms_deform_attn(leaves[0], shapes, starts, leaves[1], leaves[2])
    out.backward(grad_out)
    return [out.detach()] + [t.grad for t in leaves]


def time_backends(inputs, repeat: int) -> Dict[str, List[float]]:
    times = {b: [] for b in BACKENDS}
    for backend in BACKENDS:  # warm-up
        forward_backward(backend, inputs)
    for _ in range(repeat):
        for backend in BACKENDS:
            start = time.perf_counter()
            forward_backward(backend, inputs)
            times[backend].append(time.perf_counter() - start)
    return times


def _status_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


def peak_memory_worker(args: argparse.Namespace) -> None:
    """Print the peak RSS growth (MiB) of one forward+backward as JSON."""
    inputs = make_inputs(args)
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # reset VmHWM to the current RSS
        before, read_peak = _status_kib('VmRSS'), lambda: _status_kib('VmHWM')
    except OSError:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        read_peak = lambda: resource.getrusage(  # noqa: E731
            resource.RUSAGE_SELF).ru_maxrss
    forward_backward(args.memory_worker, inputs)
    print(json.dumps(dict(peak_mib=(read_peak() - before) / 1024)))  # KiB


def peak_memory(backend: str, argv: List[str]) -> float:
    result = subprocess.run(
        [sys.executable, __file__, *argv, '--memory-worker', backend],
        check=True,
        capture_output=True,
        text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])['peak_mib']


def main() -> None:
    argv = sys.argv[1:]
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.memory_worker:
        peak_memory_worker(args)
        return
    if not info()['compiled']:
        sys.exit(f'mmvidseg.ops._ext is not built: {info()}')
    inputs = make_inputs(args)
    value, shapes, _, loc, _, _ = inputs
    print(f'workload: value {tuple(value.shape)}, sampling_locations '
          f'{tuple(loc.shape)}, levels {shapes.tolist()}, {args.dtype}, '
          f'{torch.get_num_threads()} threads')
    kernel, reference = (forward_backward(b, inputs) for b in BACKENDS)
    for name, a, b in zip(('output', 'grad_value', 'grad_loc', 'grad_attn'),
                          kernel, reference):
        diff = (a - b).abs() / b.abs().max().clamp_min(1e-30)
        # grad_loc jumps where a coordinate crosses an integer pixel: the two
        # paths round x * w - 0.5 differently, so a few points may differ.
        print(f'  {name:<10} max |kernel - pytorch| / max |pytorch|: '
              f'{diff.max().item():.1e}; elements above 1e-3: '
              f'{int((diff > 1e-3).sum())} of {diff.numel()}')
    del kernel, reference
    peaks = {b: peak_memory(b, argv) for b in BACKENDS}
    times = time_backends(inputs, args.repeat)
    median = {b: statistics.median(t) for b, t in times.items()}
    print(f'{"backend":<12}{"fwd+bwd s (median)":>20}{"peak MiB":>12}')
    for b in BACKENDS:
        print(f'{b:<12}{median[b]:>20.3f}{peaks[b]:>12.0f}')
    print(f'speed-up (pytorch / kernel time): '
          f'{median["pytorch"] / median["cpu_kernel"]:.2f}x (goal >= 3x)')
    print(f'peak memory ratio (kernel / pytorch): '
          f'{peaks["cpu_kernel"] / peaks["pytorch"]:.3f} (goal <= 0.5)')


if __name__ == '__main__':
    main()
