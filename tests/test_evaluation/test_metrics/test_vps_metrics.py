# Copyright (c) mmvidseg contributors. All rights reserved.
"""STQMetric / VPQMetric adapters on hand-built data samples."""
import argparse
import json

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import PixelData

from mmvidseg.evaluation.functional.panoptic_io import (read_rgb_png, rgb2id,
                                                         write_panoptic_frame)
from mmvidseg.evaluation.functional.stq import STQuality
from mmvidseg.evaluation.functional.vpq import compute_vpq, frame_stats
from mmvidseg.evaluation.metrics import STQMetric, VPQMetric
from mmvidseg.evaluation.offline import vpq as vpq_offline

NUM_CLASSES, THINGS, DIV = 4, [2, 3], 1000  # labels 0, 1 stuff; 2, 3 thing
META = dict(classes=('road', 'sky', 'car', 'person'),
            thing_classes=('car', 'person'))


def _random_video(rng, frames=4, h=6, w=7, void=True):
    """(T, H, W) labels and instance ids (things 1..3, stuff 0)."""
    label = rng.integers(0, NUM_CLASSES, (frames, h, w))
    inst = np.where(np.isin(label, THINGS), rng.integers(1, 4, label.shape),
                    0)
    if void:
        label[rng.random(label.shape) < 0.1] = 255
        inst[label == 255] = 0
    return label, inst


def _perturb(rng, label, inst):
    label, inst = label.copy(), inst.copy()
    flip = rng.random(label.shape) < 0.2
    label[flip] = rng.integers(0, NUM_CLASSES, int(flip.sum()))
    inst = np.where(np.isin(label, THINGS),
                    np.where(rng.random(label.shape) < 0.8, inst, 7), 0)
    inst[np.isin(label, THINGS) & (inst == 0)] = 5
    return label, inst


def _pan(label, inst):
    return torch.from_numpy(label + inst * DIV)[None]  # (1, H, W)


def _samples(vid, gt, pred, as_track=True):
    frames = []
    for t in range(len(gt[0])):
        s = DetDataSample(metainfo=dict(
            video_id=vid, frame_id=t, ori_shape=gt[0].shape[1:],
            img_path=f'/data/{vid}/{t:05d}.jpg'))
        s.pred_panoptic_seg = PixelData(sem_seg=_pan(pred[0][t], pred[1][t]))
        s.gt_panoptic_seg = PixelData(sem_seg=_pan(gt[0][t], gt[1][t]))
        frames.append(s)
    if as_track:
        return [TrackDataSample(video_data_samples=frames)]
    return frames


def _run(metric, videos):
    metric.dataset_meta = META
    for vid, gt, pred, as_track in videos:
        metric.process({}, _samples(vid, gt, pred, as_track))
    return metric.evaluate(size=len(metric.results))


def _stq_reference(videos):
    stq = STQuality(NUM_CLASSES, THINGS, 255, 16, 1 << 24)
    for vid, gt, pred, _ in videos:
        for t in range(len(gt[0])):
            y = [(np.where(lab == 255, 255, lab) << 16) + ins
                 for lab, ins in ((gt[0][t], gt[1][t]),
                                  (pred[0][t], pred[1][t]))]
            stq.update(y[0], y[1], vid)
    return stq.result()


def test_stq_metric_gt_as_prediction_and_random(tmp_path):
    rng = np.random.default_rng(0)
    gt_a, gt_b = _random_video(rng), _random_video(rng, frames=3)
    res = _run(STQMetric(), [('a', gt_a, gt_a, True),
                             ('b', gt_b, gt_b, False)])
    assert res == {'stq/STQ': 1.0, 'stq/AQ': 1.0, 'stq/SQ': 1.0}
    videos = [('a', gt_a, _perturb(rng, *gt_a), True),
              ('b', gt_b, _perturb(rng, *gt_b), False)]
    metric = STQMetric(outfile_prefix=str(tmp_path / 'kitti'))
    res = _run(metric, videos)
    ref = _stq_reference(videos)
    assert 0 < res['stq/STQ'] < 1
    for key, ref_key in (('STQ', 'STQ'), ('AQ', 'AQ'), ('SQ', 'IoU')):
        assert res[f'stq/{key}'] == pytest.approx(ref[ref_key], abs=1e-12)
    # KITTI-STEP PNG: R = label (255 void), G * 256 + B = instance
    rgb = read_rgb_png(str(tmp_path / 'kitti' / 'b' / '00002.png'))
    label, inst = videos[1][2][0][2], videos[1][2][1][2]
    assert (rgb[..., 0] == label).all()
    assert (rgb[..., 1].astype(int) * 256 + rgb[..., 2] == inst).all()


