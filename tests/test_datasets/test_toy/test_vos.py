# Copyright (c) mmvidseg contributors. All rights reserved.
"""The toy DAVIS / Ref-YouTube-VOS writers decode back to the rendered
frames."""
import os.path as osp

import numpy as np
from PIL import Image

from mmvidseg.datasets.toy import DAVIS_PALETTE

from ._files import _load


def test_davis(tiny_root, videos):
    root = osp.join(tiny_root, 'davis', 'DAVIS')
    with open(osp.join(root, 'ImageSets', '2017', 'val.txt')) as f:
        assert f.read().split() == ['valid_0000', 'valid_0001']
    for name, video in videos.items():
        for ann_dir in ('Annotations', 'Annotations_unsupervised'):
            for t in range(video.num_frames):
                image = Image.open(
                    osp.join(root, ann_dir, '480p', name, f'{t:05d}.png'))
                assert image.mode == 'P'
                assert image.getpalette()[:len(DAVIS_PALETTE)] == (
                    DAVIS_PALETTE[:len(image.getpalette())])
                index = np.array(image)
                for obj in video.objects:  # index k = k-th YTVIS annotation
                    np.testing.assert_array_equal(index == obj.local_id,
                                                  video.masks(obj.local_id)[t])
        assert osp.isfile(osp.join(root, 'JPEGImages', '480p', name,
                                   '00004.jpg'))
    assert DAVIS_PALETTE[3:9] == [128, 0, 0, 0, 128, 0]


def test_ref_youtube_vos(tiny_root, videos):
    root = osp.join(tiny_root, 'ref_youtube_vos')
    train = _load(
        osp.join(root, 'meta_expressions', 'train', 'meta_expressions.json'))
    valid = _load(
        osp.join(root, 'meta_expressions', 'valid', 'meta_expressions.json'))
    meta = _load(osp.join(root, 'train', 'meta.json'))
    assert sorted(valid['videos']) == ['valid_0000', 'valid_0001']
    for entry in valid['videos'].values():
        assert all('obj_id' not in e for e in entry['expressions'].values())
    for name, entry in train['videos'].items():
        video = videos[name]
        assert entry['frames'] == [f'{t:05d}' for t in range(5)]
        texts = [e['exp'] for e in entry['expressions'].values()]
        assert len(set(texts)) == len(texts)
        for exp in entry['expressions'].values():
            obj = video.objects[int(exp['obj_id']) - 1]
            assert exp['exp'] in obj.expressions
            frames = meta['videos'][name]['objects'][exp['obj_id']]['frames']
            for t, stem in enumerate(entry['frames']):
                mask = np.array(
                    Image.open(
                        osp.join(root, 'train', 'Annotations', name,
                                 f'{stem}.png'))) == obj.local_id
                np.testing.assert_array_equal(mask,
                                              video.masks(obj.local_id)[t])
                assert (stem in frames) == bool(mask.any())


def test_ref_youtube_vos_unique_expression_files(tiny_root, videos):
    from mmvidseg.datasets.toy.expressions import _refers
    from mmvidseg.datasets.toy.vos import kind_keys
    root = osp.join(tiny_root, 'ref_youtube_vos')
    train = _load(
        osp.join(root, 'meta_expressions', 'train', 'meta_expressions.json'))
    train_all = _load(osp.join(root, 'meta_expressions', 'train_all',
                               'meta_expressions.json'))
    assert sorted(train_all['videos']) == sorted(train['videos'])
    for name, entry in train_all['videos'].items():
        assert entry['frames'] == train['videos'][name]['frames']
        pairs = {(e['exp'], e['obj_id'])
                 for e in entry['expressions'].values()}
        assert {(e['exp'], e['obj_id']) for e in
                train['videos'][name]['expressions'].values()} <= pairs
        for text, obj_id in pairs:
            assert [str(o.local_id) for o in videos[name].objects
                    if _refers(text, o)] == [obj_id]
    gt = _load(osp.join(root, 'valid_gt', 'meta_expressions.json'))
    for key in kind_keys():
        kind = _load(osp.join(root, 'valid_gt', 'kinds', f'{key}.json'))
        assert set(kind['videos']) <= set(gt['videos'])
        for name, entry in kind['videos'].items():
            for e in entry['expressions'].values():
                n_words = {'class': 2, 'motion': 4, 'colour': 3, 'full': 5}
                assert len(e['exp'].split()) == n_words[key.split('_')[0]]
                if key == 'colour':
                    obj = videos[name].objects[int(e['obj_id']) - 1]
                    assert e['exp'] == f'the {obj.colour} {obj.class_name}'
