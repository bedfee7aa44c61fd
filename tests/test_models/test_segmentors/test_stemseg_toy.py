# Copyright (c) mmvidseg contributors. All rights reserved.
"""The tiny toy config trains on the tiny toy data (loss goes down) and
predicts whole toy videos."""
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper

from mmvidseg.registry import DATASETS, MODELS
from mmvidseg.testing import REPO_ROOT
from mmvidseg.utils import register_all_modules

CONFIG = osp.join(REPO_ROOT, 'configs', 'stemseg',
                  'stemseg_r18-b16-tiny_1xb2-2400i_toy-ytvis.py')


def _cfg(toy_ytvis_root):
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    for name in ('train_dataloader', 'test_dataloader'):
        cfg[name].dataset.data_root = str(toy_ytvis_root) + '/'
    return cfg


def test_tiny_config_loss_decreases(toy_ytvis_root):
    cfg = _cfg(toy_ytvis_root)
    torch.manual_seed(0)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    model = MODELS.build(cfg.model)
    model.train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    # the tiny preset has 64x64 frames: a multiple of 32, zero-padded to
    # 96x96 inside the model (the decoders need a 3x3 map at stride 32)
    batch = pseudo_collate([dataset[0], dataset[1]])
    totals = []
    for _ in range(15):
        data = model.data_preprocessor(batch, True)
        assert data['inputs'].shape == (2, 4, 3, 64, 64)
        padded = model.pad_to_min_size(data['inputs'])  # done in loss()
        assert padded.shape == (2, 4, 3, 96, 96)
        assert padded[..., 64:, :].abs().sum() == 0
        losses = model.loss(**data)
        total = sum(losses.values())
        optim.update_params(total)
        totals.append(float(total.detach()))
    assert all(torch.isfinite(torch.tensor(totals)))
    first, last = totals[0], sum(totals[-3:]) / 3
    assert last < 0.8 * first, totals


def test_tiny_config_predicts_toy_video(toy_ytvis_root):
    cfg = _cfg(toy_ytvis_root)
    torch.manual_seed(0)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    model = MODELS.build(cfg.model)
    model.eval()
    # accept every foreground pixel and seed: an untrained model still
    # yields tracks
    model.test_cfg.fg_thr = 0.0
    model.test_cfg.min_seediness_prob = 0.0
    batch = pseudo_collate([dataset[0]])
    with torch.no_grad():
        out = model.test_step(batch)[0]
    frames = list(out)
    num_frames = dataset.get_data_info(0)['video_length']
    assert len(frames) == num_frames == 5
    ids = frames[0].pred_track_instances.instances_id
    assert 1 <= len(ids) <= model.test_cfg.max_tracks
    for f in frames:
        inst = f.pred_track_instances
        assert inst.masks.shape == (len(ids), 64, 64)
        assert torch.equal(inst.instances_id, ids)


def test_toy_davis_config_writes_named_pngs(toy_root, tmp_path):
    """The DAVIS test config: DAVISDataset -> STEm-Seg ('davis' output) ->
    DAVISMetric writes <sequence>/<frame>.png and scores J&F."""
    from mmvidseg.evaluation.functional.davis_io import read_png_ids
    from mmvidseg.registry import METRICS
    register_all_modules()
    cfg = Config.fromfile(CONFIG.replace('1xb2-2400i_toy-ytvis',
                                         'toy-ytvis-test-davis'))
    cfg.test_dataloader.dataset.data_root = str(toy_root / 'davis/DAVIS')
    cfg.test_evaluator.outfile_prefix = str(tmp_path / 'results')
    torch.manual_seed(0)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    model = MODELS.build(cfg.model)
    model.eval()
    model.test_cfg.fg_thr = 0.0
    model.test_cfg.min_seediness_prob = 0.0
    metric = METRICS.build(cfg.test_evaluator)
    metric.dataset_meta = dataset.metainfo
    with torch.no_grad():
        for i in range(len(dataset)):
            batch = pseudo_collate([dataset[i]])
            metric.process(batch, model.test_step(batch))
    scores = metric.compute_metrics(metric.results)
    assert 0.0 <= scores['J&F-Mean'] <= 1.0
    name = dataset.get_data_info(0)['video_name']
    ids = read_png_ids(str(tmp_path / 'results' / name / '00000.png'))
    assert ids.shape == (64, 64) and 1 <= ids.max() <= 20
    assert (tmp_path / 'results' / 'submission.zip').is_file()
