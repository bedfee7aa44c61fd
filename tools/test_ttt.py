# Copyright (c) mmvidseg contributors. All rights reserved.
"""Video-TTT: run a stream config with online test-time training.

    python tools/test_ttt.py CONFIG CHECKPOINT --mode online|standard|frozen \
        [--work-dir DIR] [--resume] [--checkpoint-interval N] \
        [--predict-all] [--cfg-options ...]

The config's ``test_cfg`` must be an ``OnlineTTTLoop`` (its ``ttt`` dict
holds window / batch / accumulation / lr); ``--mode`` overrides its mode.
Outputs under ``<work_dir>/<mode>/``: ``ttt_frames/<video>.jsonl`` (one
line per frame) and ``ttt_frames/summary.json``; tabulate two modes with
``tools/analysis_tools/tabulate_ttt.py``. A checkpoint without a
reconstruction head runs only with ``--mode frozen``.
"""
import argparse
import os.path as osp

from mmengine.runner import Runner

from mmvidseg.engine.runner import MODES
from mmvidseg.utils.config_utils import (add_runner_args, load_runner_config,
                                         parse_runner_args)


def parse_args():
    parser = argparse.ArgumentParser(description='Video-TTT stream test')
    parser.add_argument('config', help='stream config (OnlineTTTLoop)')
    parser.add_argument('checkpoint', help='Y-model checkpoint')
    parser.add_argument('--mode', choices=MODES, default=None,
                        help='override test_cfg.mode')
    parser.add_argument('--resume', action='store_true',
                        help='continue from <work_dir>/<mode>/'
                        'ttt_loop_state.pth if present')
    parser.add_argument('--checkpoint-interval', type=int, default=None,
                        help='save the loop state every N frames')
    parser.add_argument('--predict-all', action='store_true',
                        help='predict every frame (timing), not only the '
                        'evaluated ones')
    add_runner_args(parser, 'where to save the per-frame logs')
    return parse_runner_args(parser)


def main():
    args = parse_args()
    cfg = load_runner_config(args)
    loop = cfg.get('test_cfg') or {}
    if loop.get('type') != 'OnlineTTTLoop':
        raise ValueError(f'{args.config}: test_cfg.type must be '
                         f"'OnlineTTTLoop', got {loop.get('type')!r}")
    if args.mode is not None:
        loop['mode'] = args.mode
    if args.resume:
        loop['resume'] = True
    if args.checkpoint_interval is not None:
        loop['checkpoint_interval'] = args.checkpoint_interval
    if args.predict_all:
        loop['predict_all'] = True
    cfg.test_cfg = loop
    cfg.work_dir = osp.join(cfg.work_dir, loop.get('mode', 'online'))
    cfg.load_from = args.checkpoint
    cfg.train_dataloader = cfg.train_cfg = cfg.optim_wrapper = None
    cfg.param_scheduler = None
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    print({k: round(v, 3) if isinstance(v, float) else v
           for k, v in metrics.items()})


if __name__ == '__main__':
    main()
