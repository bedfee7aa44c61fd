# Copyright (c) mmvidseg contributors. All rights reserved.
import os
import os.path as osp

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmvidseg.datasets import KITTIMOTSDataset
from mmvidseg.datasets._instance_utils import DatasetFormatError
from mmvidseg.structures.masks import encode_mask
from mmvidseg.utils import register_all_modules
from ._kitti_mots_files import _box, _write_seq

register_all_modules()


def test_toy_kitti_mots(toy_root):
    root = str(toy_root / 'kitti_mots')
    ds = KITTIMOTSDataset(data_root=root, ann_file='val.seqmap',
                          class_ids=(1, 2, 3),
                          metainfo=dict(classes=('a', 'b', 'c')),
                          test_mode=True, serialize_data=False)
    seqs = [line.split()[0] for line in open(osp.join(root, 'val.seqmap'))]
    assert [v['video_name'] for v in ds.data_list] == seqs
    ids = set()
    for v in ds.data_list:
        lines = [ln.split() for ln in open(osp.join(root, 'instances_txt',
                                                    v['video_name'] + '.txt'))]
        n = len(os.listdir(osp.join(root, 'training/image_02',
                                    v['video_name'])))
        assert v['video_length'] == n
        assert sum(len(f['instances']) for f in v['images']) == len(lines)
        for f in v['images']:
            for inst, ln in zip(f['instances'],
                                [ln for ln in lines
                                 if int(ln[0]) == f['frame_id']]):
                assert inst['bbox_label'] == int(ln[2]) - 1
                assert inst['mask']['counts'] == ln[5]
                ids.add((v['video_name'], int(ln[1]), inst['instance_id']))
    assert len({i[2] for i in ids}) == len(ids)  # unique over the dataset
    assert min(i[2] for i in ids) == 1
    # default classes car / pedestrian: class 3 objects are skipped
    ds2 = KITTIMOTSDataset(data_root=root, ann_file='val.seqmap',
                           test_mode=True, serialize_data=False)
    labels = {i['bbox_label'] for v in ds2.data_list for f in v['images']
              for i in f['instances']}
    assert labels <= {0, 1}


def test_split_and_ignore(tmp_path):
    root = str(tmp_path)
    car, ped, ign = _box(0, 3, 0, 4), _box(4, 8, 5, 7), _box(5, 8, 0, 3)
    frames = ([[(1001, car), (10000, ign)]] * 2 + [[(10000, ign)]] * 6 +
              [[(2002, ped)], [], [(1001, car), (2002, ped)]])
    _write_seq(root, '0000', frames)
    train = KITTIMOTSDataset(data_root=root, sequences=['0000'],
                             serialize_data=False)
    assert [(v['video_name'], v['video_length']) for v in train.data_list] \
        == [('0000_1', 2), ('0000_2', 2)]
    first, second = train.data_list
    assert [f['frame_id'] for f in second['images']] == [0, 1]
    assert second['images'][0]['img_path'].endswith('000008.png')
    assert first['video_id'] != second['video_id']
    f0 = first['images'][0]['instances']
    assert [(i['bbox_label'], i['ignore_flag']) for i in f0] == [(0, 0),
                                                                (-1, 1)]
    assert f0[1]['bbox'] == [0., 5., 3., 8.]
    car_ids = {i['instance_id'] for v in train.data_list
               for f in v['images'] for i in f['instances']
               if i['bbox_label'] == 0}
    assert len(car_ids) == 2  # one per piece: ids unique over the dataset
    test = KITTIMOTSDataset(data_root=root, sequences=['0000'],
                            test_mode=True, serialize_data=False)
    assert [v['video_length'] for v in test.data_list] == [11]
    nosplit = KITTIMOTSDataset(data_root=root, sequences=['0000'],
                               split_gap=None, serialize_data=False)
    assert [v['video_length'] for v in nosplit.data_list] == [4]
    out = KITTIMOTSDataset(
        data_root=root, sequences=['0000'], pipeline=[
            dict(type='VideoClipSample', num_frames=2, mode='all'),
            dict(type='TransformBroadcaster', transforms=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadTrackAnnotations', with_mask=True)]),
            dict(type='PackTrackInputs')
        ])[0]
    f0 = list(out['data_samples'])[0]
    assert f0.gt_instances.labels.tolist() == [0]
    assert f0.ignored_instances.masks.masks.sum() == 9


@pytest.mark.parametrize('line,match', [
    ('0 1001 1 8 10', r'0000.txt:2: expected 6 fields'),
    ('0 x 1 8 10 abc', r'0000.txt:2: the first 5 fields must be integers'),
    ('0 2001 1 8 10 PX', r'0000.txt:2: obj_id 2001 does not encode'),
    ('0 1001 1 8 10 PX', r'0000.txt:2: frame 0 lists obj_id 1001 twice'),
    ('0 1002 1 8 11 PX', r'0000.txt:2 \(frame 0\): image size'),
    ('0 1002 1 8 10 3', r'0000.txt: frame 0 obj_id 1002: RLE counts cover'),
    ('7 1002 1 8 10 PX', r'0000.txt: frames \[7\] have annotations'),
])
def test_malformed_txt(tmp_path, line, match):
    root = str(tmp_path)
    _write_seq(root, '0000', [[(1001, _box(0, 3, 0, 4))]])
    with open(osp.join(root, 'instances_txt', '0000.txt'), 'a') as f:
        f.write(line + '\n')
    with pytest.raises(DatasetFormatError, match=match):
        KITTIMOTSDataset(data_root=root, sequences=['0000'], test_mode=True)


def test_missing_files(tmp_path):
    with pytest.raises(DatasetFormatError, match="sequence '0003'.*0003.txt"):
        KITTIMOTSDataset(data_root=str(tmp_path), sequences=['0003'])
    with pytest.raises(FileNotFoundError, match='nope.seqmap'):
        KITTIMOTSDataset(data_root=str(tmp_path), ann_file='nope.seqmap')
    with pytest.raises(ValueError, match='ignore class'):
        KITTIMOTSDataset(data_root=str(tmp_path), class_ids=(1, 10))
    # decoded masks agree with the txt file
    m = _box(1, 4, 2, 9)
    _write_seq(str(tmp_path), '0001', [[(2001, m)]])
    ds = KITTIMOTSDataset(data_root=str(tmp_path), sequences=['0001'],
                          mask_format='bitmap', serialize_data=False)
    inst = ds.data_list[0]['images'][0]['instances'][0]
    assert np.array_equal(inst['mask'], m) and inst['bbox_label'] == 1
    assert mask_utils.area(encode_mask(m)) == 21
