# Copyright (c) mmvidseg contributors. All rights reserved.
"""KITTIMOTSMetric / BURSTHOTAMetric (BURST) adapters on hand-built samples."""
import json

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData

from mmvidseg.structures.masks import encode_mask
from mmvidseg.evaluation.functional.burst import evaluate_burst
from mmvidseg.evaluation.functional.mots import evaluate_mots
from mmvidseg.evaluation.functional.mots_hota import evaluate_mots_hota
from mmvidseg.evaluation.functional.panoptic_io import read_mots_txt
from mmvidseg.evaluation.metrics import BURSTHOTAMetric, KITTIMOTSMetric

H, W = 8, 10


def _tracks(rng, frames, n=3, shift=0):
    """Per frame ``{track id: (label, mask)}``, masks never overlap."""
    labels = {k: int(rng.integers(0, 2)) for k in range(1, n + 1)}
    out = []
    for _ in range(frames):
        lab = np.zeros((H, W), int)
        for k in labels:
            if rng.random() < 0.25:
                continue
            y, x = rng.integers(0, H - 2), rng.integers(0, W - 2)
            dy, dx = int(rng.integers(2, 5)), int(rng.integers(2, 6))
            lab[y:y + dy, x:x + dx] = k
        lab = np.roll(lab, shift, axis=1)
        out.append({k: (labels[k], lab == k) for k in np.unique(lab).tolist()
                    if k})
    return out


def _instances(frame, with_ids=True):
    ids = sorted(frame)
    masks = np.stack([frame[k][1] for k in ids]) if ids else np.zeros(
        (0, H, W), bool)
    data = InstanceData(masks=torch.from_numpy(masks),
                        labels=torch.tensor([frame[k][0] for k in ids],
                                            dtype=torch.long))
    if with_ids:
        data.instances_id = torch.tensor(ids, dtype=torch.long)
    return data


def _samples(vid, gt, pred, as_track, ignore=None):
    frames = []
    for t, (g, p) in enumerate(zip(gt, pred)):
        s = DetDataSample(metainfo=dict(
            video_id=vid, frame_id=t, ori_shape=(H, W),
            img_path=f'/data/{vid}/frame{30 * t:04d}.jpg'))
        inst = _instances(p)
        inst.scores = torch.linspace(1, 0.5, len(p))
        s.pred_track_instances = inst
        if as_track:
            s.gt_instances = _instances(g)
        else:  # annotation dicts in the metainfo
            s.set_metainfo(dict(instances=[
                dict(instance_id=k, bbox_label=lab, mask=encode_mask(m),
                     ignore_flag=0) for k, (lab, m) in g.items()] + (
                         [dict(instance_id=99, bbox_label=0,
                               mask=encode_mask(ignore), ignore_flag=1)]
                         if ignore is not None else [])))
        frames.append(s)
    return [TrackDataSample(video_data_samples=frames)] if as_track \
        else frames


def _run(metric, videos):
    for args in videos:
        metric.process({}, _samples(*args))
    return metric.evaluate(size=len(metric.results))


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


def _burst_json(videos, category_ids):
    gt = dict(split='val', sequences=[])
    for n, (vid, frames) in enumerate(videos):
        cats = {str(k): category_ids[lab] for f in frames
                for k, (lab, _) in f.items()}
        gt['sequences'].append(dict(
            id=n + 1, width=W, height=H, seq_name=vid, dataset='mmvidseg',
            annotated_image_paths=[f'frame{30 * t:04d}.jpg'
                                   for t in range(len(frames))],
            neg_category_ids=[], not_exhaustive_category_ids=[],
            track_category_ids=cats, segmentations=[
                {str(k): dict(rle=encode_mask(m)['counts'])
                 for k, (_, m) in f.items()} for f in frames]))
    return gt


def test_burst_hota_metric_gt_as_prediction_and_random(tmp_path):
    rng = np.random.default_rng(1)
    gt_a, gt_b = _tracks(rng, 4), _tracks(rng, 3)
    cats = [4, 13]  # both 'common' BURST categories
    res = _run(BURSTHOTAMetric(category_ids=cats), [('a', gt_a, gt_a, True),
                                               ('b', gt_b, gt_b, False)])
    assert res['burst/HOTA_all'] == pytest.approx(100.0)
    assert res['burst/AssA_common'] == pytest.approx(100.0)
    assert np.isnan(res['burst/HOTA_uncommon'])
    pred_a, pred_b = _tracks(rng, 4, shift=1), _tracks(rng, 3, n=4)
    metric = BURSTHOTAMetric(category_ids=cats,
                        outfile_prefix=str(tmp_path / 'burst'))
    res = _run(metric, [('a', gt_a, pred_a, True),
                        ('b', gt_b, pred_b, False)])
    gt = _burst_json([('a', gt_a), ('b', gt_b)], cats)
    pred = _burst_json([('a', pred_a), ('b', pred_b)], cats)
    ref = evaluate_burst(gt, pred)
    assert 0 < res['burst/HOTA_all'] < 100
    for key in ('HOTA_all', 'DetA_all', 'AssA_common', 'LocA_all'):
        assert res[f'burst/{key}'] == pytest.approx(ref[key], abs=1e-9)
    with open(tmp_path / 'burst' / 'results.json') as f:
        written = json.load(f)
    assert evaluate_burst(gt, written)['HOTA_all'] == pytest.approx(
        ref['HOTA_all'], abs=1e-9)
    assert written['sequences'][0]['annotated_image_paths'][1] == \
        'frame0030.jpg'
