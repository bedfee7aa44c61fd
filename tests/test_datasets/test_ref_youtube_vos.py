# Copyright (c) mmvidseg contributors. All rights reserved.
import json
import os
import shutil

import numpy as np
import pytest
from PIL import Image

from mmvidseg.datasets import RefDAVISDataset, RefYouTubeVOSDataset
from mmvidseg.datasets._instance_utils import DatasetFormatError
from mmvidseg.datasets.ref_youtube_vos import train_windows
from mmvidseg.utils import register_all_modules

register_all_modules()
META_KEYS = ('text', 'exp_id', 'referred_instance_id', 'is_annotated',
             'video_name', 'obj_id')


def _pipeline(flip_prob=0.0):
    return [
        dict(type='TransformBroadcaster', share_random_params=True,
             transforms=[dict(type='LoadImageFromFile'),
                         dict(type='LoadTrackAnnotations', with_mask=True),
                         dict(type='RandomFlip', prob=flip_prob)]),
        dict(type='FlipReferringText'),
        dict(type='PackTrackInputs', meta_keys=META_KEYS)
    ]


def _write(root, videos, frames=3, size=(12, 16)):
    """A Ref-YouTube-VOS tree: ``videos`` = {name: {obj_id: frames}}."""
    exps = {}
    for name, objs in videos.items():
        os.makedirs(root / 'train' / 'JPEGImages' / name)
        os.makedirs(root / 'train' / 'Annotations' / name)
        for t in range(frames):
            Image.fromarray(np.zeros((*size, 3), np.uint8)).save(
                root / 'train' / 'JPEGImages' / name / f'{t:05d}.jpg')
            lab = np.zeros(size, np.uint8)
            for k, present in objs.items():
                if t in present:
                    lab[k * 2:k * 2 + 2, :4 * k] = k
            img = Image.fromarray(lab, mode='P')
            img.putpalette([0, 0, 0] * 256)
            img.save(root / 'train' / 'Annotations' / name / f'{t:05d}.png')
        exps[name] = dict(
            frames=[f'{t:05d}' for t in range(frames)],
            expressions={str(i): dict(exp=f'  The Object {k} on the LEFT ',
                                      obj_id=str(k))
                         for i, k in enumerate(objs)})
    os.makedirs(root / 'meta_expressions' / 'train')
    with open(root / 'meta_expressions/train/meta_expressions.json',
              'w') as f:
        json.dump(dict(videos=exps), f)
    return root


def test_train_windows_match_official():
    frames = [f'{i:05d}' for i in range(7)]
    assert train_windows(frames, 3) == [frames[0:3], frames[3:6],
                                        frames[4:7]]
    assert train_windows(frames[:2], 3) == [frames[:2] + [frames[1]]]
    assert train_windows(frames[:6], 3) == [frames[0:3], frames[3:6]]


def test_train_samples_drop_windows_without_referred(tmp_path):
    # object 1 in frames 0-1 only, object 2 everywhere; window 2 -> windows
    # [0, 1], [1, 2] (the last completed with an earlier frame)
    _write(tmp_path, {'v0': {1: {0, 1}, 2: {0, 1, 2}}})
    ds = RefYouTubeVOSDataset(data_root=str(tmp_path), window_size=2,
                              pipeline=_pipeline())
    # obj 1: both windows hold frame 1; obj 2: both windows
    assert len(ds) == 4
    out = ds[1]
    frames = list(out['data_samples'])
    meta = frames[0].metainfo
    assert meta['text'] == 'the object 1 on the left'  # cleaned
    assert meta['referred_instance_id'] == 1 and meta['exp_id'] == '0'
    assert [f.metainfo['frame_id'] for f in frames] == [1, 2]
    assert out['inputs'].shape == (2, 3, 12, 16)
    # training keeps every object of the frame; frame 2 lacks object 1
    assert frames[0].gt_instances.instances_ids.tolist() == [1, 2]
    assert frames[1].gt_instances.instances_ids.tolist() == [2]
    m = frames[0].gt_instances.masks.to_ndarray()
    assert m[0].sum() == 4 * 2 and m[1].sum() == 8 * 2


