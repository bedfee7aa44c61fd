# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViSVOSClips: the reference's seeded VOS sample draw."""
import collections

import pytest
from mmengine.registry import DefaultScope

from mmvidseg.datasets import TarViSVOSClips

PIPELINE = [
    dict(type='VideoClipSample', mode='all', num_frames=3),
    dict(type='TransformBroadcaster', share_random_params=True,
         transforms=[dict(type='LoadImageFromFile'),
                     dict(type='LoadTrackAnnotations', with_mask=True)]),
    dict(type='PackTrackInputs')
]


@pytest.fixture(autouse=True)
def _scope():
    with DefaultScope.overwrite_default_scope('mmvidseg'):
        yield


def _davis(toy_root):
    return dict(type='DAVISDataset', data_root=str(toy_root / 'davis/DAVIS'),
                task='semi-supervised', split='train', with_void=False,
                filter_cfg=dict(filter_empty_gt=False))


def test_clips_follow_the_reference_draw(toy_root):
    ds = TarViSVOSClips(_davis(toy_root), num_samples=30, clip_length=2,
                        frame_sampling_factor=2.0, max_num_objects=4,
                        pipeline=PIPELINE)
    again = TarViSVOSClips(_davis(toy_root), num_samples=30, clip_length=2,
                           frame_sampling_factor=2.0, pipeline=PIPELINE)
    assert len(ds) == 30
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [d['images'][0]['img_path'] for d in infos] == \
        [again.get_data_info(i)['images'][0]['img_path']
         for i in range(len(again))]  # seeded
    counts = ds.sample_num_objects()
    # counts in blocks, highest first, equal shares of the available ones
    assert counts == sorted(counts, reverse=True)
    shares = collections.Counter(counts)
    assert max(shares.values()) - min(shares.values()) <= \
        30 // len(shares) + 1
    span = round(2.0 * 2)
    for d, n in zip(infos, counts):
        ref, other = d['images']
        assert 0 < other['frame_id'] - ref['frame_id'] < span
        ids = {i['instance_id'] for i in ref['instances']}
        assert len(ids) == n  # the reference frame holds all n objects
        assert {i['instance_id'] for i in other['instances']} <= ids
    out = ds[0]
    frames = out['data_samples'].video_data_samples
    assert len(frames) == 2
    assert len(frames[0].gt_instances) == counts[0]
