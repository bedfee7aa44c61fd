# Copyright (c) mmvidseg contributors. All rights reserved.
"""CPU and wall seconds per training iteration of several configs, measured
in one process, with ratios against the first config.

    python tools/analysis_tools/compare_train_cost.py \
        configs/mask2former_vis/mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py \
        configs/tevit/tevit_msgshift-tiny_1xb4-toy.py --iters 80 --rounds 2

Each config trains through mmengine's ``Runner`` exactly as ``tools/train.py``
does (data loading, forward, backward, optimizer step, hooks), for
``--warmup`` + ``--iters`` iterations; only the last ``--iters`` are timed
(``time.process_time`` of this process = CPU seconds of all its threads,
OpenMP spin-waiting included). The configs run in turn, ``--rounds`` times,
and the median per config is reported. Set ``OMP_NUM_THREADS`` to compare at
a given thread count. This is how the toy tables in ``configs/tevit/README.md``
compare TeViT-tiny's training cost with the Mask2Former baseline's.
"""
import argparse
import os.path as osp
import statistics
import tempfile
import time

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmvidseg.registry import HOOKS
from mmvidseg.utils import register_all_modules


@HOOKS.register_module()
class _IterCostHook(Hook):
    """Records CPU / wall time of the iterations after ``warmup``."""

    priority = 'LOWEST'

    def __init__(self, warmup: int) -> None:
        self.warmup = warmup
        self.start = None
        self.result = None

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.warmup:
            self.start = (time.process_time(), time.perf_counter())

    def after_train(self, runner):
        cpu, wall = self.start
        iters = runner.iter - self.warmup
        self.result = ((time.process_time() - cpu) / iters,
                       (time.perf_counter() - wall) / iters)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--iters', type=int, default=80)
    parser.add_argument('--warmup', type=int, default=10)
    parser.add_argument('--rounds', type=int, default=1)
    return parser.parse_args()


def measure(config: str, iters: int, warmup: int, work_dir: str):
    cfg = Config.fromfile(config)
    cfg.work_dir = work_dir
    cfg.train_cfg.max_iters = warmup + iters
    cfg.train_cfg.val_begin = 10**9  # no validation
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.logger.interval = 10**9
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=10**9, save_last=False)
    cfg.custom_hooks = [dict(type='_IterCostHook', warmup=warmup)]
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    runner.train()
    hook = [h for h in runner.hooks if isinstance(h, _IterCostHook)][0]
    return hook.result


def main():
    args = parse_args()
    register_all_modules()
    times = {c: [] for c in args.configs}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for i, config in enumerate(args.configs):
                times[config].append(
                    measure(config, args.iters, args.warmup,
                            osp.join(tmp, f'{r}_{i}')))
    print(f'{torch.get_num_threads()} thread(s), {args.iters} iterations '
          f'after {args.warmup} warm-up, median of {args.rounds} round(s)')
    ref = None
    for config, runs in times.items():
        cpu = statistics.median(t[0] for t in runs)
        wall = statistics.median(t[1] for t in runs)
        ref = ref or (cpu, wall)
        print(f'{osp.basename(config)}: {cpu:.4f} CPU-s / iter '
              f'(x{cpu / ref[0]:.2f}), {wall:.4f} wall-s / iter '
              f'(x{wall / ref[1]:.2f})')


if __name__ == '__main__':
    main()
