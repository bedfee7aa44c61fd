# Copyright (c) mmvidseg contributors. All rights reserved.
import json

import numpy as np
import pytest

from mmvidseg.evaluation.functional.panoptic_io import (kitti_step_decode,
                                                        read_rgb_png, rgb2id)
from mmvidseg.evaluation.functional.vps_writers import (
    segment_ids, write_cityscapes_vps, write_kitti_step_video, write_vipseg)

LABEL = np.array([[0, 0, 3, 3], [1, 7, 3, 4]])  # 7 >= num_classes: void
INST = np.array([[0, 0, 2, 2], [0, 0, 300, 5]])


def test_segment_ids():
    ids, labels = segment_ids(LABEL, INST, num_classes=5)
    assert ids[1, 1] == 0  # void
    assert ids[0, 0] == 1 and ids[1, 0] == 2  # stuff: label + 1
    assert ids[0, 2] == 3 + 2 * 1000 + 1 and ids[1, 2] == 3 + 300000 + 1
    assert labels == {1: 0, 2: 1, 2004: 3, 5005: 4, 300004: 3}
    with pytest.raises(ValueError, match='RGB PNG'):
        segment_ids(LABEL, INST * 100000, num_classes=5)


def test_kitti_step_writer(tmp_path):
    path, = write_kitti_step_video(str(tmp_path), '0002', ['000000'],
                                   [(LABEL, INST)], num_classes=5)
    assert path.endswith('0002/000000.png')
    sem, inst = kitti_step_decode(read_rgb_png(path))
    assert sem.tolist() == [[0, 0, 3, 3], [1, 255, 3, 4]]
    assert inst.tolist() == [[0, 0, 2, 2], [0, 0, 300, 5]]  # G*256 + B


def test_vipseg_and_cityscapes_vps_writers(tmp_path):
    pred = write_vipseg(str(tmp_path / 'vip'), [('vid', ['00000.png'],
                                                 [(LABEL, INST)])], 5)
    ann = json.load(open(pred))['annotations'][0]
    assert ann['video_id'] == 'vid'
    info = ann['annotations'][0]
    assert info['file_name'] == '00000.png'
    ids = rgb2id(read_rgb_png(str(tmp_path / 'vip/pan_pred/vid/00000.png')))
    cats = {s['id']: s['category_id'] for s in info['segments_info']}
    assert set(np.unique(ids)) - {0} == set(cats)
    assert cats[2004] == 3 and sum(
        s['area'] for s in info['segments_info']) == 7
    pred = write_cityscapes_vps(str(tmp_path / 'cv'),
                                [('0005_0025_x', (LABEL, INST))], 5,
                                category_ids=[10, 11, 12, 13, 14])
    ann = json.load(open(pred))['annotations'][0]
    assert ann['image_id'] == '0005_0025_x'
    assert {s['category_id'] for s in ann['segments_info']} == {10, 11,
                                                               13, 14}
    assert (tmp_path / 'cv/pan_pred/0005_0025_x.png').is_file()
