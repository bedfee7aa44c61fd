# Copyright (c) mmvidseg contributors. All rights reserved.
"""The toy YouTube-VIS writers decode back to the rendered frames."""
import os.path as osp

import numpy as np
import pycocotools.mask as mask_utils
import pytest

from ._files import _load, _png


def test_youtube_vis(tiny_root, videos):
    root = osp.join(tiny_root, 'youtube_vis')
    train = _load(osp.join(root, 'train.json'))
    valid = _load(osp.join(root, 'valid.json'))
    valid_gt = _load(osp.join(root, 'valid_gt.json'))
    assert 'annotations' not in valid
    assert valid_gt['videos'] == valid['videos']
    assert [c['id'] for c in train['categories']] == [1, 2, 3]
    ann_ids = [a['id'] for a in train['annotations'] + valid_gt['annotations']]
    assert ann_ids == list(range(1, len(ann_ids) + 1))
    for content, split in ((train, 'train'), (valid_gt, 'valid')):
        by_id = {v['id']: v for v in content['videos']}
        assert len(by_id) == sum(v.split == split for v in videos.values())
        for entry in content['videos']:
            name = entry['file_names'][0].split('/')[0]
            video = videos[name]
            assert entry['length'] == len(entry['file_names']) == 5
            for file_name in entry['file_names']:
                assert osp.isfile(osp.join(root, split, 'JPEGImages',
                                           file_name))
            frame = _png(osp.join(root, split, 'JPEGImages',
                                  entry['file_names'][0]))
            assert frame.shape == (entry['height'], entry['width'], 3)
            assert np.abs(frame.astype(int) - video.frames[0]).mean() < 8
        for ann in content['annotations']:
            video = videos[by_id[ann['video_id']]['file_names'][0].split('/')
                           [0]]
            obj = next(o for o in video.objects
                       if o.instance_id == ann['id'])
            assert ann['category_id'] == obj.category_id
            length = by_id[ann['video_id']]['length']
            assert (len(ann['segmentations']) == len(ann['bboxes']) ==
                    len(ann['areas']) == length)
            for t, rle in enumerate(ann['segmentations']):
                mask = video.masks(obj.local_id)[t]
                if rle is None:
                    assert not mask.any()
                    assert ann['bboxes'][t] is None
                    continue
                assert isinstance(rle['counts'], str)
                decoded = mask_utils.decode(
                    dict(size=rle['size'], counts=rle['counts'].encode()))
                np.testing.assert_array_equal(decoded, mask)
                assert ann['areas'][t] == mask.sum()
                assert ann['bboxes'][t] == mask_utils.toBbox(
                    dict(size=rle['size'],
                         counts=rle['counts'].encode())).tolist()


def test_youtube_vis_loads_with_ytvis_api(tiny_root):
    ytvis = pytest.importorskip('mmdet.evaluation.functional.ytvis')
    api = ytvis.YTVIS(osp.join(tiny_root, 'youtube_vis', 'train.json'))
    assert sorted(api.getCatIds()) == [1, 2, 3]
    for ann in api.loadAnns(api.getAnnIds()):
        video = api.loadVids([ann['video_id']])[0]
        masks = [api.annToMask(ann, t) for t in range(video['length'])
                 if ann['segmentations'][t] is not None]
        assert all(m.shape == (64, 64) and m.any() for m in masks)
