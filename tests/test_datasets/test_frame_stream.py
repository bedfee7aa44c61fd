# Copyright (c) mmvidseg contributors. All rights reserved.
"""Frame streams: ordering, gaps, evaluated frames, KITTI-STEP layout."""
import os

import numpy as np
import pytest
from PIL import Image

from mmvidseg.datasets import (FrameStreamDataset, KITTIStepStream,
                               LoadStreamSemSeg)
from mmvidseg.datasets.frame_stream import list_frames


def _touch(folder, names):
    os.makedirs(folder, exist_ok=True)
    for n in names:
        Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(
            os.path.join(folder, n))


def test_numeric_order_and_eval_interval(tmp_path):
    # not zero-padded: numeric order, not string order
    _touch(tmp_path / 'v', [f'cam_{i}.png' for i in range(12)])
    ds = FrameStreamDataset(data_root=str(tmp_path), eval_interval=10)
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [i['frame_number'] for i in infos] == list(range(12))
    assert [i['frame_id'] for i in infos if i['evaluate']] == [0, 10]
    assert infos[0]['video_id'] == 'v' and infos[0]['video_length'] == 12


def test_gap_in_numbering(tmp_path):
    _touch(tmp_path / 'v', ['000000.png', '000001.png', '000004.png'])
    with pytest.raises(ValueError, match=r'v: frame numbers are not '
                       r'consecutive, missing \[2, 3\].*allow_gaps'):
        list_frames(str(tmp_path / 'v'))
    ds = FrameStreamDataset(data_root=str(tmp_path), allow_gaps=True)
    assert [ds.get_data_info(i)['frame_id'] for i in range(3)] == [0, 1, 2]
    assert ds.get_data_info(2)['frame_number'] == 4


def test_empty_and_missing_folder(tmp_path):
    os.makedirs(tmp_path / 'v')
    with pytest.raises(FileNotFoundError, match='no \\*.png frames'):
        list_frames(str(tmp_path / 'v'))
    with pytest.raises(FileNotFoundError, match='not found'):
        list_frames(str(tmp_path / 'nope'))


def test_kitti_step_stream_and_sem_maps(tmp_path):
    for split, seq in (('train', '0000'), ('val', '0002')):
        _touch(tmp_path / 'images' / split / seq, ['000000.png',
                                                   '000001.png'])
        gt = tmp_path / 'panoptic_maps' / split / seq
        os.makedirs(gt)
        sem = np.full((4, 6), 255, np.uint8)
        sem[:2] = 13
        Image.fromarray(sem).save(gt / '000000_sem.png')
        rgb = np.zeros((4, 6, 3), np.uint8)
        rgb[..., 0] = 7  # official panoptic map: R = semantic id
        rgb[..., 2] = 1
        Image.fromarray(rgb).save(gt / '000001.png')
    ds = KITTIStepStream(data_root=str(tmp_path))
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [(i['split'], i['video_id'], i['frame_id']) for i in infos] == [
        ('train', '0000', 0), ('train', '0000', 1), ('val', '0002', 0),
        ('val', '0002', 1)]
    assert all(i['evaluate'] for i in infos)
    load = LoadStreamSemSeg()
    seg0 = load(dict(infos[0]))['gt_seg_map']
    assert seg0.dtype == np.uint8 and set(np.unique(seg0)) == {13, 255}
    seg1 = load(dict(infos[1]))['gt_seg_map']
    assert (seg1 == 7).all()
    assert len(ds.metainfo['classes']) == 19


def test_kitti_step_unknown_sequence(tmp_path):
    _touch(tmp_path / 'images' / 'val' / '0002', ['000000.png'])
    with pytest.raises(FileNotFoundError, match=r"\['0003'\] not found"):
        KITTIStepStream(data_root=str(tmp_path) + '/', splits=('val', ),
                        videos=[3])
    ds = KITTIStepStream(data_root=str(tmp_path) + '/', splits=('val', ),
                         videos=[2])
    assert ds.get_data_info(0)['video_id'] == '0002'
