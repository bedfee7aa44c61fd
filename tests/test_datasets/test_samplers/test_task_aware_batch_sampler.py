# Copyright (c) mmvidseg contributors. All rights reserved.
"""TaskAwareBatchSampler: one dataset + task per step, on every process."""
import collections
import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.dataset import InfiniteSampler

from mmvidseg.datasets import TaskTaggedDataset, WeightedConcatDataset
from mmvidseg.datasets.samplers import (TaskAwareBatchSampler,
                                        accumulation_steps)
from mmvidseg.datasets.task_tagged import MIX_IGNORE_KEYS
from mmvidseg.testing.group_toys import ToyGroupDataset


def _finetune_mix(total=96):
    davis = TaskTaggedDataset(
        ToyGroupDataset(n=12, dataset_name='DAVIS', num_objects=[1, 2, 3]),
        'vos')
    ytvis = TaskTaggedDataset(ToyGroupDataset(n=9, dataset_name='YTVIS'),
                              'vis')
    kitti = TaskTaggedDataset(ToyGroupDataset(n=5, dataset_name='KITTI'),
                              'vps')
    return WeightedConcatDataset([davis, ytvis, kitti], [0.5, 0.25, 0.25],
                                 total_samples=total,
                                 ignore_keys=MIX_IGNORE_KEYS)


def _pretrain_set():
    inner = WeightedConcatDataset(
        [ToyGroupDataset(n=6, dataset_name='COCO'),
         ToyGroupDataset(n=4, dataset_name='ADE20K')], [0.5, 0.5],
        total_samples=16, ignore_keys=['dataset_name'])
    return TaskTaggedDataset(inner, ('vis', 'vps', 'vos'))


def _take(sampler, n):
    it = iter(sampler)
    return [next(it) for _ in range(n)]


@pytest.mark.parametrize('world,expected', [(1, 32), (2, 16), (8, 4),
                                            (32, 1)])
def test_accumulation_keeps_32(world, expected):
    assert accumulation_steps(32, world, 1) == expected
    assert world * expected == 32


@pytest.mark.parametrize('world', [3, 5, 64])
def test_world_size_not_dividing_32_is_refused(world):
    with pytest.raises(ValueError, match=f'{world} process'):
        accumulation_steps(32, world, 1)


def test_every_step_and_chunk_is_one_group_and_counts_are_grouped():
    mix = _finetune_mix()
    bs = TaskAwareBatchSampler(InfiniteSampler(mix, seed=3), batch_size=2,
                               global_batch=8, chunk_steps=3)
    assert bs.accumulation == 4  # 8 clips = 1 process x 2 x 4 batches
    per_chunk = 3 * 4
    batches = _take(bs, 10 * per_chunk)
    assert all(len(b) == 2 for b in batches)
    for c in range(10):
        groups = {bs.group_of(i) for b in
                  batches[c * per_chunk:(c + 1) * per_chunk] for i in b}
        assert len(groups) == 1, groups
        g = groups.pop()
        # the toy DAVIS samples have object counts 1, 2, 3: VOS groups by it
        assert (g.task == 'vos') == (g.num_objects > 0)
    # every group of the mix shows up
    seen = {bs.group_of(b[0]).dataset_name for b in batches}
    assert seen == {'DAVIS', 'YTVIS', 'KITTI'}


def test_weights_follow_the_sample_pool():
    mix = _finetune_mix(total=4096)
    bs = TaskAwareBatchSampler(InfiniteSampler(mix, seed=0), batch_size=1,
                               global_batch=4, chunk_steps=2)
    n = len(bs)  # one round
    counts = collections.Counter(bs.group_of(b[0]).dataset_name
                                 for b in _take(bs, n))
    assert counts['DAVIS'] / n == pytest.approx(0.5, abs=0.01)
    assert counts['YTVIS'] / n == pytest.approx(0.25, abs=0.01)


def test_same_seed_same_order_other_seed_other_order():
    mix = _finetune_mix()
    a = _take(TaskAwareBatchSampler(InfiniteSampler(mix, seed=1),
                                    global_batch=4), 40)
    b = _take(TaskAwareBatchSampler(InfiniteSampler(mix, seed=1),
                                    global_batch=4), 40)
    c = _take(TaskAwareBatchSampler(InfiniteSampler(mix, seed=2),
                                    global_batch=4), 40)
    assert a == b and a != c


def test_never_ends_and_reshuffles_each_round():
    mix = _finetune_mix(total=32)
    bs = TaskAwareBatchSampler(InfiniteSampler(mix, seed=0), batch_size=1,
                               global_batch=4, chunk_steps=1)
    n = len(bs)
    batches = _take(bs, 3 * n)
    assert batches[:n] != batches[n:2 * n]
    assert all(len(b) == 1 for b in batches)


