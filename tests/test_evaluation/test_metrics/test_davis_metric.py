# Copyright (c) mmvidseg contributors. All rights reserved.
"""DAVISMetric: id maps or instances in, PNGs + J&F out."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData, PixelData
from PIL import Image

from mmvidseg.evaluation.metrics import DAVISMetric


def _video(gt, pred_fn):
    frames = []
    for t, ids in enumerate(gt):
        sample = DetDataSample(metainfo=dict(
            video_id=0, video_name='dog', frame_id=t, video_length=len(gt),
            ori_shape=ids.shape, img_path=f'x/dog/{t:05d}.jpg'))
        sample.gt_sem_seg = PixelData(sem_seg=torch.from_numpy(ids[None]))
        pred_fn(sample, ids, t)
        frames.append(sample)
    track = TrackDataSample()
    track.video_data_samples = frames
    return [track.to_dict()]


def _as_sem_seg(sample, ids, t):
    sample.pred_sem_seg = PixelData(sem_seg=torch.from_numpy(
        np.where(ids == 255, 0, ids)[None]))


def _as_instances(sample, ids, t):
    inst = InstanceData()
    objs = [k for k in (1, 2) if (ids == k).any()]
    inst.masks = torch.from_numpy(np.stack([ids == k for k in objs]))
    inst.instances_id = torch.tensor(objs)
    inst.scores = torch.ones(len(objs))
    sample.pred_track_instances = inst


@pytest.mark.parametrize('pred_fn', [_as_sem_seg, _as_instances])
def test_gt_as_prediction(tmp_path, pred_fn):
    gt = np.zeros((4, 12, 16), np.uint8)
    gt[:, 1:5, 1:6] = 1
    gt[:, 6:11, 8:15] = 2
    gt[:, 0, :] = 255  # void row
    metric = DAVISMetric(outfile_prefix=str(tmp_path))
    metric.dataset_meta = {}
    metric.process({}, _video(gt, pred_fn))
    res = metric.evaluate(1)
    assert res['davis/J&F-Mean'] == 1.0 and res['davis/F-Decay'] == 0.0
    with Image.open(osp.join(tmp_path, 'dog', '00002.png')) as img:
        assert img.mode == 'P' and np.array(img).max() == 2
    assert osp.isfile(tmp_path / 'submission.zip')


def test_instances_ground_truth_with_void_and_global_ids():
    from pycocotools import mask as mask_utils

    def enc(m):
        return mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))

    frames = []
    for t in range(3):
        a = np.zeros((10, 10), bool)
        a[1:4, 1:4] = True
        b = np.zeros((10, 10), bool)
        b[5:9, 5:9] = True
        void = np.zeros((10, 10), bool)
        void[0, :] = True
        sample = DetDataSample(metainfo=dict(
            video_id=3, frame_id=t, video_length=3, ori_shape=(10, 10),
            instances=[dict(mask=enc(a), instance_id=41, ignore_flag=0),
                       dict(mask=enc(b), instance_id=42, ignore_flag=0),
                       dict(mask=enc(void), instance_id=99, ignore_flag=1)]))
        inst = InstanceData()
        inst.masks = torch.from_numpy(np.stack([b, a]))
        inst.instances_id = torch.tensor([42, 41])  # ground-truth ids
        inst.scores = torch.tensor([0.5, 0.9])
        sample.pred_track_instances = inst
        frames.append(sample)
    track = TrackDataSample()
    track.video_data_samples = frames
    metric = DAVISMetric(task='unsupervised')
    metric.dataset_meta = {}
    metric.process({}, [track.to_dict()])
    assert metric.evaluate(1)['davis/J&F-Mean'] == 1.0


def test_objects_from_first_appearance():
    """An object that enters late (toy DAVIS): an error under the official
    protocol, scored after its first frame with 'first_appearance'."""
    gt = np.zeros((5, 12, 16), np.uint8)
    gt[:, 1:5, 1:6] = 1
    gt[2:, 6:11, 8:15] = 2  # enters in frame 2
    results = {}
    for objects_from in ('first_frame', 'first_appearance'):
        metric = DAVISMetric(objects_from=objects_from)
        metric.dataset_meta = {}
        metric.process({}, _video(gt, _as_instances))
        try:
            results[objects_from] = metric.evaluate(1)
        except ValueError as e:
            results[objects_from] = str(e)
    assert 'id 2 is higher' in results['first_frame']
    assert results['first_appearance']['davis/J&F-Mean'] == 1.0
    with pytest.raises(ValueError, match="needs task='semi-supervised'"):
        DAVISMetric(task='unsupervised', objects_from='first_appearance')
