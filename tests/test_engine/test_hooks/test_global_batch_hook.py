# Copyright (c) mmvidseg contributors. All rights reserved.
"""GlobalBatchHook: accumulation = one big batch; schedule in steps."""
import copy

import pytest
import torch
from mmengine.optim import OptimWrapper

from mmvidseg.datasets.task_tagged import MIX_IGNORE_KEYS
from mmvidseg.testing.group_toys import ToyIndexRegressor


def test_accumulated_gradient_equals_one_big_batch():
    """4 batches of 2 with accumulative_counts=4 == 1 batch of 8 (SGD lr 1,
    so the step is the gradient)."""
    idx = torch.arange(8)
    big, small = ToyIndexRegressor(), ToyIndexRegressor()
    w0 = copy.deepcopy(big.state_dict())
    ow = OptimWrapper(torch.optim.SGD(big.parameters(), lr=1.0))
    ow.update_params(big([idx], mode='loss')['loss'])
    ow = OptimWrapper(torch.optim.SGD(small.parameters(), lr=1.0),
                      accumulative_counts=4)
    ow.initialize_count_status(small, 0, 4)
    for k in range(4):
        ow.update_params(small([idx[2 * k:2 * k + 2]], mode='loss')['loss'])
        if k < 3:  # no step before the 4th batch
            assert torch.equal(small.fc.weight, w0['fc.weight'])
    g_big = w0['fc.weight'] - big.fc.weight
    g_small = w0['fc.weight'] - small.fc.weight
    assert g_big.abs().max() > 1e-3
    torch.testing.assert_close(g_small, g_big, rtol=1e-6, atol=1e-7)


def _cfg(tmp_path, batch_size, name):
    return dict(
        custom_imports=dict(imports=['mmvidseg.testing.group_toys'],
                            allow_failed_imports=False),
        default_scope='mmvidseg',
        work_dir=str(tmp_path / name),
        model=dict(type='ToyIndexRegressor'),
        train_dataloader=dict(
            batch_size=batch_size,
            num_workers=0,
            sampler=dict(type='InfiniteSampler', shuffle=True),
            batch_sampler=dict(type='TaskAwareBatchSampler', global_batch=8,
                               chunk_steps=2),
            collate_fn=dict(type='pseudo_collate'),
            dataset=dict(
                type='WeightedConcatDataset', weights=[0.5, 0.5],
                total_samples=64, ignore_keys=MIX_IGNORE_KEYS,
                datasets=[
                    dict(type='TaskTaggedDataset', task='vis',
                         dataset_name='A',
                         dataset=dict(type='ToyGroupDataset', n=20)),
                    dict(type='TaskTaggedDataset', task='vps',
                         dataset_name='B',
                         dataset=dict(type='ToyGroupDataset', n=20)),
                ])),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=3),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1,
                                          momentum=0.9)),
        param_scheduler=[
            dict(type='LinearLR', start_factor=0.5, by_epoch=False, begin=0,
                 end=2),
            dict(type='MultiStepLR', by_epoch=False, begin=0, end=3,
                 milestones=[2], gamma=0.1)
        ],
        custom_hooks=[dict(type='GlobalBatchHook', global_batch=8)],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=100, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        randomness=dict(seed=0),
        log_level='WARNING')


def test_runner_with_accumulation_matches_the_big_batch_run(tmp_path):
    """batch 2 x 4 accumulated (12 loader iterations) == batch 8 (3
    iterations): same weights and learning rates; the schedule is scaled."""
    from mmengine.config import Config
    from mmengine.runner import Runner
    runs = {}
    for bs, name in ((8, 'big'), (2, 'acc')):
        runner = Runner.from_cfg(Config(_cfg(tmp_path, bs, name)))
        runner.train()
        runs[name] = runner
    big, acc = runs['big'], runs['acc']
    assert big.iter == 3 and acc.iter == 12
    assert acc.optim_wrapper._accumulative_counts == 4
    assert acc.param_schedulers[1].last_step == \
        big.param_schedulers[1].last_step  # once per optimiser step
    torch.testing.assert_close(acc.model.fc.weight, big.model.fc.weight,
                               rtol=1e-5, atol=1e-6)
    assert acc.optim_wrapper.get_lr()['lr'] == pytest.approx(
        big.optim_wrapper.get_lr()['lr'])


def test_a_world_size_that_does_not_divide_the_batch_is_refused():
    from mmvidseg.engine.hooks import GlobalBatchHook

    class Loader:
        batch_size = 1
        batch_sampler = None

    class Runner:
        world_size = 3
        train_loop = type('L', (), dict(dataloader=Loader()))()

    with pytest.raises(ValueError, match=r'3 process\(es\).*\[1, 2, 4, 8'):
        GlobalBatchHook(global_batch=32).before_run(Runner())
