# Copyright (c) mmvidseg contributors. All rights reserved.
"""ReferMetric (A2D / JHMDB) against the functional referring metrics."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData
from pycocotools import mask as mask_utils

from mmvidseg.structures.masks import encode_mask as rle
from mmvidseg.evaluation.functional.refer import refer_a2d_metrics
from mmvidseg.evaluation.metrics import ReferMetric

from ._refer_samples import H, W, blob, frame, run


def test_refer_metric_gt_as_prediction_with_track_data_samples():
    rng = np.random.default_rng(0)
    samples = []
    for vid in range(2):
        track = TrackDataSample()
        frames = []
        for fid in range(3):
            gt = blob(rng)
            ds = DetDataSample(metainfo=dict(
                video_id=vid, exp_id=0, frame_id=fid, ori_shape=(H, W)))
            ds.gt_instances = InstanceData(
                masks=torch.from_numpy(gt[None]),
                labels=torch.zeros(1, dtype=torch.long))
            ds.pred_instances = InstanceData(
                masks=torch.from_numpy(np.stack([gt, blob(rng)])),
                scores=torch.tensor([0.9, 0.2]))
            frames.append(ds)
        track.video_data_samples = frames
        samples.append(track)
    out = run(ReferMetric(), samples)
    assert out['mAP'] == pytest.approx(1.0) and out['AP50'] == 1.0
    assert out['P@0.9'] == 1.0
    assert out['overall_iou'] == 1.0 and out['mean_iou'] == 1.0


def test_refer_metric_equals_functional_on_random_case():
    rng = np.random.default_rng(1)
    samples, gt, preds = [], dict(images=[], annotations=[], categories=[
        dict(id=1, name='object')]), []
    for vid in range(3):
        for exp in range(2):
            frames = []
            for fid in range(4):
                g = blob(rng)
                q = [g if rng.random() < .5 else blob(rng)] + [
                    blob(rng) for _ in range(2)]
                s = rng.random(3).round(3).tolist()
                annotated = fid != 2  # frame 2 has no ground truth
                frames.append(frame(vid, exp, fid, np.stack(q), s,
                                    g if annotated else None))
                if not annotated:
                    continue
                image_id = f'v_{vid}_f_{fid}_i_{exp}'
                gt['images'].append(dict(id=image_id, height=H, width=W))
                gt['annotations'].append(dict(
                    id=len(gt['annotations']) + 1, image_id=image_id,
                    category_id=1, iscrowd=0, segmentation=rle(g),
                    area=float(g.sum()),
                    bbox=mask_utils.toBbox(rle(g)).tolist()))
                preds += [dict(image_id=image_id, category_id=1,
                               segmentation=rle(m), score=float(np.float32(
                                   sc))) for m, sc in zip(q, s)]
            samples.append(dict(video_data_samples=frames))
    out = run(ReferMetric(), samples)
    ref = refer_a2d_metrics(gt, preds)
    assert out == ref
    assert 0 < out['mAP'] < 1


def test_refer_metric_names_missing_exp_id():
    f = frame(0, 0, 0, np.zeros((1, H, W)), [0.5], np.ones((H, W), bool))
    del f['exp_id']
    with pytest.raises(KeyError, match='exp_id'):
        ReferMetric().process({}, [f])


def test_refer_metric_metainfo_gt_track_instances_and_duplicates():
    rng = np.random.default_rng(6)
    g = blob(rng)
    f = frame(0, 0, 0, np.stack([g, blob(rng)]), [0.4, 0.6])
    f['pred_track_instances'] = f.pop('pred_instances')
    f['instances'] = [dict(mask=rle(g), bbox_label=0)]  # RLE in metainfo
    out = run(ReferMetric(), [f, dict(f)])  # the copy = distributed padding
    # one image; top score is the wrong mask: IoU 0 -> P@0.5 = 0
    assert out['P@0.5'] == 0.0
    assert out['mAP'] == pytest.approx(refer_a2d_metrics(
        dict(images=[dict(id='v_0_f_0_i_0', height=H, width=W)],
             annotations=[dict(id=1, image_id='v_0_f_0_i_0', category_id=1,
                               iscrowd=0, segmentation=rle(g),
                               area=float(g.sum()),
                               bbox=mask_utils.toBbox(rle(g)).tolist())],
             categories=[dict(id=1, name='object')]),
        [dict(image_id='v_0_f_0_i_0', category_id=1, segmentation=rle(m),
              score=float(np.float32(s)))
         for m, s in zip(f['pred_track_instances']['masks'].numpy(),
                         (0.4, 0.6))])['mAP'], abs=0)
