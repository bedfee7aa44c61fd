# Copyright (c) mmvidseg contributors. All rights reserved.
"""Evaluate a checkpoint with the config's test metric (as mmdet's test.py)."""
import argparse
import os

from mmengine.config import Config, DictAction
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmvidseg.utils import register_all_modules
from mmvidseg.utils.config_utils import adapt_dist_backend, default_work_dir


def parse_args():
    parser = argparse.ArgumentParser(description='Test a video model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file or URL')
    parser.add_argument('--work-dir', help='where to save the metrics')
    parser.add_argument(
        '--out', help='dump the raw per-video predictions to this pickle')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. test_dataloader.num_workers=0')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main():
    args = parse_args()
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = default_work_dir(cfg, args.config, args.work_dir)
    adapt_dist_backend(cfg)
    cfg.load_from = args.checkpoint
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg \
        else RUNNERS.build(cfg)
    if args.out is not None:
        if not args.out.endswith(('.pkl', '.pickle')):
            raise ValueError('--out must end with .pkl or .pickle')
        runner.test_evaluator.metrics.append(
            _dump_metric(args.out))
    runner.test()


def _dump_metric(path):
    from mmengine.evaluator import DumpResults
    return DumpResults(out_file_path=path)


if __name__ == '__main__':
    main()
