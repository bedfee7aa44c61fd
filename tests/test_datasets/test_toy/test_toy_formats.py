# Copyright (c) mmvidseg contributors. All rights reserved.
"""Each toy format decodes back to the rendered ground truth."""
import json
import os.path as osp

import numpy as np
import pycocotools.mask as mask_utils
import pytest
from PIL import Image

from mmvidseg.datasets.toy import (BURST_CATEGORIES, DAVIS_PALETTE,
                                   TOY_PRESETS, VIPSEG_CATEGORIES,
                                   render_dataset)

TINY = TOY_PRESETS['tiny']


@pytest.fixture(scope='module')


def videos():
    return {v.name: v for v in render_dataset(TINY, 0)}


def _load(path):
    with open(path) as f:
        return json.load(f)


def _png(path) -> np.ndarray:
    return np.array(Image.open(path))


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


def test_kitti_step(tiny_root, videos):
    seqs = {'train_0000': ('train', '0000'), 'valid_0001': ('val', '0005')}
    for name, (split, seq) in seqs.items():
        video = videos[name]
        for t in range(video.num_frames):
            pan = _png(osp.join(tiny_root, 'kitti_step', 'panoptic_maps',
                                split, seq, f'{t:06d}.png')).astype(int)
            semantic, ids = pan[..., 0], pan[..., 1] * 256 + pan[..., 2]
            np.testing.assert_array_equal(ids, video.id_maps[t])
            np.testing.assert_array_equal(semantic, video.semantic_maps()[t])
            for obj in video.objects:
                assert (semantic[ids == obj.local_id] == 2 +
                        obj.category_id).all()
            image = _png(osp.join(tiny_root, 'kitti_step', 'images', split,
                                  seq, f'{t:06d}.png'))
            np.testing.assert_array_equal(image, video.frames[t])


def test_vipseg(tiny_root, videos):
    root = osp.join(tiny_root, 'vipseg', 'VIPSeg_720P')
    assert _load(osp.join(root, 'panoVIPSeg_categories.json')) == (
        VIPSEG_CATEGORIES)
    gt = _load(osp.join(root, 'panoptic_gt_VIPSeg_val.json'))
    with open(osp.join(root, 'val.txt')) as f:
        assert f.read().split() == [v['video_id'] for v in gt['videos']]
    isthing = {c['id']: c['isthing'] for c in gt['categories']}
    for video_ann in gt['annotations']:
        video = videos[video_ann['video_id']]
        segment_category = {}
        for t, frame_ann in enumerate(video_ann['annotations']):
            raw = _png(osp.join(root, 'panomasks', video.name,
                                frame_ann['file_name'])).astype(int)
            rgb = _png(osp.join(root, 'panomasksRGB', video.name,
                                frame_ann['file_name'])).astype(int)
            seg_ids = rgb[..., 0] + 256 * rgb[..., 1] + 65536 * rgb[..., 2]
            segments = {s['id']: s for s in frame_ann['segments_info']}
            assert set(np.unique(seg_ids)) == set(segments)
            for seg_id, seg in segments.items():
                # Segment ids keep their category over the whole video.
                assert segment_category.setdefault(seg_id,
                                                   seg['category_id']) == (
                                                       seg['category_id'])
                assert seg['area'] == (seg_ids == seg_id).sum()
                values = np.unique(raw[seg_ids == seg_id])
                assert len(values) == 1
                value = int(values[0])
                category = value - 1 if value < 125 else value // 100 - 1
                assert category == seg['category_id']
                assert isthing[category] == (value >= 125)
            for obj in video.objects:
                mask = video.masks(obj.local_id)[t]
                if mask.any():
                    assert (raw[mask] // 100 - 1 == 2 +
                            obj.category_id).all()
            np.testing.assert_array_equal(raw >= 125, video.id_maps[t] > 0)


def test_kitti_mots(tiny_root, videos):
    root = osp.join(tiny_root, 'kitti_mots')
    with open(osp.join(root, 'val.seqmap')) as f:
        assert f.read().splitlines() == [
            '0004 empty 000000 000004', '0005 empty 000000 000004'
        ]
    video = videos['valid_0000']
    with open(osp.join(root, 'instances_txt', '0004.txt')) as f:
        lines = [line.split(' ') for line in f.read().splitlines()]
    expected = sum(video.masks(o.local_id)[t].any() for o in video.objects
                   for t in range(video.num_frames))
    assert len(lines) == expected
    for frame, obj_id, class_id, h, w, rle in lines:
        obj = video.objects[int(obj_id) % 1000 - 1]
        assert int(obj_id) // 1000 == int(class_id) == obj.category_id
        mask = mask_utils.decode(
            dict(size=[int(h), int(w)], counts=rle.encode()))
        np.testing.assert_array_equal(mask,
                                      video.masks(obj.local_id)[int(frame)])
    png = _png(osp.join(root, 'instances', '0004', '000002.png'))
    assert png.dtype == np.uint16
    np.testing.assert_array_equal(png % 1000, video.id_maps[2])


def test_burst(tiny_root, videos):
    root = osp.join(tiny_root, 'burst')
    val = _load(osp.join(root, 'annotations', 'val', 'all_classes.json'))
    first = _load(osp.join(root, 'annotations', 'val',
                           'first_frame_annotations.json'))
    assert val['split'] == 'val' and val['categories'] == BURST_CATEGORIES
    for seq, seq_first in zip(val['sequences'], first['sequences']):
        video = videos[seq['seq_name']]
        assert len(seq['all_image_paths']) == video.num_frames
        annotated = [int(p[:-4]) for p in seq['annotated_image_paths']]
        assert annotated == list(range(0, video.num_frames,
                                       TINY.burst_annotation_stride))
        assert len(seq['segmentations']) == len(annotated)
        for p in seq['all_image_paths']:
            assert osp.isfile(osp.join(root, 'frames', 'val', seq['dataset'],
                                       seq['seq_name'], p))
        seen = set()
        for t, frame_segs, first_segs in zip(annotated, seq['segmentations'],
                                             seq_first['segmentations']):
            for track_id, obj in ((str(o.local_id), o) for o in video.objects):
                mask = video.masks(obj.local_id)[t]
                assert (track_id in frame_segs) == bool(mask.any())
                if track_id not in frame_segs:
                    continue
                assert seq['track_category_ids'][track_id] == obj.category_id
                decoded = mask_utils.decode(
                    dict(size=[seq['height'], seq['width']],
                         counts=frame_segs[track_id]['rle'].encode()))
                np.testing.assert_array_equal(decoded, mask)
                assert (track_id in first_segs) == (track_id not in seen)
                if track_id not in seen:
                    x, y = first_segs[track_id]['point']
                    assert mask[y, x]
                    bx, by, bw, bh = first_segs[track_id]['bbox']
                    assert mask[by:by + bh, bx:bx + bw].sum() == mask.sum()
                seen.add(track_id)


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
