# Copyright (c) mmvidseg contributors. All rights reserved.
import numpy as np
import pytest

from mmvidseg.datasets._instance_utils import (InstanceIdMap,
                                               check_mask_format,
                                               drop_empty_frames,
                                               make_instance, split_at_gaps,
                                               split_videos)
from mmvidseg.structures.masks import encode_mask


def test_split_at_gaps():
    E, F = True, False
    # 5 empty frames: dropped, no split; 6: split; leading gap: no piece
    assert split_at_gaps([F, E, E, E, E, E, F], 6) == [[0, 6]]
    assert split_at_gaps([F, F] + [E] * 6 + [F], 6) == [[0, 1], [8]]
    assert split_at_gaps([E] * 7 + [F, F], 6) == [[7, 8]]
    assert split_at_gaps([F] + [E] * 13 + [F], 6) == [[0], [14]]
    assert split_at_gaps([E, E], 6) == []


def test_make_instance_and_mask_format():
    m = np.zeros((5, 6), np.uint8)
    m[1:3, 2:5] = 1
    rle = encode_mask(m)
    inst = make_instance(rle, 2, 7, True, 'rle')
    assert inst['mask'] is rle
    np.testing.assert_allclose(inst['bbox'], [2, 1, 5, 3])  # xyxy
    assert (inst['bbox_label'], inst['instance_id'], inst['ignore_flag']) == (
        2, 7, 1)
    bitmap = make_instance(rle, 2, 7, False, 'bitmap')
    assert np.array_equal(bitmap['mask'], m) and bitmap['ignore_flag'] == 0
    # an empty mask gives no instance
    assert make_instance(encode_mask(np.zeros((5, 6), np.uint8)), 1, 1,
                         False, 'rle') is None
    check_mask_format('rle')
    with pytest.raises(ValueError, match='mask_format'):
        check_mask_format('polygon')


def _video(name, per_frame):
    """per_frame: list of [(instance_id, ignore)] per frame."""
    return dict(video_id=0, video_name=name, video_length=len(per_frame),
                images=[dict(frame_id=t, instances=[
                    dict(instance_id=i, ignore_flag=int(ign))
                    for i, ign in objs]) for t, objs in enumerate(per_frame)])


def test_split_videos_ids_and_names():
    # frames 0-1 have object 3, then 2 empty (one only ignore) and frame 4
    a = _video('a', [[(3, False)], [(3, False)], [(9, True)], [],
                     [(3, False)]])
    b = _video('b', [[(3, False)]])
    pieces = split_videos([a, b], gap=2)
    assert [p['video_name'] for p in pieces] == ['a_1', 'a_2', 'b_1']
    assert [p['video_id'] for p in pieces] == [0, 1, 2]
    assert [p['video_length'] for p in pieces] == [2, 1, 1]
    assert [f['frame_id'] for f in pieces[0]['images']] == [0, 1]
    # the same local id in different pieces gets different global ids
    ids = [p['images'][0]['instances'][0]['instance_id'] for p in pieces]
    assert ids == [1, 2, 3]
    assert pieces[0]['images'][1]['img_id'] == 1
    assert pieces[1]['images'][0]['img_id'] == 100000


def test_instance_id_map_and_drop_empty_frames():
    ids = InstanceIdMap()
    assert [ids('v', 5), ids('w', 5), ids('v', 5), ids('v', 2)] == [1, 2, 1, 3]
    v = _video('v', [[(1, False)], [(2, True)], [], [(1, False)]])
    kept = drop_empty_frames([v], min_frames=2)
    assert [f['frame_id'] for f in kept[0]['images']] == [0, 3]
    assert kept[0]['video_length'] == 2
    assert drop_empty_frames([v], min_frames=3) == []
