# Copyright (c) mmvidseg contributors. All rights reserved.
"""OnlineTTT with the real Mask2FormerTTT (tiny toy config) on CPU, and
tools/test_ttt.py end to end on the toy KITTI-STEP layout."""
import json
import os.path as osp
import sys

import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config

from mmvidseg.engine.runner import OnlineTTT
from mmvidseg.registry import MODELS
from mmvidseg.testing import REPO_ROOT, config_path
from mmvidseg.utils import register_all_modules


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one intra-op thread avoids oversubscription on a
    shared machine (2 threads were >10x slower under load)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)

CONFIG = config_path('video_ttt/video-ttt_r18-b16-tiny_toy-ttt-semantic.py')


def _model():
    register_all_modules()
    torch.manual_seed(0)
    return MODELS.build(Config.fromfile(CONFIG).model)


def _batch(img):
    s = DetDataSample(metainfo=dict(ori_shape=(64, 64), img_shape=(64, 64),
                                    scale_factor=(1.0, 1.0)))
    return dict(inputs=[img], data_samples=[s])


def test_ttt_steps_change_mask2former_predictions():
    model = _model()
    ttt = OnlineTTT(model, window_size=4, batch_size=4, accum_iter=2,
                    lr=1e-3, augment=dict(type='lsj', scale_range=(0.8, 1.2),
                                          crop_size=(64, 64)))
    g = torch.Generator().manual_seed(0)
    frames = [torch.randint(0, 255, (3, 64, 64), generator=g,
                            dtype=torch.uint8) for _ in range(3)]

    def scores():  # the segmentation head's output on frame 0
        model.eval()
        with torch.no_grad():
            data = model.data_preprocessor(_batch(frames[0]), False)
            feats = model.extract_feat(data['inputs'])
            cls, masks = model.panoptic_head(feats, data['data_samples'])
        return masks[-1].clone()

    ttt.start_video('v')
    before = scores()
    seg_head = {k: v.clone() for k, v in model.panoptic_head.state_dict(
    ).items()}
    for t, f in enumerate(frames):
        ttt.push(f, t)
        assert ttt.step()['loss_recon'] > 0
    after = scores()
    assert (after - before).abs().max() > 1e-3  # through the shared backbone
    # the segmentation head gets no gradient from loss_recon: unchanged
    for k, v in model.panoptic_head.state_dict().items():
        assert torch.equal(v, seg_head[k]), k
    out = ttt.predict(_batch(frames[0]))[0]
    assert out.pred_sem_seg.sem_seg.shape == (1, 64, 64)


def test_test_ttt_tool(toy_root, tmp_path, monkeypatch):
    sys.path.insert(0, osp.join(REPO_ROOT, 'tools'))
    import test_ttt
    ckpt = str(tmp_path / 'init.pth')
    torch.save(dict(state_dict=_model().state_dict()), ckpt)
    monkeypatch.setattr(sys, 'argv', [
        'test_ttt.py', CONFIG, ckpt, '--mode', 'online', '--work-dir',
        str(tmp_path / 'work'), '--cfg-options',
        f'test_dataloader.dataset.data_root={toy_root}/kitti_step/',
        'test_cfg.ttt.batch_size=2',
        'test_cfg.ttt.accum_iter=1'])
    test_ttt.main()
    log = tmp_path / 'work' / 'online' / 'ttt_frames' / '0004.jsonl'
    recs = [json.loads(x) for x in open(log)]
    assert len(recs) == 5 and all('value' in r for r in recs)
    assert all(r['ttt_time_s'] > 0 for r in recs)
