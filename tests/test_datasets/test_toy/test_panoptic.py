# Copyright (c) mmvidseg contributors. All rights reserved.
"""The toy KITTI-STEP / VIPSeg writers decode back to the rendered frames."""
import os.path as osp

import numpy as np

from mmvidseg.datasets.toy import VIPSEG_CATEGORIES

from ._files import _load, _png


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
