# Copyright (c) mmvidseg contributors. All rights reserved.
import copy
import json
import os.path as osp
import sys

import pytest

from mmvidseg.structures.masks import encode_mask, rle_area
from mmvidseg.datasets import (DAVISDataset, KITTIMOTSDataset,
                               StemSegJSONDataset)
from mmvidseg.datasets._instance_utils import DatasetFormatError
from mmvidseg.utils import register_all_modules

register_all_modules()
sys.path.insert(0, osp.join(osp.dirname(__file__), '../../tools'))
from dataset_converters import stemseg_json as tool  # noqa: E402


def _strip(videos):
    """(name, per frame [(label, ignore, counts)]) of dataset items."""
    return [(v['video_name'],
             [sorted((i['bbox_label'], i['ignore_flag'], i['mask']['counts'])
                     for i in f['instances']) for f in v['images']],
             [osp.abspath(f['img_path']) for f in v['images']])
            for v in videos]


def test_davis_round_trip(toy_root, tmp_path):
    root = str(toy_root / 'davis' / 'DAVIS')
    out = str(tmp_path / 'davis_val.json')
    assert tool.main(['davis', '--root', root, '--split', 'val', '--out',
                      out]) == 0
    raw = json.load(open(out))
    assert raw['meta'] == {'category_labels': {'1': 'object'}}
    seq = raw['sequences'][0]
    assert set(seq) == {'id', 'height', 'width', 'image_paths',
                        'categories', 'segmentations'}
    assert seq['image_paths'][0] == f'{seq["id"]}/00000.jpg'
    base = osp.join(root, 'JPEGImages', '480p')
    ds = StemSegJSONDataset(ann_file=out, data_prefix=dict(img_path=base),
                            test_mode=True, serialize_data=False)
    ref = DAVISDataset(data_root=root, split='val', test_mode=True,
                       serialize_data=False)
    assert ds.metainfo['classes'] == ('object', )
    assert _strip(ds.data_list) == _strip(ref.data_list)
    # the output is not replaced without --overwrite
    assert tool.main(['davis', '--root', root, '--split', 'val', '--out',
                      out]) == 1


def test_kitti_round_trip_with_split(toy_root, tmp_path):
    from ._kitti_mots_files import _box, _write_seq
    root = str(tmp_path / 'kitti')
    car, ign = _box(0, 3, 0, 4), _box(5, 8, 0, 3)
    _write_seq(root, '0004', [[(1001, car), (10000, ign)]] +
               [[(10000, ign)]] * 6 + [[(1001, car)]] * 2)
    with open(osp.join(root, 'train.seqmap'), 'w') as f:
        f.write('0004 empty 000000 000008\n')
    out = str(tmp_path / 'kittimots_train.json')
    tool.main(['kitti_mots', '--root', root, '--seqmap', 'train.seqmap',
               '--out', out])
    raw = json.load(open(out))
    assert raw['meta']['category_labels'] == {'1': 'car', '2': 'pedestrian',
                                              '3': 'ignore'}
    assert raw['sequences'][0]['categories'] == {'1': 1, '2': 3}
    kw = dict(ann_file=out, ignore_category_ids=(3, ),
              data_prefix=dict(img_path=osp.join(root, 'training/image_02')),
              serialize_data=False)
    ds = StemSegJSONDataset(split_gap=6, **kw)
    ref = KITTIMOTSDataset(data_root=root, ann_file='train.seqmap',
                           serialize_data=False)
    assert ds.metainfo['classes'] == ('car', 'pedestrian')
    assert [v['video_name'] for v in ds.data_list] == ['0004_1', '0004_2']
    assert _strip(ds.data_list) == _strip(ref.data_list)
    test = StemSegJSONDataset(test_mode=True, **kw)
    assert [v['video_length'] for v in test.data_list] == [9]


