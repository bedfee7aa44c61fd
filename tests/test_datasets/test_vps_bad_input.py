# Copyright (c) mmvidseg contributors. All rights reserved.
"""VPS videos without things (issue 11 "Bad input"): training drops them as
the official loaders do (and refuses a dataset with none left); inference
keeps them and loads empty instance sets."""
import numpy as np
import pytest
from PIL import Image

from mmvidseg.datasets import KITTISTEPDataset
from mmvidseg.datasets._instance_utils import DatasetFormatError
from mmvidseg.datasets.toy.metainfo import KITTI_STEP_METAINFO
from mmvidseg.utils import register_all_modules

register_all_modules()
META = dict(classes=KITTI_STEP_METAINFO['classes'],
            thing_ids=KITTI_STEP_METAINFO['thing_ids'])
THING = KITTI_STEP_METAINFO['thing_ids'][0]


def write_sequence(root, split, seq, with_thing):
    """Two 16 x 24 frames: stuff 0 / 1 halves, a thing (id 1) if asked."""
    for t in range(2):
        pan = np.zeros((16, 24, 3), np.uint8)
        pan[8:, :, 0] = 1
        if with_thing:
            pan[2:6, 3:9] = (THING, 0, 1)  # R = class, G * 256 + B = id
        for folder, arr in (('panoptic_maps', pan),
                            ('images', np.full((16, 24, 3), 90, np.uint8))):
            path = root / folder / split / seq / f'{t:06d}.png'
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(arr).save(path)


PIPELINE = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadVideoPanopticAnnotations', with_panoptic=True)]),
    dict(type='PackVideoPanopticInputs', meta_keys=('video_name', )),
]


def test_training_skips_videos_without_things(tmp_path):
    write_sequence(tmp_path, 'train', '0000', with_thing=False)
    with pytest.raises(DatasetFormatError, match='no video has a thing'):
        KITTISTEPDataset(data_root=str(tmp_path), split='train',
                         metainfo=META)
    write_sequence(tmp_path, 'train', '0001', with_thing=True)
    ds = KITTISTEPDataset(data_root=str(tmp_path), split='train',
                          metainfo=META)
    assert [ds.get_data_info(i)['video_name']
            for i in range(len(ds))] == ['0001']


def test_inference_keeps_videos_without_things(tmp_path):
    write_sequence(tmp_path, 'val', '0000', with_thing=False)
    ds = KITTISTEPDataset(data_root=str(tmp_path), split='val',
                          metainfo=META, test_mode=True, pipeline=PIPELINE)
    assert len(ds) == 1
    frames = ds[0]['data_samples'].video_data_samples
    assert len(frames) == 2
    for frame in frames:
        assert len(frame.gt_instances) == 0
        pan = frame.gt_panoptic_seg.sem_seg
        assert set(pan.unique().tolist()) == {0, 1}  # stuff only, id 0
