# Copyright (c) mmvidseg contributors. All rights reserved.
import numpy as np

from mmvidseg.datasets.toy.metainfo import STUFF_CLASSES, THING_CLASSES
from mmvidseg.datasets.toy.video import ToyObject, ToyVideo


def _video():
    id_maps = np.zeros((2, 3, 4), np.uint8)  # (T, H, W)
    id_maps[0, 0, :2] = 1
    id_maps[1, 2, 3] = 2
    stuff = np.zeros((3, 4), np.uint8)
    stuff[:, 2:] = 1
    objects = [ToyObject(1, category_id=2, colour='red', direction='left'),
               ToyObject(2, category_id=1, colour='blue', direction='up')]
    return ToyVideo('valid', 3, np.zeros((2, 3, 4, 3), np.uint8), id_maps,
                    stuff, objects)


def test_names_ids_and_shapes():
    video = _video()
    assert video.name == 'valid_0003' and video.video_id == 4
    assert (video.num_frames, video.height, video.width) == (2, 3, 4)
    assert video.objects[0].class_name == THING_CLASSES[1]
    assert video.objects[0].instance_id == 0  # until assign_instance_ids


def test_masks_and_semantic_maps():
    video = _video()
    masks = video.masks(1)
    assert masks.shape == (2, 3, 4) and masks.dtype == bool
    assert masks.sum() == 2 and masks[0, 0, :2].all()
    assert not video.masks(3).any()
    sem = video.semantic_maps()
    # stuff where no object is visible, things after the stuff classes
    assert sem[0, 1].tolist() == [0, 0, 1, 1]
    assert sem[0, 0, 0] == len(STUFF_CLASSES) + 1  # category 2
    assert sem[1, 2, 3] == len(STUFF_CLASSES) + 0  # category 1
    assert sem[1, 0, 0] == 0  # object 1 absent in frame 1
    assert video.id_maps.sum() == 4  # not modified
