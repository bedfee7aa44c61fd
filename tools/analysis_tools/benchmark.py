# Copyright (c) mmvidseg contributors. All rights reserved.
"""Frames per second and peak memory of a config's model on given sizes.

    python tools/analysis_tools/benchmark.py CONFIG --shape 5 360 640 \
        [--mode predict|loss] [--repeat 5] [--checkpoint CKPT]

Each shape ``T H W`` is one video clip of T frames. Reports frames/s of the
chosen mode (after one warm-up run) and the peak memory: CUDA peak allocation
on a GPU, or the growth of the process's peak RSS on CPU (run one shape per
process for a clean CPU number).
"""
import argparse
import json
import resource
import time

import torch
from mmdet.testing import demo_track_inputs
from mmengine.config import Config, DictAction

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='optional weights')
    parser.add_argument(
        '--shape', type=int, nargs=3, action='append', metavar=('T', 'H', 'W'),
        help='clip shape; repeat the flag for several shapes')
    parser.add_argument('--mode', choices=['predict', 'loss'],
                        default='predict')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available()
                        else 'cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def benchmark(model, shape, mode: str, repeat: int, device: str) -> dict:
    t, h, w = shape
    num_classes = getattr(model, 'num_classes', None) or 1
    data = demo_track_inputs(1, t, image_shapes=(3, h, w), num_items=[2],
                             num_classes=num_classes, with_mask=True)
    for sample in data['data_samples']:
        for i, frame in enumerate(sample):
            frame.set_metainfo(dict(video_id=0, video_length=t, frame_id=i,
                                    scale_factor=(1.0, 1.0)))
    batch = model.data_preprocessor(data, training=mode == 'loss')
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
    rss0 = _peak_rss_mb()
    times = []
    for i in range(repeat + 1):
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        start = time.perf_counter()
        if mode == 'loss':
            losses = model(**batch, mode='loss')
            sum(v.sum() for v in losses.values()
                if isinstance(v, torch.Tensor)).backward()
        else:
            with torch.no_grad():
                model(**batch, mode='predict')
        if device.startswith('cuda'):
            torch.cuda.synchronize()
        if i > 0:  # first run is warm-up
            times.append(time.perf_counter() - start)
    mean = sum(times) / len(times)
    peak = torch.cuda.max_memory_allocated() / 2**20 \
        if device.startswith('cuda') else _peak_rss_mb() - rss0
    return dict(shape=list(shape), mode=mode, seconds_per_clip=round(mean, 4),
                frames_per_second=round(t / mean, 2),
                peak_memory_mb=round(peak, 1),
                memory_kind='cuda_max_allocated' if device.startswith('cuda')
                else 'cpu_peak_rss_growth')


def main():
    args = parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model = MODELS.build(cfg.model).to(args.device)
    if args.checkpoint:
        from mmengine.runner import load_checkpoint
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.train(args.mode == 'loss')
    for shape in args.shape or [(5, 360, 640)]:
        print(json.dumps(benchmark(model, shape, args.mode, args.repeat,
                                   args.device)))


if __name__ == '__main__':
    main()
