# Copyright (c) mmvidseg contributors. All rights reserved.
import torch
from mmengine.config import Config

from mmvidseg.utils.config_utils import adapt_dist_backend, default_work_dir


def test_default_work_dir_precedence():
    path = 'configs/x/tevit_toy.py'
    assert default_work_dir(Config(dict(work_dir='w')), path, 'cli') == 'cli'
    assert default_work_dir(Config(dict(work_dir='w')), path) == 'w'
    assert default_work_dir(Config(dict()), path) == \
        './work_dirs/tevit_toy'


def test_adapt_dist_backend_cpu_or_gpu():
    cfg = Config(dict(env_cfg=dict(dist_cfg=dict(backend='nccl')),
                      launcher='pytorch'))
    adapt_dist_backend(cfg)
    if torch.cuda.is_available():
        assert cfg.env_cfg.dist_cfg.backend == 'nccl'
    else:
        assert cfg.env_cfg.dist_cfg.backend == 'gloo'
        # DDP on CPU modules takes no device_ids
        assert cfg.model_wrapper_cfg['device_ids'] is None


def test_adapt_dist_backend_without_env_cfg():
    """A config with no env_cfg gets one (Config.setdefault would return a
    detached copy and the nccl default would survive)."""
    cfg = Config(dict(launcher='pytorch'))
    adapt_dist_backend(cfg)
    expected = 'nccl' if torch.cuda.is_available() else 'gloo'
    assert cfg.env_cfg.dist_cfg.get('backend', 'nccl') == expected
