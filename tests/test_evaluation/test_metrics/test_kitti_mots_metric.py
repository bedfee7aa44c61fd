# Copyright (c) mmvidseg contributors. All rights reserved.
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mmvidseg.structures.masks import encode_mask
from mmvidseg.evaluation.functional.mots import evaluate_mots
from mmvidseg.evaluation.functional.mots_hota import evaluate_mots_hota
from mmvidseg.evaluation.functional.panoptic_io import read_mots_txt
from mmvidseg.evaluation.metrics import KITTIMOTSMetric

from ._track_samples import H, W, _run, _samples, _tracks


def _mots_objects(frames, class_ids=(1, 2)):
    return {t: [dict(track_id=k, class_id=class_ids[lab], rle=encode_mask(m))
                for k, (lab, m) in f.items()] for t, f in enumerate(frames)}


def test_kitti_mots_metric_gt_as_prediction_and_random(tmp_path):
    rng = np.random.default_rng(0)
    gt_a, gt_b = _tracks(rng, 4), _tracks(rng, 3)
    res = _run(KITTIMOTSMetric(), [('a', gt_a, gt_a, True),
                                   ('b', gt_b, gt_b, False)])
    for cls in ('cars', 'pedestrians'):
        for key in ('sMOTSA', 'MOTSA', 'MOTSP', 'HOTA', 'DetA', 'AssA'):
            assert res[f'kitti_mots/{key}_{cls}'] == pytest.approx(1.0)
        assert res[f'kitti_mots/IDS_{cls}'] == 0
    pred_a, pred_b = _tracks(rng, 4, shift=1), _tracks(rng, 3, n=4)
    ignore = np.zeros((H, W), bool)
    ignore[:, -2:] = True
    metric = KITTIMOTSMetric(outfile_prefix=str(tmp_path / 'mots'))
    res = _run(metric, [('a', gt_a, pred_a, True),
                        ('b', gt_b, pred_b, False, ignore)])
    gt = {'a': _mots_objects(gt_a), 'b': _mots_objects(gt_b)}
    for t in gt['b']:
        gt['b'][t].append(dict(track_id=99, class_id=10,
                               rle=encode_mask(ignore)))
    pred = {'a': _mots_objects(pred_a), 'b': _mots_objects(pred_b)}
    frames = {'a': 3, 'b': 2}
    clear = evaluate_mots(gt, pred, frames)
    hota = evaluate_mots_hota(gt, pred, frames)
    for cls in ('cars', 'pedestrians'):
        for key in ('sMOTSA', 'MOTSA', 'MOTSP', 'IDS'):
            assert res[f'kitti_mots/{key}_{cls}'] == pytest.approx(
                clear[cls][key], abs=1e-12)
        for key in ('HOTA', 'DetA', 'AssA', 'LocA'):
            assert res[f'kitti_mots/{key}_{cls}'] == pytest.approx(
                hota[cls][key], abs=1e-12)
    assert res['kitti_mots/HOTA_cars'] < 1
    # the written txt files score the same
    written = {s: read_mots_txt(str(tmp_path / 'mots' / f'{s}.txt'))
               for s in ('a', 'b')}
    again = evaluate_mots(gt, written, frames)
    assert again['cars']['sMOTSA'] == clear['cars']['sMOTSA']


def test_kitti_mots_metric_overlaps_and_bad_input():
    mask = np.zeros((1, H, W), bool)
    mask[0, :4, :4] = True
    frame = {1: (0, mask[0]), 2: (0, mask[0])}  # two identical masks
    metric = KITTIMOTSMetric(metric='clear')
    metric.process({}, _samples('v', [{1: (0, mask[0])}], [frame], True))
    preds = metric.results[0][0]['pred']
    assert len(preds) == 1 and preds[0]['track_id'] == 1  # higher score
    bad = _samples('v', [{}], [{}], False)
    bad[0].pred_track_instances = InstanceData(
        masks=torch.zeros(1, H + 1, W, dtype=torch.bool),
        labels=torch.zeros(1, dtype=torch.long), scores=torch.ones(1),
        instances_id=torch.ones(1, dtype=torch.long))
    with pytest.raises(ValueError, match="video 'v' frame 0.*mask size"):
        metric.process({}, bad)
    with pytest.raises(KeyError, match='clear'):
        KITTIMOTSMetric(metric='smotsa')
