# Copyright (c) mmvidseg contributors. All rights reserved.
"""Small helpers the thin ``tools/*.py`` scripts share: the common command
line (``--work-dir``, ``--cfg-options``, ``--launcher``, ``--local-rank``)
and the config setup every runner-based tool does the same way."""
import argparse
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log

from .compat import patch_cpu_dist_init


def adapt_dist_backend(cfg: Config) -> None:
    """Use gloo when a config asks for nccl but no GPU is visible.

    Lets ``tools/dist_train.sh CONFIG N`` run on CPU-only machines (tests,
    laptops) with the same configs the GPU cluster uses.
    """
    # (Config.setdefault returns a copy for a missing key: assign instead)
    if cfg.get('env_cfg') is None:
        cfg.env_cfg = dict()
    if cfg.env_cfg.get('dist_cfg') is None:
        cfg.env_cfg.dist_cfg = dict()
    dist_cfg = cfg.env_cfg.dist_cfg
    if dist_cfg.get('backend', 'nccl') == 'nccl' and \
            not torch.cuda.is_available():
        print_log('No GPU visible: using the gloo backend instead of nccl.',
                  'current')
        dist_cfg['backend'] = 'gloo'
    if not torch.cuda.is_available():
        patch_cpu_dist_init()
        if cfg.get('launcher', 'none') != 'none':
            # mmengine passes device_ids=[LOCAL_RANK] to DDP by default,
            # which DDP rejects for CPU modules
            wrapper = dict(cfg.get('model_wrapper_cfg') or {})
            wrapper.setdefault('type', 'MMDistributedDataParallel')
            wrapper['device_ids'] = None
            cfg.model_wrapper_cfg = wrapper


def default_work_dir(cfg: Config, config_path: str,
                     work_dir: Optional[str] = None) -> str:
    """``--work-dir``, else the config's ``work_dir``, else mmdet's default
    ``./work_dirs/<config name>``."""
    if work_dir is not None:
        return work_dir
    if cfg.get('work_dir', None) is not None:
        return cfg.work_dir
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def add_runner_args(parser: argparse.ArgumentParser,
                    work_dir_help: str = 'the dir to save logs') -> None:
    """Add the arguments every runner-based tool shares, as mmdet's tools:
    ``--work-dir``, ``--cfg-options``, ``--launcher`` and ``--local-rank``."""
    parser.add_argument('--work-dir', help=work_dir_help)
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_cfg.max_iters=10')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def parse_runner_args(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Parse, and export ``LOCAL_RANK`` for launchers that do not set it."""
    args = parser.parse_args()
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def load_runner_config(args: argparse.Namespace) -> Config:
    """Register mmvidseg, read ``args.config``, apply ``--launcher``,
    ``--cfg-options`` and ``--work-dir`` and adapt the distributed backend
    to the machine (gloo without a GPU)."""
    from mmvidseg.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = default_work_dir(cfg, args.config, args.work_dir)
    adapt_dist_backend(cfg)
    return cfg
