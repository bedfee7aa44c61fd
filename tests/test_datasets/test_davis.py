# Copyright (c) mmvidseg contributors. All rights reserved.
import os
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from mmvidseg.datasets import DAVISDataset
from mmvidseg.datasets._instance_utils import DatasetFormatError
from mmvidseg.utils import register_all_modules

register_all_modules()


@pytest.fixture(scope='module')
def davis_root(toy_root):
    return str(toy_root / 'davis' / 'DAVIS')


def _png(root, folder, seq, frame):
    with Image.open(osp.join(root, folder, '480p', seq,
                             f'{frame:05d}.png')) as img:
        return np.array(img)


@pytest.mark.parametrize('task', ['unsupervised', 'semi-supervised'])
def test_toy_davis_items(davis_root, task):
    ds = DAVISDataset(data_root=davis_root, task=task, split='val',
                      test_mode=True, serialize_data=False)
    with open(osp.join(davis_root, 'ImageSets', '2017', 'val.txt')) as f:
        names = f.read().split()
    assert [v['video_name'] for v in ds.data_list] == names
    assert ds.metainfo['classes'] == ('object', )
    folder = 'Annotations_unsupervised' if task == 'unsupervised' else \
        'Annotations'
    seen = {}
    for v in ds.data_list:
        frames = sorted(os.listdir(osp.join(davis_root, 'JPEGImages', '480p',
                                            v['video_name'])))
        assert v['video_length'] == len(frames) == len(v['images'])
        for t, f in enumerate(v['images']):
            assert f['frame_id'] == t and f['video_id'] == v['video_id']
            labels = _png(davis_root, folder, v['video_name'], t)
            assert (f['height'], f['width']) == labels.shape
            ks = [k for k in np.unique(labels) if k != 0]
            assert len(f['instances']) == len(ks)
            for k, inst in zip(ks, f['instances']):
                m = mask_utils.decode(inst['mask'])
                assert np.array_equal(m, labels == k)
                ys, xs = np.nonzero(m)
                assert inst['bbox'] == [xs.min(), ys.min(), xs.max() + 1,
                                        ys.max() + 1]
                assert inst['bbox_label'] == 0 and inst['ignore_flag'] == 0
                key = (v['video_name'], int(k))
                assert seen.setdefault(key, inst['instance_id']) == \
                    inst['instance_id']
    ids = list(seen.values())
    assert min(ids) >= 1 and len(set(ids)) == len(ids)  # unique, 1-based


def _copy_root(davis_root, tmp_path):
    root = str(tmp_path / 'DAVIS')
    shutil.copytree(davis_root, root)
    return root


def test_void_bitmap_and_pipeline(davis_root, tmp_path):
    root = _copy_root(davis_root, tmp_path)
    seq = open(osp.join(root, 'ImageSets/2017/train.txt')).read().split()[0]
    path = osp.join(root, 'Annotations_unsupervised/480p', seq, '00001.png')
    with Image.open(path) as img:
        labels, palette = np.array(img), img.getpalette()
    labels[:3, :5] = 255
    out = Image.fromarray(labels, mode='P')
    out.putpalette(palette)
    out.save(path)
    ds = DAVISDataset(data_root=root, split='train', mask_format='bitmap',
                      serialize_data=False)
    frame = ds.data_list[0]['images'][1]
    void = [i for i in frame['instances'] if i['ignore_flag']]
    assert len(void) == 1 and void[0]['mask'].sum() == 15
    assert isinstance(void[0]['mask'], np.ndarray)
    ds = DAVISDataset(data_root=root, split='train', with_void=False,
                      serialize_data=False)
    assert not any(i['ignore_flag']
                   for i in ds.data_list[0]['images'][1]['instances'])
    # through the standard track pipeline: void -> ignored_instances
    ds = DAVISDataset(
        data_root=root, split='train', pipeline=[
            dict(type='VideoClipSample', num_frames=3, mode='consecutive'),
            dict(type='TransformBroadcaster', transforms=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadTrackAnnotations', with_mask=True)]),
            dict(type='PackTrackInputs')
        ])
    for _ in range(10):  # the clip start is random: find frame 1
        out = ds[0]
        frames = list(out['data_samples'])
        ids = [f.frame_id for f in frames]
        if 1 in ids:
            break
    f1 = frames[ids.index(1)]
    assert f1.ignored_instances.masks.masks.sum() == 15
    assert f1.gt_instances.labels.tolist() == [0] * len(f1.gt_instances)


def test_training_drops_empty_frames(davis_root, tmp_path):
    root = _copy_root(davis_root, tmp_path)
    seq = open(osp.join(root, 'ImageSets/2017/train.txt')).read().split()[0]
    path = osp.join(root, 'Annotations_unsupervised/480p', seq, '00002.png')
    with Image.open(path) as img:
        img.point(lambda v: 0).save(path)
    train = DAVISDataset(data_root=root, split='train', serialize_data=False)
    test = DAVISDataset(data_root=root, split='train', test_mode=True,
                        serialize_data=False)
    assert [f['frame_id'] for f in train.data_list[0]['images']] == \
        [t for t in range(test.data_list[0]['video_length']) if t != 2]


def test_malformed(davis_root, tmp_path):
    with pytest.raises(FileNotFoundError, match='ImageSets'):
        DAVISDataset(data_root=str(tmp_path), split='val')
    root = _copy_root(davis_root, tmp_path)
    seq = open(osp.join(root, 'ImageSets/2017/val.txt')).read().split()[0]
    with open(osp.join(root, 'ImageSets/2017/bad.txt'), 'w') as f:
        f.write('no_such_seq\n')
    with pytest.raises(DatasetFormatError, match="'no_such_seq'"):
        DAVISDataset(data_root=root, split='bad')
    os.remove(osp.join(root, 'Annotations_unsupervised/480p', seq,
                       '00003.png'))
    with pytest.raises(DatasetFormatError,
                       match=f"'{seq}' frame 3 .*00003.png is missing"):
        DAVISDataset(data_root=root, split='val')
    # test mode allows frames without annotations
    ds = DAVISDataset(data_root=root, split='val', test_mode=True,
                      serialize_data=False)
    assert ds.data_list[0]['images'][3]['instances'] == []
    rgb = osp.join(root, 'Annotations/480p', seq, '00000.png')
    Image.new('RGB', (64, 64)).save(rgb)
    with pytest.raises(DatasetFormatError, match='00000.png: a RGB image'):
        DAVISDataset(data_root=root, split='val', task='semi-supervised')
    with pytest.raises(ValueError, match='task'):
        DAVISDataset(data_root=root, task='semi')
