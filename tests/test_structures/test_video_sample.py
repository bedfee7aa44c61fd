# Copyright (c) mmvidseg contributors. All rights reserved.
import numpy as np
import pytest
from mmdet.structures import DetDataSample, TrackDataSample

from mmvidseg.structures.video_sample import (FrameOrder, flatten,
                                              frame_file_stem, gt_instances,
                                              group_by_video, require,
                                              sample_frames)


def test_sample_frames_of_track_and_frame_samples():
    frames = []
    for t in range(3):
        s = DetDataSample()
        s.set_metainfo(dict(video_id=4, frame_id=t))
        frames.append(s)
    track = TrackDataSample()
    track.video_data_samples = frames
    out = sample_frames(track)
    assert [f['frame_id'] for f in out] == [0, 1, 2]
    assert all(f['video_length'] == 3 and f['video_id'] == 4 for f in out)
    # a frame-level sample is its own single frame
    single = sample_frames(dict(video_id=1, frame_id=0))
    assert single == [dict(video_id=1, frame_id=0)]
    assert flatten([[1, 2], [], [3]]) == [1, 2, 3]


def test_frame_order_group_and_stem():
    order = FrameOrder()
    ids = [order.frame_id(dict(video_id=v)) for v in ('a', 'a', 'b', 'a')]
    assert ids == [0, 1, 0, 2]
    assert order.frame_id(dict(video_id='a', frame_id=7)) == 7
    assert order.frame_id(dict(video_id='a')) == 8
    with pytest.raises(KeyError, match='video_id'):
        order.frame_id(dict(frame_id=0))
    recs = [dict(video_id='b', frame_id=1, n=0),
            dict(video_id='a', frame_id=0, n=1),
            dict(video_id='b', frame_id=0, n=2),
            dict(video_id='b', frame_id=1, n=3)]  # a padding copy
    grouped = group_by_video(recs)
    assert list(grouped) == ['b', 'a']  # first-arrival order
    assert [r['n'] for r in grouped['b']] == [2, 0]  # sorted, first kept
    assert frame_file_stem(dict(img_path='x/y/00012.jpg')) == '00012'
    assert frame_file_stem(dict(frame_id=3)) == '000003'
    assert require(dict(k=1), 'k', 'hint') == 1
    with pytest.raises(KeyError, match='set k'):
        require(dict(video_id='v', frame_id=0), 'k', 'set k')


def test_gt_instances_reads_the_packed_instances_ids_name():
    """mmdet's PackTrackInputs names the GT ids ``instances_ids``;
    predictions use ``instances_id``: both are read."""
    masks = np.zeros((2, 4, 4), bool)
    masks[0, :2], masks[1, 2:] = True, True
    for key in ('instances_id', 'instances_ids'):
        frame = dict(video_id=0, frame_id=0, gt_instances={
            'masks': masks, 'labels': np.array([0, 1]), key: np.array([7, 9])
        })
        objs = gt_instances(frame, (4, 4))
        assert [o['instance_id'] for o in objs] == [7, 9]
        assert [o['label'] for o in objs] == [0, 1]
    frame['gt_instances'].pop('instances_ids')
    with pytest.raises(KeyError, match='no "instances_id"'):
        gt_instances(frame, (4, 4))
