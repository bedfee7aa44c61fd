# Copyright (c) mmvidseg contributors. All rights reserved.
"""BURSTDataset on the toy BURST files; frame sampling; bad input."""
import json

import pytest
from mmengine.registry import DefaultScope

from mmvidseg.datasets import BURSTDataset
from mmvidseg.datasets._instance_utils import DatasetFormatError
from mmvidseg.datasets.burst import sample_burst_frames

PIPELINE = [
    dict(type='TransformBroadcaster',
         transforms=[dict(type='LoadImageFromFile'),
                     dict(type='LoadTrackAnnotations', with_mask=True)]),
    dict(type='PackTrackInputs', meta_keys=('is_annotated', )),
    dict(type='PackExemplarPoints')
]


@pytest.fixture(autouse=True)
def _scope():
    with DefaultScope.overwrite_default_scope('mmvidseg'):
        yield


def test_reference_frame_sampling():
    # 30 fps, 10 interleaved: round(30 k / 11), k = 0..10, per second
    assert sample_burst_frames(31, 30, 10) == [0, 3, 5, 8, 11, 14, 16, 19,
                                               22, 25, 27, 30]
    # fps 5: at most fps - 2 = 3 interleaved -> 0, 1, 2, 4 (round 2.5 = 2)
    assert sample_burst_frames(10, 5, 10) == [0, 1, 2, 4, 5, 6, 7, 9]
    assert sample_burst_frames(7, 3, 0) == [0, 3, 6]


def test_first_frame_annotations_give_exemplar_masks_and_points(toy_root):
    ds = BURSTDataset(data_root=str(toy_root / 'burst'),
                      ann_file='annotations/val/first_frame_annotations.json',
                      data_prefix=dict(img_path='frames/val'),
                      test_mode=True, pipeline=PIPELINE)
    raw = json.load(open(toy_root / 'burst/annotations/val/'
                         'first_frame_annotations.json'))
    seq = raw['sequences'][0]
    out = ds[0]
    frames = out['data_samples'].video_data_samples
    assert len(frames) == len(sample_burst_frames(
        len(seq['all_image_paths']), seq['fps'], 10))
    exemplars = {}
    for t, frame in enumerate(frames):
        assert frame.metainfo['is_annotated'] == (
            seq['all_image_paths'][t] in seq['annotated_image_paths'])
        gt = frame.gt_instances
        assert gt.points.shape == (len(gt), 2)
        for iid, p in zip(gt.instances_ids.tolist(), gt.points.tolist()):
            exemplars.setdefault(iid, (t, p))
    # every track has one exemplar frame whose point is the file's
    assert len(exemplars) == len(seq['track_category_ids'])
    file_points = sorted(tuple(s['point']) for segs in seq['segmentations']
                         for s in segs.values())
    assert sorted(tuple(p) for _, p in exemplars.values()) == file_points


def test_training_keeps_annotated_frames_and_drops_small_masks(toy_root):
    ds = BURSTDataset(data_root=str(toy_root / 'burst'),
                      ann_file='annotations/train/all_classes.json',
                      data_prefix=dict(img_path='frames/train'))
    raw = json.load(open(toy_root / 'burst/annotations/train/'
                         'all_classes.json'))
    video = ds.get_data_info(0)
    assert video['video_length'] == len(
        raw['sequences'][0]['annotated_image_paths'])
    big = BURSTDataset(data_root=str(toy_root / 'burst'),
                       ann_file='annotations/train/all_classes.json',
                       data_prefix=dict(img_path='frames/train'),
                       min_mask_area=10**6, lazy_init=True)
    with pytest.raises(DatasetFormatError, match='no sequence has a track'):
        big.full_init()


def test_a_track_without_exemplar_frame_is_named(toy_root, tmp_path):
    raw = json.load(open(toy_root / 'burst/annotations/val/'
                         'first_frame_annotations.json'))
    seq = raw['sequences'][0]
    seq['track_category_ids']['99'] = 1
    (tmp_path / 'ff.json').write_text(json.dumps(raw))
    with pytest.raises(DatasetFormatError,
                       match=r"valid_0000: track\(s\) \[99\] have no "
                       'exemplar frame'):
        BURSTDataset(ann_file=str(tmp_path / 'ff.json'),
                     data_prefix=dict(img_path='frames/val'),
                     test_mode=True)


def test_an_exemplar_for_an_unlisted_track_is_named(toy_root, tmp_path):
    """A segmentation whose track id is not in track_category_ids (an
    exemplar for an object the sequence does not have)."""
    raw = json.load(open(toy_root / 'burst/annotations/val/'
                         'first_frame_annotations.json'))
    seq = raw['sequences'][0]
    frame = next(i for i, s in enumerate(seq['segmentations']) if s)
    seg = next(iter(seq['segmentations'][frame].values()))
    seq['segmentations'][frame]['77'] = seg
    (tmp_path / 'ff.json').write_text(json.dumps(raw))
    fname = seq['annotated_image_paths'][frame]
    for test_mode in (True, False):
        with pytest.raises(DatasetFormatError,
                           match=f'valid_0000 frame {fname}: a segmentation '
                           'for track 77, which track_category_ids does not '
                           'list'):
            BURSTDataset(ann_file=str(tmp_path / 'ff.json'),
                         data_prefix=dict(img_path='frames/val'),
                         test_mode=test_mode)


def test_full_ground_truth_with_points_of_the_exemplar_file(toy_root):
    ds = BURSTDataset(data_root=str(toy_root / 'burst'),
                      ann_file='annotations/val/all_classes.json',
                      exemplar_file='annotations/val/'
                      'first_frame_annotations.json',
                      data_prefix=dict(img_path='frames/val'),
                      test_mode=True)
    first = BURSTDataset(data_root=str(toy_root / 'burst'),
                         ann_file='annotations/val/'
                         'first_frame_annotations.json',
                         data_prefix=dict(img_path='frames/val'),
                         test_mode=True)
    full, ff = ds.get_data_info(0), first.get_data_info(0)
    n_full = sum(len(f['instances']) for f in full['images'])
    assert n_full > sum(len(f['instances']) for f in ff['images'])
    with_points = [(f['frame_id'], i['track_id'], i['point'])
                   for f in full['images'] for i in f['instances']
                   if 'point' in i]
    assert with_points == [(f['frame_id'], i['track_id'], i['point'])
                           for f in ff['images'] for i in f['instances']]