def test_pretraining_redraws_the_task_every_chunk_with_reference_weights():
    ds = _pretrain_set()
    bs = TaskAwareBatchSampler(InfiniteSampler(ds, seed=0), batch_size=1,
                               global_batch=2, chunk_steps=8,
                               task_weights=dict(vis=0.3, vps=0.3, vos=0.4))
    per_chunk = 8 * 2
    num_chunks = 600
    batches = _take(bs, num_chunks * per_chunk)
    tasks = []
    for c in range(num_chunks):
        groups = {ds.sample_groups()[0][ds.sample_groups()[1][i]]
                  for b in batches[c * per_chunk:(c + 1) * per_chunk]
                  for i in b}
        assert len(groups) == 1  # one dataset and one task per 8 steps
        tasks.append(groups.pop().task)
    # the reference's draw: rand(generator seeded 764501) < cumsum(w)
    g = torch.Generator().manual_seed(764501)
    ref = []
    for _ in range(num_chunks):
        r = torch.rand(1, generator=g).item()
        ref.append('vis' if r < 0.3 else 'vps' if r < 0.6 else 'vos')
    assert tasks == ref
    freq = collections.Counter(tasks)
    assert freq['vos'] / num_chunks == pytest.approx(0.4, abs=0.06)


def test_bad_configurations_are_refused():
    mix = _finetune_mix()
    with pytest.raises(ValueError, match='TaskTaggedDataset'):
        TaskAwareBatchSampler(InfiniteSampler(mix, seed=0),
                              task_weights=dict(vis=0.5, vos=0.5))
    with pytest.raises(ValueError, match='sum to 1'):
        TaskAwareBatchSampler(InfiniteSampler(_pretrain_set(), seed=0),
                              task_weights=dict(vis=0.5, vos=0.6))
    with pytest.raises(ValueError, match='cannot be kept'):
        TaskAwareBatchSampler(InfiniteSampler(mix, seed=0), batch_size=3,
                              global_batch=32)


DATALOADER = dict(
    batch_size=2,
    num_workers=0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(type='TaskAwareBatchSampler', global_batch=8,
                       chunk_steps=2),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='WeightedConcatDataset',
        weights=[0.5, 0.5],
        total_samples=64,
        ignore_keys=MIX_IGNORE_KEYS,
        datasets=[
            dict(type='TaskTaggedDataset', task='vos', dataset_name='DAVIS',
                 dataset=dict(type='ToyGroupDataset', n=10,
                              num_objects=[1, 2])),
            dict(type='TaskTaggedDataset', task='vis',
                 dataset_name='YTVIS',
                 dataset=dict(type='ToyGroupDataset', n=7)),
        ]))


def _worker(rank, world, init_file, out_dir, num_batches):
    dist.init_process_group('gloo', init_method=f'file://{init_file}',
                            rank=rank, world_size=world)
    from mmengine.registry import init_default_scope
    from mmengine.runner import Runner

    import mmvidseg.testing.group_toys  # noqa: F401 (registers the toy)
    init_default_scope('mmvidseg')
    loader = Runner.build_dataloader(
        {k: (dict(v) if isinstance(v, dict) else v)
         for k, v in DATALOADER.items()}, seed=None)  # seed synced by rank 0
    rows, it = [], iter(loader)
    for _ in range(num_batches):
        batch = next(it)
        for sample in batch['data_samples']:
            meta = sample.video_data_samples[0].metainfo
            rows.append((meta['dataset_name'], meta['task'],
                         int(batch['inputs'][0][0]), meta['sample_idx']))
    torch.save(rows, os.path.join(out_dir, f'rank{rank}.pt'))
    dist.destroy_process_group()


def test_two_gloo_processes_draw_the_same_dataset_and_task(tmp_path):
    world, num_batches = 2, 24  # 24 loader batches = 12 steps x 2 (accum.)
    # fork: the children inherit the imported packages (spawn re-imports)
    mp.start_processes(_worker, args=(world, str(tmp_path / 'init'),
                                      str(tmp_path), num_batches),
                       nprocs=world, join=True, start_method='fork')
    r0, r1 = (torch.load(tmp_path / f'rank{r}.pt') for r in range(world))
    assert len(r0) == len(r1) == num_batches * 2
    # rank r, loader batch k: same dataset and task on both ranks
    assert [row[:2] for row in r0] == [row[:2] for row in r1]
    tasks = {row[1] for row in r0}
    assert tasks == {'vos', 'vis'}, tasks
    # 8 clips per step = 2 ranks x 2 accumulated batches x 2 clips: the
    # ranks take different samples of the step (as DistributedSampler)
    for step in range(num_batches // 2):
        rows0 = r0[step * 4:(step + 1) * 4]
        rows1 = r1[step * 4:(step + 1) * 4]
        assert len({r[:2] for r in rows0 + rows1}) == 1  # one group / step
    # chunk_steps=2: the group changes at most every 2 steps (8 batches)
    per_chunk = 2 * 2 * 2
    for c in range(len(r0) // per_chunk):
        assert len({r[:2] for r in r0[c * per_chunk:(c + 1) * per_chunk]}
                   ) == 1
