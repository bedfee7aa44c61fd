# Copyright (c) mmvidseg contributors. All rights reserved.
"""mmvidseg's CheckpointHook: atomic saves, rotation after the save."""
import os.path as osp

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.registry import DefaultScope
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmvidseg.engine.hooks.checkpoint_hook import CheckpointHook
from mmvidseg.registry import HOOKS
from mmvidseg.utils import register_all_modules

register_all_modules(init_default_scope=False)


class _Line(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(2, 1)

    def forward(self, inputs, targets, mode='tensor'):
        pred = self.fc(inputs)  # (B, 1)
        if mode == 'loss':
            return dict(loss=((pred - targets)**2).mean())
        return pred


class _Points(Dataset):

    def __len__(self):
        return 8

    def __getitem__(self, i):
        x = torch.tensor([float(i), 1.0])
        return dict(inputs=x, targets=x[:1] * 2)


def _runner(work_dir, max_keep=1):
    return Runner(
        model=_Line(), work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=_Points(), sampler=dict(type='InfiniteSampler'),
            batch_size=2, collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=4),
        default_hooks=dict(checkpoint=dict(
            type='CheckpointHook', by_epoch=False, interval=1,
            max_keep_ckpts=max_keep)),
        default_scope='mmvidseg', randomness=dict(seed=0))


def test_the_shadow_is_built_in_the_mmvidseg_scope():
    with DefaultScope.overwrite_default_scope('mmvidseg'):
        assert HOOKS.get('CheckpointHook') is CheckpointHook


def test_a_save_that_dies_leaves_the_previous_checkpoint(tmp_path,
                                                         monkeypatch):
    runner = _runner(tmp_path)
    real_save = torch.save
    calls = []

    def dying_save(obj, f, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # the third checkpoint: half the bytes, then die
            f.write(b'PK\x03\x04 half a checkpoint')
            raise KeyboardInterrupt('killed while saving')
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, 'save', dying_save)
    with pytest.raises(KeyboardInterrupt):
        runner.train()
    monkeypatch.setattr(torch, 'save', real_save)
    # max_keep_ckpts=1: mmengine would have deleted iter_2.pth before the
    # save of iter_3.pth died, leaving last_checkpoint pointing at nothing
    last = (tmp_path / 'last_checkpoint').read_text()
    assert osp.basename(last) == 'iter_2.pth' and osp.isfile(last)
    assert sorted(p.name for p in tmp_path.iterdir()
                  if p.suffix == '.pth' or '.tmp-' in p.name) == \
        ['iter_2.pth']
    ckpt = torch.load(last, map_location='cpu', weights_only=False)
    assert ckpt['meta']['iter'] == 2 and 'rng_state' in ckpt

    # --resume picks iter_2.pth up and finishes the run
    resumed = _runner(tmp_path)
    resumed._resume = True
    resumed.train()
    assert resumed.iter == 4
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == ['iter_4.pth']
    kept = torch.load(tmp_path / 'iter_4.pth', map_location='cpu',
                      weights_only=False)
    assert kept['message_hub']['runtime_info']['keep_ckpt_ids'] == [4]


def test_checkpoints_load_with_weights_only(tmp_path):
    """The RNG state is tensors / lists / numbers only."""
    runner = _runner(tmp_path, max_keep=2)
    runner.train()
    assert sorted(p.name for p in tmp_path.glob('*.pth')) == \
        ['iter_3.pth', 'iter_4.pth']
    from mmvidseg.utils.checkpoint import load_checkpoint_file
    ckpt = load_checkpoint_file(str(tmp_path / 'iter_4.pth'))
    assert set(ckpt['rng_state']) >= {'python', 'numpy', 'torch'}


def test_load_from_another_architecture_is_refused(tmp_path):
    from mmvidseg.utils.checkpoint_match import CheckpointMismatchError
    path = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'roi_head.w': torch.zeros(1),
                                'backbone.msg_tokens': torch.zeros(1)}), path)
    runner = _runner(tmp_path / 'work')
    runner._load_from = str(path)
    with pytest.raises(CheckpointMismatchError, match='official TeViT'):
        runner.train()
