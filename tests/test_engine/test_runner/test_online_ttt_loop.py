# Copyright (c) mmvidseg contributors. All rights reserved.
"""OnlineTTTLoop through a Runner; resume mid-video equals a full run."""
import copy
import json
import os.path as osp

import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner

from mmvidseg.datasets import KITTIStepStream
from mmvidseg.engine.runner import OnlineTTT, run_ttt_stream
from mmvidseg.evaluation.metrics import FrameMIoUMetric
from ._tiny_ttt import STREAM_PIPELINE, TinyTTTModel, write_stream


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one intra-op thread avoids oversubscription on a
    shared machine (2 threads were >10x slower under load)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)

TTT = dict(window_size=3, batch_size=4, accum_iter=2,
           augment=dict(type='lsj', scale_range=(0.5, 1.5),
                        crop_size=(32, 32)), seed=0)


def runner_for(tmp_path, root, mode='online', load_from=None, **loop):
    torch.manual_seed(0)
    return Runner(
        model=TinyTTTModel(), work_dir=str(tmp_path / 'work'),
        test_dataloader=dict(
            dataset=dict(type='KITTIStepStream', data_root=root,
                         splits=('train', ), pipeline=STREAM_PIPELINE),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=1, num_workers=0),
        test_evaluator=dict(type='FrameMIoUMetric', num_classes=3),
        test_cfg=dict(type='OnlineTTTLoop', mode=mode, ttt=TTT, **loop),
        load_from=load_from, default_scope='mmvidseg')


def test_loop_runs_all_videos_and_logs(tmp_path):
    root = write_stream(str(tmp_path / 'data'), num_frames=3)
    runner = runner_for(tmp_path, root)
    metrics = runner.test()
    assert set(metrics) >= {'ttt_semseg/train/overall',
                            'ttt_semseg/train/0000', 'ttt_semseg/train/0001'}
    log = osp.join(runner.work_dir, 'ttt_frames', '0001.jsonl')
    lines = [json.loads(x) for x in open(log)]
    assert [x['frame_id'] for x in lines] == [0, 1, 2]
    for x in lines:
        assert x['evaluated'] and 0 <= x['value'] <= 100
        assert x['ttt_time_s'] > 0 and x['peak_rss_mb'] > 0
    summary = json.load(open(osp.join(runner.work_dir, 'ttt_frames',
                                      'summary.json')))
    assert summary['mode'] == 'online'


def test_checkpoint_without_recon_head(tmp_path):
    root = write_stream(str(tmp_path / 'data'), num_frames=2, videos=('0000',))
    state = {k: v for k, v in TinyTTTModel().state_dict().items()
             if not k.startswith('recon_head.')}
    ckpt = str(tmp_path / 'seg_only.pth')
    torch.save(dict(state_dict=state), ckpt)
    with pytest.raises(ValueError, match='recon_head.*--mode frozen'):
        runner_for(tmp_path, root, load_from=ckpt).test()
    metrics = runner_for(tmp_path / 'f', root, mode='frozen',
                         load_from=ckpt).test()
    assert 'ttt_semseg/train/overall' in metrics


def _stream(root):
    return KITTIStepStream(data_root=root, splits=('train', ),
                           pipeline=STREAM_PIPELINE)


def _run(tmp_path, root, name, **kw):
    torch.manual_seed(0)
    model = TinyTTTModel()
    ev = Evaluator(FrameMIoUMetric(num_classes=3))
    out = run_ttt_stream(OnlineTTT(model, **TTT), _stream(root), ev,
                         str(tmp_path / name), str(tmp_path / 'state.pth'),
                         **kw)
    return model, out


def test_resume_mid_video_is_identical(tmp_path):
    root = write_stream(str(tmp_path / 'data'), num_frames=4)
    full_model, full = _run(tmp_path, root, 'full')
    # pre-empted after 6 frames (mid video 0001), state saved every frame
    _, part = _run(tmp_path, root, 'cut', checkpoint_interval=1,
                   stop_after=6)
    assert part == dict(frames=6) and osp.isfile(tmp_path / 'state.pth')
    res_model, resumed = _run(tmp_path, root, 'cut', checkpoint_interval=1,
                              resume=True)
    assert resumed['frames'] == 2
    assert {k: v for k, v in resumed.items() if k != 'frames'} == \
        {k: v for k, v in full.items() if k != 'frames'}
    for k, v in full_model.state_dict().items():
        assert torch.equal(v, res_model.state_dict()[k]), k
    for vid in ('0000', '0001'):
        a = [json.loads(x) for x in open(tmp_path / 'full' / f'{vid}.jsonl')]
        b = [json.loads(x) for x in open(tmp_path / 'cut' / f'{vid}.jsonl')]
        assert [(x['frame_id'], x['value'], x['loss_recon']) for x in a] == \
            [(x['frame_id'], x['value'], x['loss_recon']) for x in b]
    assert not osp.isfile(tmp_path / 'state.pth')  # finished


def test_stream_frames_of_different_sizes(tmp_path):
    root = write_stream(str(tmp_path / 'data'), num_frames=3,
                        videos=('0000', ), sizes={('0000', 2): (40, 48)})
    with pytest.raises(ValueError, match=r'frame 2 .*000002\.png.*differs'):
        _run(tmp_path, root, 'x')


def test_resume_with_another_stream_fails(tmp_path):
    root = write_stream(str(tmp_path / 'data'), num_frames=2)
    _run(tmp_path, root, 'cut', checkpoint_interval=1, stop_after=3)
    other = write_stream(str(tmp_path / 'other'), num_frames=2,
                         videos=('0005', '0006'))
    with pytest.raises(ValueError, match="video '0001'.*same dataset"):
        _run(tmp_path, other, 'cut', resume=True)
