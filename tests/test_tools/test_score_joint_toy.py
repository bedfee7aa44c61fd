# Copyright (c) mmvidseg contributors. All rights reserved.
"""tools/analysis_tools/score_joint_toy.py: one random-weight joint
TarViS-tiny checkpoint scored on the four toy tasks (tiny toy preset, one
video per split)."""
import json
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config

from mmvidseg.registry import MODELS
from mmvidseg.testing import REPO_ROOT, config_path
from mmvidseg.utils import register_all_modules

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis_tools'))
from make_toy_heldout import make_heldout  # noqa: E402
from score_joint_toy import HEADLINE, main, task_config  # noqa: E402


JOINT = config_path('tarvis/tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py')


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    register_all_modules()
    cfg = Config.fromfile(JOINT)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    path = tmp_path_factory.mktemp('ckpt') / 'joint.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return str(path)


def test_task_configs_switch_only_task_settings(checkpoint, toy_root,
                                                tmp_path):
    cfgs = {t: task_config(JOINT, t, checkpoint, str(toy_root), None,
                           str(tmp_path))
            for t in ('vis', 'vps', 'davis', 'burst', 'burst-mask')}
    assert {c.load_from for c in cfgs.values()} == {checkpoint}
    # the same network: every task config builds the joint model
    base = {k: v for k, v in cfgs['vis'].model.items()
            if k not in ('task', 'dataset_name', 'test_cfg')}
    for cfg in cfgs.values():
        assert {k: v for k, v in cfg.model.items()
                if k not in ('task', 'dataset_name', 'test_cfg')} == base
    assert [cfgs[t].model.get('task', 'vis') for t in cfgs] == [
        'vis', 'vps', 'vos', 'pet', 'vos']
    assert cfgs['vis'].model.test_cfg.linker.type == 'TarViSVISLinker'
    assert cfgs['vps'].model.test_cfg.linker.type == 'TarViSVPSAssembler'
    assert cfgs['vps'].model.dataset_name == 'TOY_KITTI_STEP'
    assert cfgs['davis'].test_evaluator.objects_from == 'first_appearance'
    assert cfgs['davis'].test_dataloader.dataset.data_root == osp.join(
        str(toy_root), 'davis/DAVIS')
    for cfg in cfgs.values():  # no training pieces left
        assert cfg.train_dataloader is None and cfg.custom_hooks == []
    cfg = Config.fromfile(JOINT)
    del cfg.task_tests['davis']
    bad = tmp_path / 'bad.py'
    cfg.dump(str(bad))
    with pytest.raises(KeyError, match="task_tests has no 'davis'"):
        task_config(str(bad), 'davis', checkpoint, str(toy_root), None,
                    str(tmp_path))


def test_missing_heldout_names_the_command(checkpoint, toy_root, tmp_path,
                                           capsys):
    rc = main([checkpoint, '--config', JOINT, '--toy-root', str(toy_root),
               '--heldout',
               str(tmp_path / 'none'), '--tasks', 'vis-heldout',
               '--work-dir', str(tmp_path)])
    assert rc == 2
    assert 'make_toy_heldout.py --seeds 1 2' in capsys.readouterr().err


def test_one_checkpoint_four_tasks(checkpoint, toy_root, tmp_path, capsys):
    heldout = tmp_path / 'ho'
    make_heldout(str(heldout), [1], preset='tiny')
    tasks = ['vis', 'vis-heldout', 'vps', 'davis', 'burst']
    rc = main([checkpoint, '--config', JOINT, '--toy-root', str(toy_root),
               '--heldout',
               str(heldout), '--max-videos', '1', '--tasks', *tasks,
               '--work-dir', str(tmp_path / 'out')])
    assert rc == 0
    with open(tmp_path / 'out' / 'scores.json') as f:
        scores = json.load(f)
    assert scores['checkpoint'] == checkpoint
    assert list(scores['tasks']) == tasks
    printed = capsys.readouterr().out
    for task in tasks:
        res = scores['tasks'][task]
        assert res['cpu_s'] > 0 and res['wall_s'] > 0
        for key in HEADLINE[task]:
            assert key in res['metrics'] and key in printed, (task, key)
        # tiny preset: 5-frame videos, so VPQ's 6- / 8-frame windows (and
        # their mean) are NaN; the 1-frame window is defined
        keys = [k for k in HEADLINE[task] if k != 'vpq/VPQ'] + (
            ['vpq/VPQ_nframes1'] if task == 'vps' else [])
        for key in keys:
            top = 100 if key.startswith(('vpq/', 'burst/')) else 1
            assert 0 <= res['metrics'][key] <= top, (task, key)
