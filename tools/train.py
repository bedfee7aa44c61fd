# Copyright (c) mmvidseg contributors. All rights reserved.
"""Train a video segmentation model (same interface as mmdet's train.py)."""
import argparse

from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmvidseg.utils.config_utils import (add_runner_args, load_runner_config,
                                         parse_runner_args)


def parse_args():
    parser = argparse.ArgumentParser(description='Train a video model')
    parser.add_argument('config', help='train config file path')
    add_runner_args(parser, 'the dir to save logs and models')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument(
        '--auto-scale-lr', action='store_true', help='scale the LR by the '
        'total batch size (needs auto_scale_lr.base_batch_size in the config)')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or (no value) from the latest '
        'checkpoint in the work directory')
    return parse_runner_args(parser)


def main():
    args = parse_args()
    cfg = load_runner_config(args)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise RuntimeError('--auto-scale-lr needs auto_scale_lr = '
                               'dict(base_batch_size=...) in the config')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg \
        else RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    main()