def _vpq_reference(videos):
    cats = {c: dict(id=c, isthing=int(c in THINGS))
            for c in range(NUM_CLASSES)}
    stats = {}
    for vid, gt, pred, _ in videos:
        stats[vid] = []
        for t in range(len(gt[0])):
            maps, infos = [], []
            for lab, ins, crowd in ((gt[0][t], gt[1][t], True),
                                    (pred[0][t], pred[1][t], False)):
                ids = np.where(lab == 255, 0, lab * 100 + ins + 1)
                info = [dict(id=int(i), category_id=int((i - 1) // 100),
                             iscrowd=int(crowd and (i - 1) // 100 in THINGS
                                         and (i - 1) % 100 == 0))
                        for i in np.unique(ids) if i]
                maps.append(ids)
                infos.append(info)
            stats[vid].append(frame_stats(maps[0], maps[1], infos[0],
                                          infos[1], cats))
    return compute_vpq(stats, cats, 'vipseg')


def test_vpq_metric_gt_as_prediction_and_random(tmp_path):
    rng = np.random.default_rng(1)
    gt_a, gt_b = _random_video(rng, frames=8), _random_video(rng, frames=3)
    res = _run(VPQMetric(), [('a', gt_a, gt_a, True),
                             ('b', gt_b, gt_b, False)])
    assert res['vpq/VPQ'] == pytest.approx(100.0)
    assert res['vpq/VPQ_nframes8_thing'] == pytest.approx(100.0)
    short = _run(VPQMetric(window_convention='cityscapes_vps'),
                 [('b', gt_b, gt_b, False)])
    assert short['vpq/VPQ_k10'] == pytest.approx(100.0)
    assert np.isnan(short['vpq/VPQ_k15'])  # no 4-frame window (upstream
    # raises ZeroDivisionError)
    videos = [('a', gt_a, _perturb(rng, *gt_a), True),
              ('b', gt_b, _perturb(rng, *gt_b), False)]
    res = _run(VPQMetric(outfile_prefix=str(tmp_path / 'sub')), videos)
    ref = _vpq_reference(videos)
    assert 0 < res['vpq/VPQ'] < 100
    for key in ('VPQ', 'VPQ_thing', 'VPQ_stuff', 'VPQ_nframes2'):
        assert res[f'vpq/{key}'] == pytest.approx(ref[key], abs=1e-9)
    # the written VIPSeg submission scores the same offline
    gt_json = dict(categories=[dict(id=c, isthing=int(c in THINGS))
                               for c in range(NUM_CLASSES)],
                   videos=[], annotations=[])
    for vid, gt, _, _ in videos:
        names = [f'{t:05d}.png' for t in range(len(gt[0]))]
        gt_json['videos'].append(dict(video_id=vid, images=[
            dict(file_name=n) for n in names]))
        anns = []
        for t, name in enumerate(names):
            lab, ins = gt[0][t], gt[1][t]
            ids = np.where(lab == 255, 0, lab * 100 + ins + 1)
            ann = write_panoptic_frame(str(tmp_path / 'gt' / vid), name, ids,
                                       {int(i): int((i - 1) // 100)
                                        for i in np.unique(ids) if i})
            for seg in ann['segments_info']:
                c, i = divmod(seg['id'] - 1, 100)
                seg['iscrowd'] = int(c in THINGS and i == 0)
            anns.append(ann)
        gt_json['annotations'].append(dict(video_id=vid, annotations=anns))
    with open(tmp_path / 'gt.json', 'w') as f:
        json.dump(gt_json, f)
    offline = vpq_offline.evaluate(
        str(tmp_path / 'gt'), str(tmp_path / 'sub'),
        argparse.Namespace(gt_json=str(tmp_path / 'gt.json'),
                           vpq_format='vipseg', window=None))
    assert offline['VPQ'] == pytest.approx(res['vpq/VPQ'], abs=1e-9)
    with open(tmp_path / 'sub' / 'pred.json') as f:
        pred_json = json.load(f)
    assert [a['video_id'] for a in pred_json['annotations']] == ['a', 'b']
    png = rgb2id(read_rgb_png(str(tmp_path / 'sub' / 'pan_pred' / 'a' /
                                  '00001.png')))
    assert set(np.unique(png).tolist()) - {0} == {
        s['id'] for s in pred_json['annotations'][0]['annotations'][1]
        ['segments_info']}


def test_vps_metric_bad_input():
    rng = np.random.default_rng(2)
    gt = _random_video(rng, frames=1)
    metric = VPQMetric()
    metric.dataset_meta = META
    samples = _samples('v', gt, gt, as_track=False)
    samples[0].gt_panoptic_seg = PixelData(
        sem_seg=torch.zeros(1, 3, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="video 'v' frame 0"):
        metric.process({}, samples)
    metric = STQMetric()
    with pytest.raises(ValueError, match='needs num_classes'):
        metric.process({}, _samples('v', gt, gt))
    metric.dataset_meta = dict(classes=META['classes'])
    with pytest.raises(ValueError, match='thing classes'):
        metric.process({}, _samples('v', gt, gt))
    metric.dataset_meta = META
    sample = _samples('v', gt, gt, as_track=False)[0]
    del sample.pred_panoptic_seg
    with pytest.raises(KeyError, match='pred_panoptic_seg'):
        metric.process({}, [sample])
    with pytest.raises(ValueError, match='window_convention'):
        VPQMetric(window_convention='k5')
