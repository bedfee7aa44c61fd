# Copyright (c) mmvidseg contributors. All rights reserved.
"""Evaluate a checkpoint with the config's test metric (as mmdet's test.py)."""
import argparse

from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from mmvidseg.utils.config_utils import (add_runner_args, load_runner_config,
                                         parse_runner_args)


def parse_args():
    parser = argparse.ArgumentParser(description='Test a video model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file or URL')
    add_runner_args(parser, 'where to save the metrics')
    parser.add_argument(
        '--out', help='dump the raw per-video predictions to this pickle')
    return parse_runner_args(parser)


def main():
    args = parse_args()
    cfg = load_runner_config(args)
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
