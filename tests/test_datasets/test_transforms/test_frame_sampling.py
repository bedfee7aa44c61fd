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


RESIZE_MODES = [
    # TeViT's default 'range' mode: long edge 640-960, short edge 360-480
    dict(type='RandomResize', scale=[(640, 360), (960, 480)],
         keep_ratio=True),
    # TeViT's "mstrain" 'value' mode: one of the listed scales
    dict(type='RandomChoiceResize', scales=[(640, 360), (960, 480)],
         keep_ratio=True),
]


@pytest.mark.parametrize('resize', RESIZE_MODES,
                         ids=['range', 'value'])
def test_clip_consistent_resize_flip_crop(resize):
    """Resize, flip and crop parameters are drawn once per clip."""
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    from mmvidseg.registry import TRANSFORMS
    pipe = TransformBroadcaster(
        share_random_params=True,
        transforms=[
            TRANSFORMS.build(resize),
            TRANSFORMS.build(dict(type='RandomFlip', prob=0.5)),
            TRANSFORMS.build(dict(type='RandomCrop', crop_size=(0.8, 0.8),
                                  crop_type='relative_range')),
        ])
    random.seed(0)
    np.random.seed(0)
    shapes, flips = set(), set()
    for _ in range(12):
        base = np.random.randint(0, 255, (90, 160, 3), np.uint8)
        imgs = [base.copy() for _ in range(4)]  # identical frames ...
        out = pipe(dict(img=imgs, img_shape=[(90, 160)] * 4,
                        ori_shape=[(90, 160)] * 4))
        # ... stay identical: same scale, same flip, same crop window
        assert all(np.array_equal(out['img'][0], x) for x in out['img'])
        assert len(set(out['flip'])) == 1
        shapes.add(out['img'][0].shape)
        flips.add(out['flip'][0])
    assert len(shapes) > 1 and flips == {True, False}
