# Copyright (c) mmvidseg contributors. All rights reserved.

import numpy as np
import pytest

from mmvidseg.evaluation.functional.davis_io import read_png_ids
from mmvidseg.evaluation.functional.panoptic_io import read_mots_txt
from mmvidseg.evaluation.functional.stemseg_outputs import (
    davis_id_maps, kitti_mots_objects, kitti_mots_postprocess,
    write_davis_results, write_kitti_mots_results)
from mmvidseg.structures.masks import encode_mask


def _tracks():
    masks = np.zeros((3, 2, 4, 5), bool)
    masks[0, :, 0:2, 0:3] = True  # longest-lived first (rank order)
    masks[1, :, 1:3, 2:4] = True  # overlaps track 0 at (1, 2)
    masks[2, 1, 3, 4] = True
    return masks


def test_davis_id_maps_and_writer(tmp_path):
    masks = _tracks()
    ids = davis_id_maps(masks)
    assert ids.dtype == np.uint8 and ids.shape == (2, 4, 5)
    assert ids[0].tolist() == [[1, 1, 1, 0, 0], [1, 1, 2, 2, 0],
                               [0, 0, 2, 2, 0], [0, 0, 0, 0, 0]]
    assert ids[1, 3, 4] == 3
    assert davis_id_maps(masks, max_tracks=2)[1, 3, 4] == 0
    assert davis_id_maps(np.zeros((0, 2, 4, 5), bool)).sum() == 0
    with pytest.raises(ValueError, match='max_tracks'):
        davis_id_maps(masks, max_tracks=256)
    paths = write_davis_results(str(tmp_path), 'seq', ['00000', '00001'],
                                masks)
    assert paths[1].endswith('seq/00001.png')
    assert np.array_equal(read_png_ids(paths[1]), ids[1])
    with pytest.raises(ValueError, match="video 'seq': 1 frame names"):
        write_davis_results(str(tmp_path), 'seq', ['0'], masks)


def test_kitti_mots_objects():
    masks = _tracks()
    # raw ids: track 0 -> 5, track 1 -> 9, track 2 -> 2; lifetimes 1, 1, 0
    frames = kitti_mots_objects(masks, [5, 9, 2], [0, 1, 0])
    # numbering by ascending lifetime (stable): track 2 -> 1, 0 -> 2, 1 -> 3
    assert [(d['track_id'], d['class_id']) for d in frames[1]] == \
        [(1001, 1), (1002, 1), (2003, 2)]
    assert [d['track_id'] for d in frames[0]] == [1002, 2003]
    from pycocotools import mask as mask_utils
    m0 = mask_utils.decode(dict(frames[0][0]['rle'],
                                counts=frames[0][0]['rle']['counts']))
    # the overlap pixel (1, 2) goes to the larger raw id (9, track 1)
    assert m0[1, 2] == 0 and m0.sum() == 5
    total = sum(mask_utils.area(d['rle']) for d in frames[0])
    assert total == masks[:, 0].any(0).sum()  # no overlaps, no pixel lost
    # lifetimes given explicitly change the numbering
    frames = kitti_mots_objects(masks, [5, 9, 2], [0, 1, 0],
                                lifetimes=[3, 1, 2])
    assert sorted(d['track_id'] for d in frames[1]) == [1002, 1003, 2001]
    with pytest.raises(ValueError, match='3 tracks but 2 track_ids'):
        kitti_mots_objects(masks, [1, 2], [0, 0, 0])
    assert kitti_mots_objects(masks[:0], [], []) == {}


def _det(track_id, h0, h1, w0, w1, size=(40, 40)):
    m = np.zeros(size, bool)
    m[h0:h1, w0:w1] = True
    return dict(track_id=track_id, class_id=track_id // 1000,
                rle=encode_mask(m))


def test_kitti_postprocess_thresholds():
    # cars: 150 px passes (>=), 149 fails; pedestrians need 250
    frames = {t: [_det(1001, 0, 10, 0, 15), _det(1002, 20, 30, 0, 15)]
              for t in range(3)}
    frames[0][1] = _det(1002, 20, 29, 0, 16)  # 144 px
    out = kitti_mots_postprocess(frames, min_track_length={1: 1, 2: 1})
    assert [[d['track_id'] for d in out[t]] for t in range(3)] == \
        [[1001], [1001, 1002], [1001, 1002]]
    # the length filter counts the detections left: 2 < 3 (cars) drops 1002
    out = kitti_mots_postprocess(frames)
    assert all(d['track_id'] == 1001 for t in out for d in out[t])
    # a pedestrian track of 10 frames with one break: 1 / 10 <= 0.5 kept
    ped = {t: [_det(2001, 0, 20, 0, 15)] for t in list(range(5)) +
           list(range(6, 11))}
    assert len(kitti_mots_postprocess(ped)) == 10
    # 9 frames: shorter than 10 -> dropped
    del ped[10]
    assert kitti_mots_postprocess(ped) == {}
    # pixel / box area ratio must be strictly above 0.35 for cars
    m = np.zeros((40, 40), bool)
    m[0:20, 0:20] = np.tri(20, dtype=bool)  # 210 px in a 20x20 box: 0.525
    tri = dict(track_id=1001, class_id=1, rle=encode_mask(m))
    assert len(kitti_mots_postprocess({0: [tri], 1: [tri], 2: [tri]})) == 3
    assert kitti_mots_postprocess({0: [tri], 1: [tri], 2: [tri]},
                                  min_area_ratio={1: 0.525, 2: 0.2}) == {}
    # time breaks: car in frames 0, 2, 4, 6 -> 3 breaks / 4 > 0.3 dropped
    car = {t: [_det(1001, 0, 10, 0, 15)] for t in (0, 2, 4, 6)}
    assert kitti_mots_postprocess(car) == {}
    # classes other than car / pedestrian are dropped
    assert kitti_mots_postprocess({0: [_det(3001, 0, 30, 0, 30)]}) == {}


def test_write_kitti_results(tmp_path):
    frames = {t: [_det(1001, 0, 10, 0, 15)] for t in range(3)}
    frames[3] = [_det(1002, 0, 2, 0, 2)]  # too small: filtered
    raw, nms = write_kitti_mots_results(str(tmp_path), '0007', frames)
    assert raw.endswith('results/0007.txt')
    assert nms.endswith('results_nms/0007.txt')
    assert sorted(read_mots_txt(raw)) == [0, 1, 2, 3]
    assert sorted(read_mots_txt(nms)) == [0, 1, 2]
