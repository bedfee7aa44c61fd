# Copyright (c) mmvidseg contributors. All rights reserved.
"""Writers of tiny KITTI-MOTS folders, shared by test_kitti_mots.py and
test_stemseg_json.py."""
import os
import os.path as osp

import numpy as np
from PIL import Image

from mmvidseg.structures.masks import encode_mask


def _write_seq(root, name, frames, size=(8, 10)):
    """frames: list of [(obj_id, mask)] per frame."""
    img_dir = osp.join(root, 'training/image_02', name)
    os.makedirs(img_dir, exist_ok=True)
    os.makedirs(osp.join(root, 'instances_txt'), exist_ok=True)
    lines = []
    for t, objs in enumerate(frames):
        Image.new('RGB', size[::-1]).save(osp.join(img_dir, f'{t:06d}.png'))
        for obj_id, m in objs:
            rle = encode_mask(m)
            cls = obj_id // 1000
            lines.append(f'{t} {obj_id} {cls} {size[0]} {size[1]} '
                         f'{rle["counts"]}')
    with open(osp.join(root, 'instances_txt', f'{name}.txt'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def _box(y0, y1, x0, x1, size=(8, 10)):
    m = np.zeros(size, np.uint8)
    m[y0:y1, x0:x1] = 1
    return m
