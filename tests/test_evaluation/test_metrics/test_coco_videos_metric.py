# Copyright (c) mmvidseg contributors. All rights reserved.
"""COCOVideosMetric against the functional COCO-Videos metrics."""
import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from mmvidseg.structures.masks import encode_mask as rle
from mmvidseg.evaluation.functional.coco_videos import (coco_videos_summary,
                                                        frame_mask_ap,
                                                        frame_pq)
from mmvidseg.evaluation.metrics import COCOVideosMetric

H, W = 20, 28


def blob(rng):
    m = np.zeros((H, W), bool)
    y, x = rng.integers(0, H - 6), rng.integers(0, W - 6)
    m[y:y + rng.integers(3, 8), x:x + rng.integers(3, 10)] = True
    return m


def inst_frame(vid, fid, gt, gt_labels, pred, scores, labels):
    return dict(
        video_id=vid, frame_id=fid, ori_shape=(H, W),
        gt_instances=dict(masks=torch.from_numpy(np.stack(gt)),
                          labels=torch.tensor(gt_labels)),
        pred_instances=dict(masks=torch.from_numpy(np.stack(pred)),
                            scores=torch.tensor(scores, dtype=torch.float64),
                            labels=torch.tensor(labels)))


def run(metric, samples):
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)


def test_instance_gt_as_prediction_is_100():
    rng = np.random.default_rng(0)
    samples = []
    for vid in ('bangkok', 'bar'):
        frames = []
        for fid in range(2 + (vid == 'bar')):
            gt = [blob(rng), blob(rng)]
            frames.append(inst_frame(vid, fid, gt, [0, 2], gt, [.9, .8],
                                     [0, 2]))
        samples.append(dict(video_data_samples=frames))
    out = run(COCOVideosMetric(), samples)
    # COCO precision is tp / (tp + fp + eps): 100 up to 1e-13
    assert set(out) == {'overall', 'bangkok', 'bar'}
    for value in out.values():
        assert value == pytest.approx(100.0, abs=1e-9)


def test_instance_equals_functional_frame_weighted():
    rng = np.random.default_rng(1)
    samples, per_video = [], {}
    for vid, num in (('a', 2), ('b', 3)):
        frames, gt = [], dict(images=[], annotations=[], categories=[
            dict(id=c, name=str(c)) for c in (1, 2)])
        preds = []
        for fid in range(num):
            g = [blob(rng) for _ in range(2)]
            p = [g[0], blob(rng), g[1] if rng.random() < .5 else blob(rng)]
            s = rng.random(3).round(3).tolist()
            frames.append(inst_frame(vid, fid, g, [0, 1], p, s, [0, 1, 1]))
            gt['images'].append(dict(id=fid, height=H, width=W))
            for m, lab in zip(g, (0, 1)):
                gt['annotations'].append(dict(
                    id=len(gt['annotations']) + 1, image_id=fid,
                    category_id=lab + 1, iscrowd=0, segmentation=rle(m),
                    area=float(m.sum()), bbox=mask_utils.toBbox(
                        rle(m)).tolist()))
            preds += [dict(image_id=fid, category_id=lab + 1,
                           segmentation=rle(m), score=sc)
                      for m, sc, lab in zip(p, s, (0, 1, 1))]
        samples.append(dict(video_data_samples=frames))
        per_video[vid] = list(frame_mask_ap(gt, preds).values())
    out = run(COCOVideosMetric(), samples)
    ref = coco_videos_summary(per_video)
    assert out['overall'] == ref['overall']
    assert out['a'] == ref['per_video']['a'] and 0 < out['a'] < 100
    assert ref['overall'] == pytest.approx(
        (2 * ref['per_video']['a'] + 3 * ref['per_video']['b']) / 5)


def pan_frame(vid, fid, gt_map, pred_map):
    return dict(video_id=vid, frame_id=fid, ori_shape=(H, W),
                gt_panoptic_seg=dict(sem_seg=torch.from_numpy(gt_map[None])),
                pred_panoptic_seg=dict(
                    sem_seg=torch.from_numpy(pred_map[None])))


def test_panoptic_gt_as_prediction_and_functional_equality():
    # classes 0 (thing), 1, 2 (stuff); encoding label + instance * 1000
    gt = np.full((H, W), 1, np.int64)
    gt[10:, :] = 2
    gt[2:8, 3:9] = 0 + 1 * 1000
    gt[12:18, 15:25] = 0 + 2 * 1000
    gt[0, 0] = 255  # void
    metric = COCOVideosMetric(task='panoptic', num_classes=3, num_things=1)
    assert run(metric, [pan_frame('v', 0, gt, gt)]) == {'overall': 100.0,
                                                        'v': 100.0}
    pred = gt.copy()
    pred[12:18, 15:25] = 2  # second thing missed, painted as stuff 2
    pred[:, :4] = 1
    out = run(COCOVideosMetric(task='panoptic', num_classes=3, num_things=1),
              [pan_frame('v', 0, gt, pred)])

    def ids(m):
        seg = np.zeros(m.shape, np.int64)
        info = []
        for k, code in enumerate(np.unique(m[m != 255]).tolist()):
            seg[m == code] = k + 1
            info.append(dict(id=k + 1, category_id=code % 1000, iscrowd=0))
        return seg, info

    (g, gi), (p, pi) = ids(gt), ids(pred)
    cats = {c: dict(id=c, isthing=int(c < 1)) for c in range(3)}
    ref = frame_pq(g, p, gi, pi, cats)
    assert out['overall'] == pytest.approx(ref, abs=1e-12) and ref < 100


def test_instance_needs_labels():
    f = inst_frame('v', 0, [np.ones((H, W), bool)], [0],
                   [np.ones((H, W), bool)], [1.], [0])
    del f['pred_instances']['labels']
    with pytest.raises(KeyError, match='labels'):
        COCOVideosMetric().process({}, [f])
