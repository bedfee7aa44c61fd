"""CPU RoIAlign: mmcv's scalar kernel vs mmvidseg's C++ kernel.

Forward + backward of one RoI extraction as a query-based RoI head runs it
(every image has the same number of RoIs), in the same process, at each
requested number of intra-op threads; prints the best times, the speed-up
over mmcv at the same thread count (mmcv's CPU kernel is single-threaded)
and the largest difference of outputs and input gradients.

Example::

    python tools/analysis_tools/benchmark_roi_align.py --preset tevit-tiny
    python tools/analysis_tools/benchmark_roi_align.py --preset tevit \
        --threads 1 2 --repeats 3
"""
import argparse
import time

import torch
from mmcv.ops import roi_align as mmcv_roi_align

from mmvidseg.ops import get_ext, info
from mmvidseg.ops.roi_align import RoIAlignCPUFunction

PRESETS = {
    # 4 clips x 2 frames at 96x96, stride-4 map, 10 queries, FPN 32
    'tevit-tiny': dict(images=8, channels=32, height=24, width=24,
                       rois=10, image_size=96),
    # 2 clips x 5 frames at 360x640, stride-4 map, 100 queries, FPN 256
    'tevit': dict(images=10, channels=256, height=90, width=160, rois=100,
                  image_size=640),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--preset', choices=sorted(PRESETS),
                        default='tevit-tiny')
    parser.add_argument('--output-size', type=int, nargs='+',
                        default=[7, 14])
    parser.add_argument('--sampling-ratio', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    return parser.parse_args()


def make_inputs(images, channels, height, width, rois, image_size, seed=0):
    gen = torch.Generator().manual_seed(seed)
    feats = torch.randn(images, channels, height, width, generator=gen)
    num = images * rois
    xy = torch.rand(num, 2, generator=gen) * image_size * 0.8
    wh = torch.rand(num, 2, generator=gen) * image_size * 0.4 + 4
    inds = torch.arange(images).repeat_interleave(rois).float()
    return feats, torch.cat([inds[:, None], xy, xy + wh], dim=1)


def run(fn, feats, rois, size, ratio, repeats):
    num, channels = len(rois), feats.shape[1]
    grad_out = torch.randn(num, channels, size, size,
                           generator=torch.Generator().manual_seed(1))
    best = float('inf')
    for _ in range(repeats + 1):  # first call warms up
        x = feats.clone().requires_grad_()
        start = time.perf_counter()
        out = fn(x, rois, size, ratio)
        (out * grad_out).sum().backward()
        best = min(best, time.perf_counter() - start)
    return best, out.detach(), x.grad


def main():
    args = parse_args()
    if get_ext() is None:
        raise SystemExit(f'mmvidseg.ops._ext is not built: {info()}')
    cfg = PRESETS[args.preset]
    feats, rois = make_inputs(**cfg)
    print(f'preset {args.preset}: features {tuple(feats.shape)}, '
          f'{len(rois)} RoIs, sampling ratio {args.sampling_ratio}')
    for threads in args.threads:
        torch.set_num_threads(threads)
        for size in args.output_size:
            t_ref, out_ref, g_ref = run(
                lambda x, r, s, k: mmcv_roi_align(x, r, (s, s), 0.25, k,
                                                  'avg', True), feats, rois,
                size, args.sampling_ratio, args.repeats)
            t_new, out_new, g_new = run(
                lambda x, r, s, k: RoIAlignCPUFunction.apply(
                    x, r, (s, s), 0.25, k, True), feats, rois, size,
                args.sampling_ratio, args.repeats)
            print(f'{threads} thread(s), output {size}x{size}: mmcv '
                  f'{t_ref * 1e3:.2f} ms, kernel {t_new * 1e3:.2f} ms '
                  f'(fwd+bwd), speed-up {t_ref / t_new:.2f}x; max |diff| '
                  f'output {(out_ref - out_new).abs().max():.2e}, grad '
                  f'{(g_ref - g_new).abs().max():.2e}')


if __name__ == '__main__':
    main()
