# Copyright (c) mmvidseg contributors. All rights reserved.
import dataclasses
import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest

from mmvidseg.datasets.toy import (OBJECT_COLOURS, TOY_PRESETS, render_dataset,
                                   render_video)

TINY = TOY_PRESETS['tiny']
_DIGEST = (
    'import hashlib\n'
    'from mmvidseg.datasets.toy import TOY_PRESETS, render_dataset\n'
    'h = hashlib.sha1()\n'
    'for v in render_dataset(TOY_PRESETS["tiny"], 0):\n'
    '    h.update(v.frames.tobytes()); h.update(v.id_maps.tobytes())\n'
    '    h.update(repr([o.expressions for o in v.objects]).encode())\n'
    'print(h.hexdigest())\n')


def test_render_is_deterministic():
    a = render_video(TINY, 0, 'train', 1)
    b = render_video(TINY, 0, 'train', 1)
    c = render_video(TINY, 1, 'train', 1)
    np.testing.assert_array_equal(a.frames, b.frames)
    np.testing.assert_array_equal(a.id_maps, b.id_maps)
    assert [dataclasses.asdict(o) for o in a.objects] == [
        dataclasses.asdict(o) for o in b.objects]
    assert not np.array_equal(a.frames, c.frames)
    # A video does not depend on how many videos the dataset has.
    more = dataclasses.replace(TINY, num_train_videos=7)
    np.testing.assert_array_equal(
        render_video(more, 0, 'train', 1).frames, a.frames)


def test_render_is_deterministic_across_processes():
    """Same bytes whatever PYTHONHASHSEED (no set / hash order leaks)."""
    procs = [
        subprocess.Popen([sys.executable, '-c', _DIGEST],
                         stdout=subprocess.PIPE,
                         env=dict(os.environ, PYTHONHASHSEED=str(s)))
        for s in (1, 2)
    ]
    digests = [p.communicate(timeout=300)[0].decode().strip() for p in procs]
    h = hashlib.sha1()
    for v in render_dataset(TINY, 0):
        h.update(v.frames.tobytes())
        h.update(v.id_maps.tobytes())
        h.update(repr([o.expressions for o in v.objects]).encode())
    assert digests == [h.hexdigest()] * 2


def test_video_content():
    videos = render_dataset(TINY, 0)
    assert [v.name for v in videos] == [
        'train_0000', 'train_0001', 'train_0002', 'train_0003', 'valid_0000',
        'valid_0001'
    ]
    ids = [o.instance_id for v in videos for o in v.objects]
    assert ids == list(range(1, len(ids) + 1))
    for video in videos:
        assert video.frames.shape == (5, 64, 64, 3)
        assert video.frames.dtype == np.uint8
        assert video.id_maps.shape == (5, 64, 64)
        assert [o.local_id for o in video.objects] == list(
            range(1, len(video.objects) + 1))
        assert set(np.unique(video.id_maps)) <= set(
            range(len(video.objects) + 1))
        colours = [o.colour for o in video.objects]
        assert len(set(colours)) == len(colours)
        for obj in video.objects:
            masks = video.masks(obj.local_id)  # (T, H, W)
            present = masks.any(axis=(1, 2))
            assert present.sum() >= TINY.min_visible_frames
            areas = masks.sum(axis=(1, 2))
            assert (areas[present] >= TINY.min_visible_pixels).all()
            # Object pixels carry the object's colour (up to texture noise).
            mean = video.frames[masks].mean(axis=0)
            assert np.abs(mean - OBJECT_COLOURS[obj.colour]).max() < 25
        sem = video.semantic_maps()
        assert sem.shape == (5, 64, 64)
        np.testing.assert_array_equal(sem[video.id_maps == 0],
                                      np.broadcast_to(
                                          video.stuff_map,
                                          sem.shape)[video.id_maps == 0])
        assert (sem[video.id_maps > 0] >= 3).all()


def test_default_has_absent_frames_and_moving_objects():
    videos = render_dataset(dataclasses.replace(
        TOY_PRESETS['default'], num_train_videos=20, num_val_videos=1), 0)
    objects = [(v, o) for v in videos for o in v.objects]
    absent = [not v.masks(o.local_id).any(axis=(1, 2)).all()
              for v, o in objects]
    assert 0 < sum(absent) < len(objects)
    for video, obj in objects:
        ys, xs = np.nonzero(video.masks(obj.local_id).any(axis=0))
        assert xs.max() - xs.min() > 0 and ys.max() - ys.min() > 0


@pytest.mark.parametrize('preset,expect_same_class', [('default', True),
                                                      ('distinct', False)])
def test_same_class_objects(preset, expect_same_class):
    videos = render_dataset(TOY_PRESETS[preset], 0)
    same = [len({o.category_id for o in v.objects}) < len(v.objects)
            for v in videos]
    if expect_same_class:
        # Two objects of one class share a video in a good share of videos.
        assert sum(same) >= len(videos) // 4
    else:
        assert not any(same)


def test_colours_come_from_the_class_family():
    """Classes have typical colours (learnable in minutes on a CPU), and a
    video never repeats a colour."""
    from mmvidseg.datasets.toy import CLASS_COLOURS, render_dataset
    videos = render_dataset(TOY_PRESETS['default'], seed=3)
    for video in videos:
        counts = {}
        for obj in video.objects:
            counts[obj.class_name] = counts.get(obj.class_name, 0) + 1
        for obj in video.objects:
            if counts[obj.class_name] <= len(CLASS_COLOURS[obj.class_name]):
                assert obj.colour in CLASS_COLOURS[obj.class_name]
