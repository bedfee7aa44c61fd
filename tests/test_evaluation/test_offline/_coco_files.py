# Copyright (c) mmvidseg contributors. All rights reserved.
"""A COCO-style ground-truth file and a perfect prediction (A2D / COCO
videos evaluators)."""
import numpy as np

from mmvidseg.structures.masks import encode_mask as _rle


def _a2d_files():
    """One image with one object, its prediction identical."""
    m = np.zeros((8, 10), bool)
    m[2:6, 3:8] = True
    gt = dict(images=[dict(id=1, height=8, width=10)],
              annotations=[dict(id=1, image_id=1, category_id=1, iscrowd=0,
                                segmentation=_rle(m), area=20.,
                                bbox=[3, 2, 5, 4])],
              categories=[dict(id=1, name='o')])
    preds = [dict(image_id=1, category_id=1, segmentation=_rle(m),
                  score=0.9)]
    return gt, preds