def test_meta_json_and_png_scan_agree(tmp_path):
    _write(tmp_path, {'v0': {1: {2}, 2: {0, 1, 2}}})
    kw = dict(data_root=str(tmp_path), window_size=1, pipeline=[])
    from_png = RefYouTubeVOSDataset(**kw)
    meta = dict(videos=dict(v0=dict(objects={
        '1': dict(category='x', frames=['00002']),
        '2': dict(category='x', frames=['00000', '00001', '00002'])})))
    with open(tmp_path / 'train' / 'meta.json', 'w') as f:
        json.dump(meta, f)
    from_meta = RefYouTubeVOSDataset(meta_file='train/meta.json', **kw)
    assert len(from_png) == len(from_meta) == 1 + 3
    def firsts(ds):
        return [ds.get_data_info(i)['images'][0]['frame_id']
                for i in range(len(ds))]

    assert firsts(from_png) == firsts(from_meta) == [2, 0, 1, 2]


def test_test_mode_whole_video_referred_only(tmp_path):
    _write(tmp_path, {'v0': {1: {0, 1}, 2: {0, 1, 2}}})
    ds = RefYouTubeVOSDataset(data_root=str(tmp_path), test_mode=True,
                              pipeline=_pipeline())
    assert len(ds) == 2  # one sample per expression
    frames = list(ds[0]['data_samples'])
    assert len(frames) == 3
    assert [len(f.gt_instances.masks) for f in frames] == [1, 1, 0]
    assert frames[0].metainfo['video_id'] == 'v0'


def test_flip_swaps_left_right(tmp_path):
    _write(tmp_path, {'v0': {1: {0, 1, 2}}})
    ds = RefYouTubeVOSDataset(data_root=str(tmp_path), window_size=3,
                              pipeline=_pipeline(flip_prob=1.0))
    frames = list(ds[0]['data_samples'])
    assert all(f.metainfo['text'] == 'the object 1 on the right'
               for f in frames)
    m = frames[0].gt_instances.masks.to_ndarray()[0]
    assert m[2:4, -4:].all() and m.sum() == 8  # mask flipped too


def test_valid_minus_test(tmp_path):
    _write(tmp_path, {'v0': {1: {0}}, 'v1': {1: {0}}})
    shutil.move(tmp_path / 'train', tmp_path / 'valid')
    ann = json.load(open(tmp_path / 'meta_expressions/train/'
                         'meta_expressions.json'))
    for split, vids in (('valid', ann['videos']),
                        ('test', {'v1': ann['videos']['v1']})):
        os.makedirs(tmp_path / 'meta_expressions' / split)
        for v in vids.values():
            for e in v['expressions'].values():
                e.pop('obj_id', None)
        with open(tmp_path / 'meta_expressions' / split /
                  'meta_expressions.json', 'w') as f:
            json.dump(dict(videos=vids), f)
    kw = dict(data_root=str(tmp_path), test_mode=True, pipeline=[],
              ann_file='meta_expressions/valid/meta_expressions.json',
              data_prefix=dict(img_path='valid/JPEGImages', ann_path=None))
    ds = RefYouTubeVOSDataset(
        exclude_ann_file='meta_expressions/test/meta_expressions.json', **kw)
    assert [ds.get_data_info(i)['video_name'] for i in range(len(ds))] == [
        'v0']
    assert ds[0]['instances'] == [[]] * 3  # no masks on the valid split
    with pytest.raises(DatasetFormatError, match='1 videos, expected 202'):
        RefYouTubeVOSDataset(
            exclude_ann_file='meta_expressions/test/meta_expressions.json',
            expected_num_videos=202, **kw)
    with pytest.raises(FileNotFoundError, match='exclude_ann_file=None'):
        RefYouTubeVOSDataset(exclude_ann_file='missing.json', **kw)