def test_ytvis_conversion(toy_ytvis_root, tmp_path):
    out = str(tmp_path / 'y.json')
    tool.main(['youtube_vis', '--root', str(toy_ytvis_root), '--ann-file',
               'train.json', '--img-dir', 'train/JPEGImages', '--out', out])
    gt = json.load(open(osp.join(toy_ytvis_root, 'train.json')))
    ds = StemSegJSONDataset(
        ann_file=out, test_mode=True, serialize_data=False,
        data_prefix=dict(img_path=str(toy_ytvis_root / 'train/JPEGImages')))
    assert ds.metainfo['classes'] == tuple(
        c['name'] for c in sorted(gt['categories'], key=lambda c: c['id']))
    assert len(ds) == len(gt['videos'])
    num_masks = sum(1 for a in gt['annotations'] for s in a['segmentations']
                    if s is not None and _area(s) > 0)
    assert sum(len(f['instances']) for v in ds.data_list
               for f in v['images']) == num_masks


def _area(seg):
    return rle_area(seg)


@pytest.fixture
def small_json(tmp_path):
    import numpy as np
    m = np.zeros((4, 5), np.uint8)
    m[1:3, 2:4] = 1
    counts = encode_mask(m)['counts']
    for t in range(2):
        open(tmp_path / f'{t}.jpg', 'wb').close()
    return dict(meta=dict(category_labels={'1': 'a', '2': 'b'}),
                sequences=[dict(id='s0', height=4, width=5,
                                image_paths=['0.jpg', '1.jpg'],
                                categories={'7': 2},
                                segmentations=[{'7': counts}, {}])])


def _load(tmp_path, data, **kw):
    path = str(tmp_path / 'x.json')
    with open(path, 'w') as f:
        json.dump(data, f)
    return StemSegJSONDataset(ann_file=path, serialize_data=False,
                              data_prefix=dict(img_path=str(tmp_path)), **kw)


def test_reader_small(tmp_path, small_json):
    ds = _load(tmp_path, small_json, test_mode=True)
    inst = ds.data_list[0]['images'][0]['instances'][0]
    assert (inst['bbox_label'], inst['bbox'], inst['instance_id']) == \
        (1, [2., 1., 4., 3.], 1)
    assert ds.data_list[0]['images'][1]['instances'] == []
    train = _load(tmp_path, small_json)  # drops the empty frame
    assert train.data_list[0]['video_length'] == 1
    no_anns = copy.deepcopy(small_json)
    del no_anns['sequences'][0]['segmentations']
    ds = _load(tmp_path, no_anns, test_mode=True)
    assert ds.data_list[0]['video_length'] == 2


@pytest.mark.parametrize('edit,match', [
    (lambda d: d.pop('meta'), 'missing top-level key "meta"'),
    (lambda d: d['sequences'][0].pop('height'),
     "sequence 's0': missing field \"height\""),
    (lambda d: d['sequences'][0]['categories'].update({'8': 1}),
     r"sequence 's0': instance ids in \"segmentations\" \[7\] differ"),
    (lambda d: d['sequences'][0]['segmentations'].pop(),
     "sequence 's0': 1 \"segmentations\" entries but 2"),
    (lambda d: d['sequences'][0]['categories'].update({'7': 5}),
     r'category ids \[5\] are not in meta'),
    (lambda d: d['sequences'][0]['segmentations'][0].update({'7': '9'}),
     "sequence 's0': frame 0 instance 7: RLE counts cover"),
    (lambda d: d['sequences'][0]['image_paths'].__setitem__(1, 'no.jpg'),
     "sequence 's0' frame 1: .*no.jpg does not exist"),
])
def test_reader_malformed(tmp_path, small_json, edit, match):
    edit(small_json)
    with pytest.raises(DatasetFormatError, match=match):
        _load(tmp_path, small_json, test_mode=True)


def test_reader_not_json(tmp_path):
    path = tmp_path / 'x.json'
    path.write_text('{"meta": ')
    with pytest.raises(DatasetFormatError, match='x.json: not a valid JSON'):
        StemSegJSONDataset(ann_file=str(path))
