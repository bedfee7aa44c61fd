# Copyright (c) mmvidseg contributors. All rights reserved.
"""Seconds per training iteration of a config on its own training data,
with each multi-scale deformable attention backend, in one process.

    python tools/analysis_tools/benchmark_train_iter.py CONFIG \
        [--iters 10] [--backends pytorch cpu_kernel]

Runs data preprocessing + forward + backward on the same fixed batch from
the config's train dataloader (no optimizer step, so every run sees the same
weights), alternating the backends, and prints the median time per iteration
and the ratio to the first backend. This is how the main job's training speed
with mmvidseg's C++ kernel vs mmcv's grid_sample fallback is measured.
"""
import argparse
import json
import statistics
import time

import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate

from mmvidseg.ops import ms_deform_attn_backend
from mmvidseg.registry import DATASETS, MODELS
from mmvidseg.utils import register_all_modules


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--backends', nargs='+',
                        default=['pytorch', 'cpu_kernel'],
                        choices=['pytorch', 'cpu_kernel', 'auto'])
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args()


def main():
    args = parse_args()
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    batch = pseudo_collate(
        [dataset[i] for i in range(cfg.train_dataloader.batch_size)])

    def step():
        data = model.data_preprocessor(batch, True)
        losses = model(**data, mode='loss')
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        model.zero_grad(set_to_none=True)

    times = {b: [] for b in args.backends}
    for backend in args.backends:  # warm-up
        with ms_deform_attn_backend(backend):
            step()
    for _ in range(args.iters):
        for backend in args.backends:
            with ms_deform_attn_backend(backend):
                start = time.perf_counter()
                step()
                times[backend].append(time.perf_counter() - start)
    ref = statistics.median(times[args.backends[0]])
    for backend in args.backends:
        med = statistics.median(times[backend])
        print(json.dumps(dict(backend=backend, seconds_per_iter=round(med, 4),
                              ratio_to_first=round(med / ref, 3),
                              threads=torch.get_num_threads())))


if __name__ == '__main__':
    main()