def test_bad_input_names_file_and_key(tmp_path):
    _write(tmp_path, {'v0': {1: {0}}})
    path = tmp_path / 'meta_expressions/train/meta_expressions.json'
    ann = json.load(open(path))
    ann['videos']['ghost'] = dict(frames=['00000'], expressions={
        '0': dict(exp='a cat', obj_id='1')})
    json.dump(ann, open(path, 'w'))
    with pytest.raises(DatasetFormatError,
                       match="video 'ghost' is not in the split"):
        RefYouTubeVOSDataset(data_root=str(tmp_path), pipeline=[])
    del ann['videos']['ghost']
    ann['videos']['v0']['expressions']['0']['exp'] = '   '
    json.dump(ann, open(path, 'w'))
    with pytest.raises(DatasetFormatError,
                       match="video 'v0' expression '0'.*empty"):
        RefYouTubeVOSDataset(data_root=str(tmp_path), pipeline=[])
    ann['videos']['v0']['expressions']['0'] = dict(exp='a dog')
    json.dump(ann, open(path, 'w'))
    with pytest.raises(DatasetFormatError, match='no "obj_id"'):
        RefYouTubeVOSDataset(data_root=str(tmp_path), pipeline=[])
    json.dump(dict(vids={}), open(path, 'w'))
    with pytest.raises(DatasetFormatError, match='no "videos" dict'):
        RefYouTubeVOSDataset(data_root=str(tmp_path), pipeline=[])


def test_missing_toy_expression_file_names_the_converter(tmp_path):
    ann = 'meta_expressions/train_all/meta_expressions.json'
    _write(tmp_path / 'ref_youtube_vos', {'v0': {1: {0}}})
    with pytest.raises(FileNotFoundError, match='file not found$'):
        RefYouTubeVOSDataset(data_root=str(tmp_path / 'ref_youtube_vos'),
                             ann_file=ann, pipeline=[])
    # the same folder inside a toy dataset (its stamp one level up): the
    # message names the tool that adds train_all to an older data/toy
    (tmp_path / 'toy_dataset.json').write_text('{}')
    with pytest.raises(FileNotFoundError,
                       match='train_all.*toy_ref_expressions.py .*'
                       'ref_youtube_vos'):
        RefYouTubeVOSDataset(data_root=str(tmp_path / 'ref_youtube_vos'),
                             ann_file=ann, pipeline=[])


def test_ref_davis_layout(tmp_path):
    _write(tmp_path, {'v0': {1: {0, 1, 2}, 2: {1, 2}}})
    shutil.move(tmp_path / 'train', tmp_path / 'valid')
    shutil.move(tmp_path / 'meta_expressions' / 'train',
                tmp_path / 'meta_expressions' / 'valid')
    ds = RefDAVISDataset(data_root=str(tmp_path), pipeline=_pipeline())
    assert ds.test_mode and len(ds) == 2
    frames = list(ds[1]['data_samples'])
    assert frames[0].metainfo['obj_id'] == 2
    assert [len(f.gt_instances.masks) for f in frames] == [0, 1, 1]


def test_toy_ref_youtube_vos(toy_root):
    root = str(toy_root / 'ref_youtube_vos')
    train = RefYouTubeVOSDataset(data_root=root, window_size=4,
                                 meta_file='train/meta.json', pipeline=[])
    assert len(train) > 0
    valid = RefYouTubeVOSDataset(
        data_root=root, test_mode=True, pipeline=_pipeline(),
        ann_file='valid_gt/meta_expressions.json',
        data_prefix=dict(img_path='valid/JPEGImages',
                         ann_path='valid_gt/Annotations'))
    frames = list(valid[0]['data_samples'])
    assert all(len(f.gt_instances.masks) <= 1 for f in frames)
    assert any(len(f.gt_instances.masks) == 1 for f in frames)
