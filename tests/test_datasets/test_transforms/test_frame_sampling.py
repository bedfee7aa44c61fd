# Copyright (c) mmvidseg contributors. All rights reserved.
import random

import numpy as np
import pytest
from mmcv.transforms import TransformBroadcaster

from mmvidseg.datasets.transforms import VideoClipSample


def _video(n, video_id=7):
    return dict(
        video_id=video_id,
        video_length=n,
        images=[dict(frame_id=i, img_id=i) for i in range(n)])


@pytest.mark.parametrize('mode', ['random_unordered', 'random_ordered'])
def test_random_modes_sample_distinct_frames(mode):
    random.seed(0)
    sampler = VideoClipSample(num_frames=5, mode=mode)
    orders = set()
    for _ in range(50):
        out = sampler(_video(12))
        ids = out['frame_id']
        assert len(ids) == 5 and len(set(ids)) == 5
        assert out['key_frame_flags'] == [True] + [False] * 4
        assert out['video_length'] == [5] * 5
        assert out['ori_video_length'] == [12] * 5
        orders.add(ids == sorted(ids))
    # unordered clips come in arbitrary order (as TeViT), ordered ones sorted
    assert orders == ({True, False} if mode == 'random_unordered' else {True})


def test_consecutive_window_and_interval():
    random.seed(1)
    sampler = VideoClipSample(num_frames=3, mode='consecutive',
                              frame_interval=2)
    for _ in range(20):
        ids = sampler(_video(10))['frame_id']
        assert np.all(np.diff(ids) == 2) and ids[-1] <= 9


def test_all_mode_is_the_whole_video():
    out = VideoClipSample(mode='all')(_video(4))
    assert out['frame_id'] == [0, 1, 2, 3]


def test_short_video_repeats_or_fails():
    random.seed(2)
    out = VideoClipSample(num_frames=5)(_video(2))
    assert len(out['frame_id']) == 5 and set(out['frame_id']) == {0, 1}
    assert sum(out['key_frame_flags']) == 1
    out = VideoClipSample(num_frames=4, mode='consecutive')(_video(2))
    assert out['frame_id'] == [0, 1, 1, 1]
    with pytest.raises(ValueError, match='video 7 has 2 usable frame'):
        VideoClipSample(num_frames=5, allow_repeat=False)(_video(2))


def test_bad_arguments():
    with pytest.raises(ValueError, match='mode must be one of'):
        VideoClipSample(mode='sorted')
    with pytest.raises(ValueError, match='>= 1'):
        VideoClipSample(num_frames=0)


def test_clip_consistent_resize_and_flip():
    """RandomResize (range mode) and RandomFlip draw once per clip."""
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    from mmvidseg.registry import TRANSFORMS
    pipe = TransformBroadcaster(
        share_random_params=True,
        transforms=[
            TRANSFORMS.build(
                dict(type='RandomResize', scale=[(640, 360), (960, 480)],
                     keep_ratio=True)),
            TRANSFORMS.build(dict(type='RandomFlip', prob=0.5)),
        ])
    random.seed(0)
    np.random.seed(0)
    shapes, flips = set(), set()
    for _ in range(12):
        imgs = [np.random.randint(0, 255, (90, 160, 3), np.uint8)
                for _ in range(4)]
        out = pipe(dict(img=imgs, img_shape=[(90, 160)] * 4,
                        ori_shape=[(90, 160)] * 4))
        assert len({tuple(i.shape) for i in out['img']}) == 1
        assert len(set(out['flip'])) == 1
        shapes.add(out['img'][0].shape)
        flips.add(out['flip'][0])
    assert len(shapes) > 1 and flips == {True, False}
