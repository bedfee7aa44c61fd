# Copyright (c) mmvidseg contributors. All rights reserved.
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmvidseg.evaluation.functional.davis_io import (evaluate_davis_folder,
                                                     read_png_ids,
                                                     write_davis_png,
                                                     zip_davis_results)


def squares(num_frames, h, w, boxes):
    """(T, H, W) ids; boxes: {id: (y0, y1, x0, x1)} in every frame."""
    out = np.zeros((num_frames, h, w), np.uint8)
    for k, (y0, y1, x0, x1) in boxes.items():
        out[:, y0:y1, x0:x1] = k
    return out


def test_folder_io_and_zip(tmp_path):
    root, res = tmp_path / 'DAVIS', tmp_path / 'res'
    gt = squares(4, 10, 12, {1: (1, 5, 1, 5), 2: (5, 9, 6, 11)})
    (root / 'ImageSets' / '2017').mkdir(parents=True)
    (root / 'ImageSets' / '2017' / 'val.txt').write_text('dog\n')
    for t in range(4):
        write_davis_png(str(root / 'Annotations' / '480p' / 'dog' /
                            f'{t:05d}.png'), gt[t])
        pred = gt[t].copy()
        pred[pred == 2] = 0 if t == 2 else 2  # miss object 2 in frame 2
        write_davis_png(str(res / 'dog' / f'{t:05d}.png'), pred)
    with Image.open(res / 'dog' / '00000.png') as img:
        assert img.mode == 'P'
    assert (read_png_ids(str(res / 'dog' / '00001.png')) == gt[1]).all()
    out = evaluate_davis_folder(str(root), str(res))
    # object 1: J = F = 1; object 2: frames 1, 2 scored -> J = F = 0.5
    assert out['J-Mean'] == pytest.approx(0.75)
    assert out['J&F-Mean'] == pytest.approx(0.75)
    zip_path = zip_davis_results(str(res), str(tmp_path / 'sub.zip'))
    assert osp.isfile(zip_path)
    Image.fromarray(np.zeros((10, 12, 3), np.uint8)).save(
        res / 'dog' / '00001.png')
    with pytest.raises(ValueError, match='indexed'):
        evaluate_davis_folder(str(root), str(res))
