# Copyright (c) mmvidseg contributors. All rights reserved.
"""The toy KITTI-MOTS / BURST writers decode back to the rendered frames."""
import os.path as osp

import numpy as np
import pycocotools.mask as mask_utils

from mmvidseg.datasets.toy import BURST_CATEGORIES, TOY_PRESETS

from ._files import _load, _png

TINY = TOY_PRESETS['tiny']


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
