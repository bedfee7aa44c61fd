# Copyright (c) mmvidseg contributors. All rights reserved.
"""Small helpers the thin ``tools/*.py`` scripts share."""
import os.path as osp
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.logging import print_log


def adapt_dist_backend(cfg: Config) -> None:
    """Use gloo when a config asks for nccl but no GPU is visible.

    Lets ``tools/dist_train.sh CONFIG N`` run on CPU-only machines (tests,
    laptops) with the same configs the GPU cluster uses.
    """
    dist_cfg = cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    if dist_cfg.get('backend', 'nccl') == 'nccl' and \
            not torch.cuda.is_available():
        print_log('No GPU visible: using the gloo backend instead of nccl.',
                  'current')
        dist_cfg['backend'] = 'gloo'


def default_work_dir(cfg: Config, config_path: str,
                     work_dir: Optional[str] = None) -> str:
    """``--work-dir``, else the config's ``work_dir``, else mmdet's default
    ``./work_dirs/<config name>``."""
    if work_dir is not None:
        return work_dir
    if cfg.get('work_dir', None) is not None:
        return cfg.work_dir
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
