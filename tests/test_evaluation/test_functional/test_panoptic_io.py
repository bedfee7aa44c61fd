# Copyright (c) mmvidseg contributors. All rights reserved.
import numpy as np
import pytest

from mmvidseg.evaluation.functional.panoptic_io import (id2rgb,
                                                        kitti_step_decode,
                                                        kitti_step_encode,
                                                        load_json,
                                                        read_mots_txt,
                                                        read_rgb_png, rgb2id,
                                                        write_mots_txt,
                                                        write_png)
from mmvidseg.structures.masks import decode_rle


def test_coco_panoptic_ids_round_trip(tmp_path):
    ids = np.array([[0, 1, 256], [65536 + 7, 256**3 - 1, 42]])
    rgb = id2rgb(ids)
    assert rgb.dtype == np.uint8 and rgb.shape == (2, 3, 3)
    assert rgb[0, 2].tolist() == [0, 1, 0]  # 256 = G 1
    assert np.array_equal(rgb2id(rgb), ids)
    write_png(str(tmp_path / 'a' / 'p.png'), rgb)  # makes the folder
    assert np.array_equal(read_rgb_png(str(tmp_path / 'a' / 'p.png')), rgb)
    with pytest.raises(ValueError, match='256\\*\\*3'):
        id2rgb(np.array([256**3]))


def test_kitti_step_round_trip_and_range_checks():
    sem = np.array([[0, 13], [255, 11]])
    inst = np.array([[0, 1], [300, 65535]])
    rgb = kitti_step_encode(sem, inst)
    assert rgb[1, 0].tolist() == [255, 1, 44]  # 300 = 1 * 256 + 44
    got_sem, got_inst = kitti_step_decode(rgb)
    assert np.array_equal(got_sem, sem) and np.array_equal(got_inst, inst)
    with pytest.raises(ValueError, match='semantic ids'):
        kitti_step_encode(np.array([256]), np.array([0]))
    with pytest.raises(ValueError, match='instance ids'):
        kitti_step_encode(np.array([0]), np.array([65536]))
    with pytest.raises(ValueError, match='differ in shape'):
        kitti_step_encode(np.zeros((2, 2)), np.zeros((2, 3)))


def test_mots_txt_round_trip_and_errors(tmp_path):
    car = np.zeros((4, 5), np.uint8)
    car[1:3, 1:4] = 1
    path = str(tmp_path / 'txt' / '0002.txt')
    write_mots_txt(path, {3: [dict(track_id=1002, class_id=1, rle=car)],
                          0: [dict(track_id=10000, class_id=10,
                                   rle=1 - car)]})
    lines = open(path).read().splitlines()
    assert [line.split()[:5] for line in lines] == [
        ['0', '10000', '10', '4', '5'], ['3', '1002', '1', '4', '5']]
    frames = read_mots_txt(path)
    assert sorted(frames) == [0, 3]
    obj = frames[3][0]
    assert (obj['track_id'], obj['class_id']) == (1002, 1)
    assert np.array_equal(decode_rle(obj['rle']), car)
    (tmp_path / 'bad.txt').write_text('0 1 1 4 5\n')
    with pytest.raises(ValueError, match='bad.txt:1: expected 6'):
        read_mots_txt(str(tmp_path / 'bad.txt'))
    with pytest.raises(FileNotFoundError, match='MOTS txt'):
        read_mots_txt(str(tmp_path / 'none.txt'))
    with pytest.raises(FileNotFoundError, match='JSON file not found'):
        load_json(str(tmp_path / 'none.json'))
