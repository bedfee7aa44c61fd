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
    metric = YouTubeVISMetric(submission_dir=out)
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

    metric = YouTubeVISMetric(submission_dir=str(tmp_path))
    res = _run(metric, _samples(transform=noisy))
    sub = json.load(open(tmp_path / 'results.json'))
    first = [r for r in sub if r['video_id'] == 3][0]
    assert first['category_id'] == 1
    assert first['score'] == pytest.approx(0.5)
    assert res['youtube_vis/segm_mAP'] == pytest.approx(1.0)


def test_format_only_writes_and_scores_nothing(tmp_path):
    metric = YouTubeVISMetric(format_only=True,
                              submission_dir=str(tmp_path / 'sub'))
    assert _run(metric, _samples()) == {}
    assert sorted(p.name for p in (tmp_path / 'sub').iterdir()) == [
        'results.json', 'submission_file.zip']
    with pytest.raises(ValueError, match='outfile_prefix .* submission_dir'):
        YouTubeVISMetric(format_only=True)


def test_outfile_prefix_follows_mmdet_and_submission_dir_is_extra(tmp_path):
    """mmdet writes ``P.json`` and ``P.submission_file.zip`` (also when the
    metric scores, in mmvidseg); ``submission_dir`` adds the folder
    layout; both hold the same entries."""
    prefix = str(tmp_path / 'out' / 'result')
    metric = YouTubeVISMetric(outfile_prefix=prefix,
                              submission_dir=str(tmp_path / 'sub'))
    res = _run(metric, _samples())
    assert res['youtube_vis/segm_mAP'] == pytest.approx(1.0)
    assert sorted(p.name for p in (tmp_path / 'out').iterdir()) == [
        'result.json', 'result.submission_file.zip']
    with zipfile.ZipFile(prefix + '.submission_file.zip') as zf:
        assert zf.namelist() == ['results.json']
        assert json.loads(zf.read('results.json')) == \
            json.load(open(prefix + '.json')) == \
            json.load(open(tmp_path / 'sub' / 'results.json'))
    assert not osp.exists(prefix)  # no folder named after the prefix


# mmdet 3.3's unit test of its YouTubeVISMetric
# (tests/test_evaluation/test_metrics/test_youtube_vis_metric.py), its two
# cases rebuilt here: 720x1280 frames, a 50x50 box mask, classes car / train,
# and the metric built from the registry by its mmdet name.


def _mmdet_case_pred(track_id):
    mask = torch.zeros((1, 720, 1280), dtype=torch.uint8)
    mask[:, 100:150, 100:150] = 1
    return InstanceData(
        bboxes=torch.tensor([[100, 100, 150, 150]]),
        scores=torch.tensor([1.0], dtype=torch.float64),
        labels=torch.tensor([0]),
        instances_id=torch.tensor([track_id]),
        masks=mask)


def _mmdet_case_instances(instance_id):
    mask = np.zeros((720, 1280), np.uint8)
    mask[100:150, 100:150] = 1
    return [dict(bbox_label=0, bbox=[100, 100, 150, 150], ignore_flag=0,
                 instance_id=instance_id, mask=_rle(mask))]


def _mmdet_case_video(frames):
    """One TrackDataSample dict; frames: (img_id, video_id, length,
    track_id, instance_id)."""
    video = []
    for img_id, vid, length, track_id, iid in frames:
        sample = DetDataSample()
        sample.pred_track_instances = _mmdet_case_pred(track_id)
        sample.set_metainfo(dict(
            img_id=img_id, video_id=vid, ori_video_length=length,
            ori_shape=(720, 1280), instances=_mmdet_case_instances(iid)))
        video.append(sample)
    track = TrackDataSample()
    track.video_data_samples = video
    return track.to_dict()


def _build_by_mmdet_name(**kwargs):
    from mmengine.registry import DefaultScope

    from mmvidseg.registry import METRICS
    with DefaultScope.overwrite_default_scope('mmvidseg'):
        metric = METRICS.build(dict(type='YouTubeVISMetric', **kwargs))
    assert isinstance(metric, YouTubeVISMetric)
    metric.dataset_meta = dict(classes=['car', 'train'])
    return metric


def test_mmdet_case_format_only_file_names(tmp_path):
    prefix = f'{tmp_path}/result'
    metric = _build_by_mmdet_name(format_only=True, outfile_prefix=prefix)
    metric.process(dict(inputs=None, data_samples=None),
                   [_mmdet_case_video([(0, 1, 1, 0, 1)])])
    assert metric.evaluate(size=1) == {}
    assert osp.exists(f'{prefix}.json')
    assert osp.exists(f'{prefix}.submission_file.zip')
    sub = json.load(open(f'{prefix}.json'))
    assert [(r['video_id'], r['category_id'], r['score']) for r in sub] == [
        (1, 1, 1.0)]


def test_mmdet_case_evaluate(tmp_path):
    metric = _build_by_mmdet_name(outfile_prefix=f'{tmp_path}/test')
    batch = dict(inputs=None, data_samples=None)
    # video 1: two frames, track 1 on GT instance 1; video 2: one frame,
    # track 2 on GT instance 2
    metric.process(batch, [_mmdet_case_video([(1, 1, 2, 1, 1),
                                              (2, 1, 2, 1, 1)])])
    metric.process(batch, [_mmdet_case_video([(3, 2, 1, 2, 2)])])
    res = metric.evaluate(size=3)
    target = {
        'youtube_vis/segm_mAP': 1.0,
        'youtube_vis/segm_mAP_50': 1.0,
        'youtube_vis/segm_mAP_75': 1.0,
        'youtube_vis/segm_mAP_s': 1.0,
        'youtube_vis/segm_mAP_m': -1.0,
        'youtube_vis/segm_mAP_l': -1.0,
    }
    assert {k: res[k] for k in target} == target


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
