# Copyright (c) mmvidseg contributors. All rights reserved.
import json
import os.path as osp
import shutil

import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmvidseg.datasets import AnnotationError, YouTubeVISDataset
from mmvidseg.datasets.toy import THING_CLASSES, TOY_PRESETS, render_dataset


def _build(root, ann_file='train.json', split='train', **kwargs):
    return YouTubeVISDataset(
        data_root=str(root),
        ann_file=ann_file,
        data_prefix=dict(img_path=f'{split}/JPEGImages'),
        dataset_version=None,
        pipeline=[],
        **kwargs)


def _videos(ds):
    return [ds.get_data_info(i) for i in range(len(ds))]


def test_reads_official_json(toy_ytvis_root):
    raw = json.loads((toy_ytvis_root / 'train.json').read_text())
    ds = _build(toy_ytvis_root)
    assert ds.metainfo['classes'] == tuple(THING_CLASSES)
    videos = {v['id']: v for v in raw['videos']}
    # every kept video, every kept frame has at least one instance
    for item in _videos(ds):
        assert item['video_length'] == len(item['images']) >= 1
        for frame in item['images']:
            assert frame['instances']
            assert frame['file_name'] in videos[item['video_id']]['file_names']
    # instance ids are the official annotation ids, >= 1
    ann_ids = {a['id'] for a in raw['annotations']}
    seen = {i['instance_id'] for item in _videos(ds)
            for f in item['images'] for i in f['instances']}
    assert seen <= ann_ids and min(seen) >= 1
    # boxes are xyxy and match the official xywh of the first annotation
    ann = raw['annotations'][0]
    t = next(i for i, b in enumerate(ann['bboxes']) if b is not None)
    item = next(v for v in _videos(ds) if v['video_id'] == ann['video_id'])
    frame = next(f for f in item['images'] if f['frame_id'] == t)
    inst = next(i for i in frame['instances'] if i['instance_id'] == ann['id'])
    x, y, w, h = ann['bboxes'][t]
    assert inst['bbox'] == [x, y, x + w, y + h]
    assert inst['bbox_label'] == ann['category_id'] - 1


def test_test_mode_keeps_all_frames(toy_ytvis_root):
    raw = json.loads((toy_ytvis_root / 'valid.json').read_text())
    ds = _build(toy_ytvis_root, 'valid.json', 'valid', test_mode=True)
    assert len(ds) == len(raw['videos'])
    assert [v['video_length'] for v in _videos(ds)] == \
        [v['length'] for v in raw['videos']]
    assert all(not f['instances'] for v in _videos(ds) for f in v['images'])


def test_training_file_without_annotations_fails(toy_ytvis_root):
    with pytest.raises(AnnotationError, match='no "annotations" key'):
        _build(toy_ytvis_root, 'valid.json', 'valid')


@pytest.fixture
def broken(toy_ytvis_root, tmp_path):
    """Copy of the toy train split whose JSON a test may corrupt."""
    shutil.copytree(toy_ytvis_root / 'train', tmp_path / 'train')
    raw = json.loads((toy_ytvis_root / 'train.json').read_text())

    def write(mutate):
        data = json.loads(json.dumps(raw))
        mutate(data)
        (tmp_path / 'train.json').write_text(json.dumps(data))
        return tmp_path

    return write


def _pop(d, key):
    d.pop(key)


@pytest.mark.parametrize('mutate,match', [
    (lambda d: _pop(d['videos'][0], 'file_names'),
     r'video \d+: missing field "file_names"'),
    (lambda d: d['videos'][0].update(length=99),
     r'video \d+: "length" is 99 but "file_names" lists \d+ frames'),
    (lambda d: d['annotations'][0]['segmentations'].pop(),
     r'annotation \d+ \(video \d+\): "segmentations" has \d+ entries but '
     r'the video has \d+ frames'),
    (lambda d: d['annotations'][0].update(category_id=77),
     r'annotation \d+ \(video \d+\): unknown category_id 77'),
    (lambda d: _pop(d, 'videos'), 'missing top-level key "videos"'),
    (lambda d: d['annotations'][1].update(id=d['annotations'][0]['id']),
     'duplicate annotation id'),
    (lambda d: d['annotations'][0].update(video_id=12345),
     r'video_id 12345 is not in "videos"'),
])
def test_bad_annotation_files(broken, mutate, match):
    root = broken(mutate)
    with pytest.raises(AnnotationError, match=match) as e:
        _build(root)
    assert 'train.json' in str(e.value)


def test_wrong_mask_size(broken):
    def mutate(d):
        ann = d['annotations'][0]
        t = next(i for i, s in enumerate(ann['segmentations']) if s)
        ann['segmentations'][t]['size'] = [5, 7]
    with pytest.raises(AnnotationError, match=r'frame \d+ mask size \[5, 7\]'):
        _build(broken(mutate))


def test_missing_image_file(broken):
    root = broken(lambda d: None)
    raw = json.loads((root / 'train.json').read_text())
    name = raw['videos'][0]['file_names'][2]
    (root / 'train' / 'JPEGImages' / name).unlink()
    with pytest.raises(AnnotationError, match=r'frame 2 file .* does not '
                       'exist'):
        _build(root)


def test_short_videos_are_skipped(toy_ytvis_root):
    ds = _build(toy_ytvis_root, min_clip_frames=1)
    longest = max(v['video_length'] for v in _videos(ds))
    ds2 = _build(toy_ytvis_root, min_clip_frames=longest)
    assert 0 < len(ds2) <= len(ds)
    assert all(v['video_length'] >= longest for v in ds2.data_list)
    with pytest.raises(AnnotationError, match='nothing to train on'):
        _build(toy_ytvis_root, min_clip_frames=longest + 1)


def test_class_subset_skips_other_categories(toy_ytvis_root):
    ds = _build(toy_ytvis_root, metainfo=dict(classes=(THING_CLASSES[1], )))
    labels = {i['bbox_label'] for v in _videos(ds) for f in v['images']
              for i in f['instances']}
    assert labels == {0}


def test_toy_youtube_vis_dataset(toy_ytvis_root):
    """Every toy instance loads with its label, id and mask."""
    videos = {v.name: v for v in render_dataset(TOY_PRESETS['tiny'], 0)}
    dataset = YouTubeVISDataset(
        data_root=str(toy_ytvis_root),
        ann_file='train.json',
        data_prefix=dict(img_path='train/JPEGImages'),
        dataset_version=None,
        pipeline=[],
        lazy_init=False)
    assert dataset.metainfo['classes'] == THING_CLASSES
    assert len(dataset) == 4
    seen = set()
    for index in range(len(dataset)):
        item = dataset.get_data_info(index)
        frames = item['images']
        video = videos[osp.basename(osp.dirname(frames[0]['img_path']))]
        assert len(frames) == item['video_length'] == video.num_frames
        for t, frame in enumerate(frames):
            assert osp.isfile(frame['img_path'])
            for inst in frame['instances']:
                obj = next(o for o in video.objects
                           if o.instance_id == inst['instance_id'])
                assert inst['bbox_label'] == obj.category_id - 1
                rle = dict(inst['mask'])
                if isinstance(rle['counts'], str):
                    rle['counts'] = rle['counts'].encode()
                np.testing.assert_array_equal(
                    mask_utils.decode(rle), video.masks(obj.local_id)[t])
                seen.add(inst['instance_id'])
    assert seen == {o.instance_id for v in videos.values() if v.split ==
                    'train' for o in v.objects}
