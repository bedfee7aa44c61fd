# Copyright (c) mmvidseg contributors. All rights reserved.
import random

import pytest

from mmvidseg.datasets.transforms import ReferenceFrameClipSample


def video(flags, key='has_things'):
    frames = []
    for t, flag in enumerate(flags):
        f = dict(frame_id=t, img_id=t, instances=[])
        if key == 'has_things':
            f['has_things'] = flag
        elif flag:
            f['instances'] = [dict(ignore_flag=0)]
        frames.append(f)
    return dict(video_id=0, video_length=len(frames), images=frames)


@pytest.mark.parametrize('key', ['has_things', 'instances'])
def test_reference_frame_and_window(key):
    random.seed(0)
    flags = [False] * 20
    flags[10] = True  # the only frame with a thing
    sampler = ReferenceFrameClipSample(num_frames=3, sampling_factor=1.0)
    for _ in range(20):
        out = sampler.transform(video(flags, key))
        ids = out['frame_id']
        assert ids == sorted(ids) and len(set(ids)) == 3
        assert 10 in ids and all(abs(t - 10) <= 3 for t in ids)
        assert ids[out['key_frame_flags'].index(True)] == 10


def test_consecutive_and_short_video():
    random.seed(1)
    sampler = ReferenceFrameClipSample(num_frames=3, consecutive=True)
    for _ in range(10):
        ids = sampler.transform(video([True] * 6))['frame_id']
        assert ids == list(range(ids[0], ids[0] + 3))
    # a 2-frame video repeats a frame (upstream random.sample raises)
    short = ReferenceFrameClipSample(num_frames=3, sampling_factor=2.0)
    ids = short.transform(video([True, True]))['frame_id']
    assert len(ids) == 3 and set(ids) == {0, 1}
    with pytest.raises(ValueError, match='sampling_factor'):
        ReferenceFrameClipSample(sampling_factor=0.5)
