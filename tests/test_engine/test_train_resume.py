# Copyright (c) mmvidseg contributors. All rights reserved.
"""A real Runner: train 2 iterations, resume, continue (torch >= 2.6)."""
import copy
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmvidseg.testing import config_path

TOY_CONFIG = config_path(
    'mask2former_vis/mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py')


def tiny_cfg(toy_ytvis_root, work_dir, max_iters):
    cfg = Config.fromfile(TOY_CONFIG)
    cfg.work_dir = str(work_dir)
    cfg.train_dataloader.dataset.data_root = str(toy_ytvis_root) + '/'
    cfg.train_dataloader.batch_size = 2
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                         val_interval=10**6)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', by_epoch=False, interval=2, save_last=True)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    return cfg


def test_train_resume_continue(toy_ytvis_root, tmp_path):
    cfg = tiny_cfg(toy_ytvis_root, tmp_path, max_iters=2)
    runner = Runner.from_cfg(copy.deepcopy(cfg))
    runner.train()
    ckpt = osp.join(tmp_path, 'iter_2.pth')
    assert osp.isfile(ckpt)
    saved = torch.load(ckpt, map_location='cpu', weights_only=False)
    assert 'message_hub' in saved and 'optimizer' in saved

    cfg2 = tiny_cfg(toy_ytvis_root, tmp_path, max_iters=4)
    cfg2.resume = True
    cfg2.load_from = ckpt
    runner2 = Runner.from_cfg(cfg2)
    runner2.train()
    assert runner2.iter == 4
    assert osp.isfile(osp.join(tmp_path, 'iter_4.pth'))
    # resumed weights are the saved ones before continuing: the optimizer
    # state was restored (its step count continues from 2)
    state = runner2.optim_wrapper.optimizer.state
    steps = {int(s['step']) for s in state.values() if 'step' in s}
    assert steps == {4}

    # load_from (no resume) of a Runner-written checkpoint works too
    cfg3 = tiny_cfg(toy_ytvis_root, tmp_path / 'b', max_iters=1)
    cfg3.load_from = osp.join(tmp_path, 'iter_4.pth')
    runner3 = Runner.from_cfg(cfg3)
    runner3.train()
    assert runner3.iter == 1
