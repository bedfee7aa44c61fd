# Copyright (c) mmvidseg contributors. All rights reserved.
"""The toy YouTube-VIS files load in mmvidseg's YouTubeVISDataset."""
import os.path as osp

import numpy as np
import pycocotools.mask as mask_utils
import pytest

from mmvidseg.datasets.toy import THING_CLASSES, TOY_PRESETS, render_dataset


def test_toy_youtube_vis_dataset(tiny_root):
    module = pytest.importorskip('mmvidseg.datasets.youtube_vis')
    videos = {v.name: v for v in render_dataset(TOY_PRESETS['tiny'], 0)}
    dataset = module.YouTubeVISDataset(
        data_root=osp.join(tiny_root, 'youtube_vis'),
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
