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
    if not torch.cuda.is_available():
        _patch_cpu_dist_init()
        if cfg.get('launcher', 'none') != 'none':
            # mmengine passes device_ids=[LOCAL_RANK] to DDP by default,
            # which DDP rejects for CPU modules
            wrapper = dict(cfg.get('model_wrapper_cfg') or {})
            wrapper.setdefault('type', 'MMDistributedDataParallel')
            wrapper['device_ids'] = None
            cfg.model_wrapper_cfg = wrapper


def _patch_cpu_dist_init() -> None:
    """Let mmengine's torchrun launcher start on a CPU-only torch.

    mmengine 0.10.7's ``_init_dist_pytorch`` calls
    ``torch.cuda.set_device(local_rank)`` unconditionally, which raises
    ``AttributeError: module 'torch._C' has no attribute '_cuda_setDevice'``
    on CPU builds of torch 2.13. Without CUDA there is no device to set, so
    the process group is initialised directly; with CUDA mmengine's own
    function runs unchanged.
    """
    import torch.distributed as torch_dist
    from mmengine.dist import utils as dist_utils
    original = dist_utils._init_dist_pytorch
    if getattr(original, '_mmvidseg_cpu', False):
        return

    def init_dist_pytorch(backend, init_backend='torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        torch_dist.init_process_group(backend=backend, **kwargs)

    init_dist_pytorch._mmvidseg_cpu = True
    dist_utils._init_dist_pytorch = init_dist_pytorch


def default_work_dir(cfg: Config, config_path: str,
                     work_dir: Optional[str] = None) -> str:
    """``--work-dir``, else the config's ``work_dir``, else mmdet's default
    ``./work_dirs/<config name>``."""
    if work_dir is not None:
        return work_dir
    if cfg.get('work_dir', None) is not None:
        return cfg.work_dir
    return osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])
