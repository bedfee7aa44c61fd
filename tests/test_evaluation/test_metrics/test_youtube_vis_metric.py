# Copyright (c) mmvidseg contributors. All rights reserved.
"""YouTubeVISMetric: mmdet-style data samples in, submission + exact AP out."""
import json
import os.path as osp
import zipfile

import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData

from mmvidseg.structures.masks import encode_mask as _rle
from mmvidseg.evaluation.metrics import YouTubeVISMetric

H, W = 12, 16


def _box(y0, y1, x0, x1):
    m = np.zeros((H, W), bool)
    m[y0:y1, x0:x1] = True
    return m


# video_id -> per frame, list of (instance_id, label, mask); 2 videos
VIDEOS = {
    3: [[(1, 0, _box(0, 4, 0, 4)), (2, 1, _box(6, 12, 6, 12))],
        [(1, 0, _box(1, 5, 1, 5))],
        [(1, 0, _box(2, 6, 2, 6)), (2, 1, _box(5, 11, 5, 11))]],
    8: [[(5, 2, _box(0, 3, 10, 16))], [(5, 2, _box(0, 3, 9, 15))]],
}
CLASSES = ('a', 'b', 'c')


def _frame(vid, t, length, gt, pred):
    """One DetDataSample as PackTrackInputs + a VIS model produce it."""
    sample = DetDataSample(metainfo=dict(
        video_id=vid, frame_id=t, video_length=length,
        ori_video_length=length, ori_shape=(H, W), img_id=vid * 100 + t,
        instances=[dict(bbox=[0., 0., 1., 1.], bbox_label=label,
                        mask=_rle(m), instance_id=iid, ignore_flag=0)
                   for iid, label, m in gt]))
    pred_inst = InstanceData()
    pred_inst.masks = torch.from_numpy(
        np.stack([p[2] for p in pred]) if pred else np.zeros(
            (0, H, W), bool))
    pred_inst.scores = torch.tensor([s for s in (p[3] for p in pred)],
                                    dtype=torch.float32)
    pred_inst.labels = torch.tensor([p[1] for p in pred], dtype=torch.long)
    pred_inst.instances_id = torch.tensor([p[0] for p in pred],
                                          dtype=torch.long)
    sample.pred_track_instances = pred_inst
    return sample


def _samples(per_frame=False, transform=None):
    """TrackDataSamples (one per video, or one per frame) with predictions
    equal to the ground truth, optionally transformed."""
    out = []
    for vid, frames in VIDEOS.items():
        video = []
        for t, gt in enumerate(frames):
            pred = [(iid, label, m, 0.9) for iid, label, m in gt]
            if transform is not None:
                pred = transform(vid, t, pred)
            video.append(_frame(vid, t, len(frames), gt, pred))
        groups = [[f] for f in video] if per_frame else [video]
        for group in groups:
            track = TrackDataSample()
            track.video_data_samples = group
            out.append(track.to_dict())
    return out


def _run(metric, samples):
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, samples)
    return metric.evaluate(size=len(samples))


@pytest.mark.parametrize('per_frame', [False, True])
def test_gt_as_prediction_and_submission_in_one_pass(tmp_path, per_frame):
    out = str(tmp_path / 'sub')
    metric = YouTubeVISMetric(outfile_prefix=out)
    res = _run(metric, _samples(per_frame))
    assert res['youtube_vis/segm_mAP'] == pytest.approx(1.0)
    assert res['youtube_vis/segm_AR@1'] == pytest.approx(1.0)
    with zipfile.ZipFile(osp.join(out, 'submission_file.zip')) as zf:
        assert zf.namelist() == ['results.json']
    sub = json.load(open(osp.join(out, 'results.json')))
    assert sorted((r['video_id'], r['category_id']) for r in sub) == [
        (3, 1), (3, 2), (8, 3)]
    track2 = [r for r in sub if r['category_id'] == 2][0]
    assert track2['segmentations'][1] is None  # absent in frame 1
    assert track2['segmentations'][0]['size'] == [H, W]


def test_score_is_mean_and_category_majority_vote(tmp_path):

    def noisy(vid, t, pred):
        # instance 1 of video 3: labels 0, 1, 0 (majority 0), scores vary
        return [(iid, 1 if (vid, iid, t) == (3, 1, 1) else label, m,
                 [0.2, 0.5, 0.8][t] if vid == 3 else s)
                for iid, label, m, s in pred]

    metric = YouTubeVISMetric(outfile_prefix=str(tmp_path))
    res = _run(metric, _samples(transform=noisy))
    sub = json.load(open(tmp_path / 'results.json'))
    first = [r for r in sub if r['video_id'] == 3][0]
    assert first['category_id'] == 1
    assert first['score'] == pytest.approx(0.5)
    assert res['youtube_vis/segm_mAP'] == pytest.approx(1.0)


def test_format_only_writes_and_scores_nothing(tmp_path):
    metric = YouTubeVISMetric(format_only=True, outfile_prefix=str(tmp_path))
    assert _run(metric, _samples()) == {}
    assert osp.isfile(tmp_path / 'submission_file.zip')
    with pytest.raises(ValueError, match='outfile_prefix'):
        YouTubeVISMetric(format_only=True)


def test_ann_file_ground_truth_with_a_miss(tmp_path):
    anns, aid = [], 1
    for vid, frames in VIDEOS.items():
        tracks = {}
        for t, gt in enumerate(frames):
            for iid, label, m in gt:
                tracks.setdefault(iid, (label, [None] * len(frames)))[1][t] = m
        for iid, (label, masks) in tracks.items():
            anns.append(dict(
                id=aid, video_id=vid, category_id=label + 1, iscrowd=0,
                segmentations=[m if m is None else _rle(m) for m in masks],
                areas=[m if m is None else int(m.sum()) for m in masks]))
            aid += 1
    gt = dict(videos=[dict(id=v, height=H, width=W, length=len(f))
                      for v, f in VIDEOS.items()],
              categories=[dict(id=i + 1, name=n)
                          for i, n in enumerate(CLASSES)],
              annotations=anns)
    ann_file = str(tmp_path / 'valid_gt.json')
    json.dump(gt, open(ann_file, 'w'))

    def drop_video_8(vid, t, pred):
        return [] if vid == 8 else pred

    res = _run(YouTubeVISMetric(ann_file=ann_file),
               _samples(transform=drop_video_8))
    # classes a, b found; c (only in video 8) missed: AP = 2 / 3
    assert res['youtube_vis/segm_mAP'] == pytest.approx(2 / 3)


def test_mask_size_mismatch_names_video_and_frame():

    def small(vid, t, pred):
        return [(iid, label, m[:6], s) for iid, label, m, s in pred]

    metric = YouTubeVISMetric()
    with pytest.raises(ValueError, match='video 3 frame 0'):
        _run(metric, _samples(transform=small))


def test_registered_in_mmvidseg_scope():
    from mmengine.registry import DefaultScope

    from mmvidseg.registry import METRICS
    with DefaultScope.overwrite_default_scope('mmvidseg'):
        metric = METRICS.build(dict(type='YouTubeVISMetric'))
    assert isinstance(metric, YouTubeVISMetric)
    with pytest.raises(ValueError, match='long_video_ids'):
        metric = YouTubeVISMetric(dataset_version='2022')
        _run(metric, _samples())
