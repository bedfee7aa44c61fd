# Copyright (c) mmvidseg contributors. All rights reserved.
import numpy as np

from mmvidseg.structures.masks import encode_mask


def _box(y0, x0, h, w, shape=(6, 8)):
    m = np.zeros(shape, np.uint8)
    m[y0:y0 + h, x0:x0 + w] = 1
    return m


def _obj(track_id, class_id, mask):
    return dict(track_id=track_id, class_id=class_id, rle=encode_mask(mask))
