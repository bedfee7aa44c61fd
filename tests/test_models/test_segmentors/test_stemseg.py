# Copyright (c) mmvidseg contributors. All rights reserved.
import copy

import numpy as np
import pytest
import torch
from mmdet.structures import TrackDataSample

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

from ._stemseg_tiny import tiny_cfg, track_sample

register_all_modules()
T = 4


def test_loss_backward():
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg())
    losses = model.loss(torch.randn(1, T, 3, 96, 96),
                        [track_sample(T, with_gt=True)])
    assert set(losses) == {'loss_lovasz', 'loss_smoothness',
                           'loss_seediness', 'loss_semseg', 'loss_fg'}
    assert all(torch.isfinite(v) for v in losses.values())
    assert losses['loss_lovasz'] > 0
    sum(losses.values()).backward()
    assert model.embedding_head.conv_embedding.weight.grad.abs().sum() > 0
    # a clip without instances: the embedding losses are 0, no crash
    empty = track_sample(T, with_gt=True)
    for f in empty:
        f.gt_instances = f.gt_instances[:0]
    losses = model.loss(torch.randn(1, T, 3, 96, 96), [empty])
    assert losses['loss_lovasz'].item() == 0.
    with pytest.raises(ValueError, match='num_frames'):
        model.loss(torch.randn(1, 2, 3, 96, 96), [track_sample(2, True)])
    with pytest.raises(ValueError, match='multiple of 32'):
        model.loss(torch.randn(1, T, 3, 90, 96), [track_sample(T, True)])


def test_target_masks_downsampling():
    model = MODELS.build(tiny_cfg())
    masks = torch.zeros(1, 1, 8, 8, dtype=torch.bool)
    masks[..., 0:4, 0:4] = True  # covers pixels 1, 2 of the first cell
    masks[..., 4:6, 4:8] = True  # covers rows 4, 5 only: row 6 is off
    out = model.downsample_masks(masks)
    assert out.shape == (1, 1, 2, 2)
    assert out[0, 0].tolist() == [[True, False], [False, False]]


@pytest.mark.parametrize('semseg', [True, False])
def test_predict_outputs(semseg):
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg(semseg, min_seediness_prob=0.0,
                                  fg_thr=0.0, seediness_fg_thr=0.0))
    model.eval()
    res = model.predict(torch.randn(1, 6, 3, 96, 96), [track_sample(6)])
    frames = list(res[0])
    assert len(frames) == 6
    ids = frames[0].pred_track_instances.instances_id
    assert 1 <= len(ids) <= 10
    for f in frames:
        inst = f.pred_track_instances
        assert inst.masks.shape == (len(ids), 30, 31)
        assert inst.masks.dtype == torch.bool
        assert inst.bboxes.shape == (len(ids), 4)
        assert torch.equal(inst.instances_id, ids)
        assert inst.scores.max().item() == pytest.approx(1.0)
        assert int(inst.labels.max()) < (3 if semseg else 1)


def test_predict_clustering_impls_agree():
    torch.manual_seed(1)
    model = MODELS.build(tiny_cfg(min_seediness_prob=0.0, fg_thr=0.0))
    model.eval()
    video = torch.randn(1, 7, 3, 96, 96)
    out_fast = model.predict(video, [track_sample(7)])
    model.test_cfg.clustering = 'reference'
    out_ref = model.predict(video, [track_sample(7)])
    for a, b in zip(out_fast[0], out_ref[0]):
        assert torch.equal(a.pred_track_instances.masks,
                           b.pred_track_instances.masks)


@pytest.mark.parametrize('test_cfg', [
    dict(min_seediness_prob=1.5),  # no seed above the threshold
    dict(fg_thr=1.0),  # empty foreground
])
def test_predict_nothing_found(test_cfg):
    model = MODELS.build(tiny_cfg(**test_cfg))
    model.eval()
    res = model.predict(torch.randn(1, 5, 3, 96, 96), [track_sample(5)])
    for f in res[0]:
        inst = f.pred_track_instances
        assert inst.masks.shape == (0, 30, 31)
        assert len(inst.scores) == len(inst.labels) == 0


def test_seediness_source_check():
    cfg = tiny_cfg(semseg=False)
    cfg['embedding_head']['seediness_output'] = True
    with pytest.raises(ValueError, match='seediness'):
        MODELS.build(cfg)
    cfg = copy.deepcopy(tiny_cfg())
    cfg['embedding_loss']['embedding_mode'] = 'xyt'
    cfg['embedding_loss']['free_dim_stds'] = ()
    with pytest.raises(ValueError, match='embedding_mode'):
        MODELS.build(cfg)


def _predict_tracks():
    """A class-agnostic tiny model's output on a 6-frame video whose
    original size (120x120) passes the KITTI area filters."""
    torch.manual_seed(0)
    model = MODELS.build(tiny_cfg(False, min_seediness_prob=0.0, fg_thr=0.0,
                                  seediness_fg_thr=0.0))
    model.eval()
    sample = track_sample(6)
    for f in sample:
        f.set_metainfo(dict(ori_shape=(120, 120)))
    return list(model.predict(torch.randn(1, 6, 3, 96, 96), [sample])[0])


def test_reference_writers_are_the_evaluators_job():
    """DAVISMetric(pred_order='rank') and KITTIMOTSMetric(pred_format=
    'stemseg') reproduce the reference writers on the model's tracks."""
    from mmvidseg.evaluation.functional.stemseg_outputs import (
        davis_id_maps, kitti_mots_objects, kitti_mots_postprocess)
    from mmvidseg.evaluation.metrics import DAVISMetric
    from mmvidseg.evaluation.metrics.kitti_mots_metric import stemseg_objects
    frames = _predict_tracks()
    inst = [f.pred_track_instances for f in frames]
    assert all(i.instances_id.tolist() == inst[0].instances_id.tolist()
               for i in inst)  # the same tracks on every frame, rank order
    masks = torch.stack([i.masks for i in inst], 1).numpy()  # (K, T, H, W)
    assert len(masks) > 1
    metric = DAVISMetric(task='unsupervised', pred_order='rank')
    sample = TrackDataSample()
    sample.video_data_samples = frames
    metric.process({}, [sample])
    np.testing.assert_array_equal(metric.results[0]['pred'],
                                  davis_id_maps(masks, 20))
    lifetimes = inst[0].lifetimes.tolist()
    expected = kitti_mots_postprocess(kitti_mots_objects(
        masks, inst[0].instances_id.tolist(), inst[0].labels.tolist(), (1, ),
        lifetimes))
    assert sum(len(v) for v in expected.values()) > 0
    got = {t: stemseg_objects(f.to_dict(), (1, ), (120, 120))
           for t, f in enumerate(frames)}
    got = kitti_mots_postprocess({t: v for t, v in got.items() if v})
    assert sorted(got) == sorted(expected)
    for t in expected:
        assert [(d['track_id'], d['class_id'], d['rle']) for d in got[t]] == \
            [(d['track_id'], d['class_id'], d['rle']) for d in expected[t]]


def test_output_format_moved_to_the_evaluator():
    with pytest.raises(ValueError, match='moved to the evaluator'):
        MODELS.build(tiny_cfg(output_format='davis'))
