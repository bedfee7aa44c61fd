# Copyright (c) mmvidseg contributors. All rights reserved.
"""FrameMIoUMetric: per-frame records, per-video and per-split means."""
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import PixelData

from mmvidseg.evaluation.metrics import FrameMIoUMetric


def _sample(video, frame, split, gt, pred):
    s = DetDataSample(metainfo=dict(video_id=video, frame_id=frame,
                                    split=split))
    s.gt_sem_seg = PixelData(sem_seg=torch.tensor(gt)[None])
    s.pred_sem_seg = PixelData(sem_seg=torch.tensor(pred)[None])
    return s.to_dict()


def test_per_split_means():
    metric = FrameMIoUMetric(num_classes=2)
    metric.process(None, [_sample('0000', 0, 'train', [[0, 1]], [[0, 1]])])
    metric.process(None, [_sample('0000', 1, 'train', [[0, 1]], [[0, 0]])])
    metric.process(None, [_sample('0002', 0, 'val', [[1, 1]], [[1, 1]])])
    assert metric.results[1][0]['value'] == pytest.approx(25.0)
    out = metric.compute_metrics(metric.results)
    assert out['train/0000'] == pytest.approx(62.5)
    assert out['train/overall'] == pytest.approx(62.5)
    assert out['val/overall'] == pytest.approx(100.0)


def test_official_weights_need_known_sequences():
    metric = FrameMIoUMetric(num_classes=2, weights='official')
    metric.process(None, [_sample('x', 0, 'val', [[0]], [[0]])])
    with pytest.raises(KeyError, match='official length'):
        metric.compute_metrics(metric.results)
