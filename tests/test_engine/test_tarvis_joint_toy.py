# Copyright (c) mmvidseg contributors. All rights reserved.
"""The toy joint TarViS config trains 3 optimiser steps on four tasks.

configs/tarvis/tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py through the
Runner: toy YouTube-VIS (vis), KITTI-STEP (vps), DAVIS and BURST (vos) mixed
by TaskAwareBatchSampler, 2 loader batches of 2 clips accumulated per step
(GlobalBatchHook, global batch 4). Checked: every loader batch holds one
dataset and one task, both batches of a step share them, losses are finite.
"""
import math

from mmengine.config import Config
from mmengine.hooks import Hook

from mmvidseg.testing import config_path, reroot_toy

CONFIG = 'tarvis/tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py'



class _Record(Hook):

    def __init__(self):
        self.rows, self.losses = [], []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        self.rows.append({(s.video_data_samples[0].metainfo['dataset_name'],
                           s.video_data_samples[0].metainfo['task'])
                          for s in data_batch['data_samples']})

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.losses.append(float(outputs['loss']))


def test_three_steps_on_four_toy_tasks(toy_root, tmp_path):
    from mmengine.runner import Runner
    cfg = Config.fromfile(config_path(CONFIG))
    cfg.train_dataloader = reroot_toy(cfg.train_dataloader.to_dict(),
                                   str(toy_root))
    cfg.train_dataloader['batch_sampler']['chunk_steps'] = 1
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=3)
    cfg.param_scheduler = None
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 1
    cfg.work_dir = str(tmp_path)
    cfg.randomness = dict(seed=1)
    runner = Runner.from_cfg(cfg)
    record = _Record()
    runner.register_hook(record)
    runner.train()
    assert runner.iter == 6  # 3 steps x 2 accumulated loader batches
    assert all(len(r) == 1 for r in record.rows)  # one dataset + task
    steps = [record.rows[i] | record.rows[i + 1] for i in range(0, 6, 2)]
    assert all(len(s) == 1 for s in steps)  # the same for a whole step
    assert all(math.isfinite(v) for v in record.losses)
