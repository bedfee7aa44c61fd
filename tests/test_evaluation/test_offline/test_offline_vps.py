# Copyright (c) mmvidseg contributors. All rights reserved.
import argparse
import json
import os.path as osp

import numpy as np
import pytest

from mmvidseg.evaluation.functional.panoptic_io import (id2rgb,
                                                         kitti_step_encode,
                                                         write_png)
from mmvidseg.evaluation.offline import mots as mots_offline
from mmvidseg.evaluation.offline import stq as stq_offline
from mmvidseg.evaluation.offline import vpq as vpq_offline


def _args(module, *argv):
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return parser.parse_args(list(argv))


def _kitti_step(root, seqs=('0002', '0006'), frames=2, shift=0):
    rng = np.random.default_rng(0)
    for seq in seqs:
        for f in range(frames):
            sem = rng.choice([0, 11, 13, 255], size=(4, 5))
            inst = np.where(np.isin(sem, [11, 13]), 1 + shift, 0)
            write_png(osp.join(root, seq, f'{f:06d}.png'),
                      kitti_step_encode(sem, inst))


def test_stq_kitti_step_folders(tmp_path):
    _kitti_step(str(tmp_path / 'gt'))
    _kitti_step(str(tmp_path / 'pred'), shift=300)  # other ids, same tubes
    res = stq_offline.evaluate(str(tmp_path / 'gt'), str(tmp_path / 'pred'),
                               _args(stq_offline))
    assert res['STQ'] == pytest.approx(1.0)
    assert set(res['per_sequence']) == {'0002', '0006'}
    write_png(str(tmp_path / 'pred' / '0006' / '000001.png'),
              np.zeros((3, 3, 3), np.uint8))
    with pytest.raises(ValueError, match='0006 frame 000001.png'):
        stq_offline.evaluate(str(tmp_path / 'gt'), str(tmp_path / 'pred'),
                             _args(stq_offline))


def test_stq_parallel_sequences_equal_serial(tmp_path, monkeypatch):
    _kitti_step(str(tmp_path / 'gt'), seqs=('0001', '0002', '0003'),
                frames=3)
    _kitti_step(str(tmp_path / 'pred'), seqs=('0001', '0002', '0003'),
                frames=3, shift=7)
    results = []
    for workers in (1, 3):  # threads over frames / a process per sequence
        monkeypatch.setattr(stq_offline, '_workers', lambda: workers)
        results.append(stq_offline.evaluate(
            str(tmp_path / 'gt'), str(tmp_path / 'pred'),
            _args(stq_offline)))
    assert results[0] == results[1]
    assert list(results[0]['per_sequence']) == ['0001', '0002', '0003']


@pytest.mark.parametrize('backend', ['pil', 'cv2', 'pyspng'])
def test_png_backends_decode_identically(tmp_path, backend):
    from mmvidseg.evaluation.functional.panoptic_io import read_rgb_png
    pytest.importorskip(backend if backend != 'pil' else 'PIL')
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    write_png(str(tmp_path / 'a.png'), rgb)
    assert np.array_equal(read_rgb_png(str(tmp_path / 'a.png'), backend),
                          rgb)
    # a palette PNG goes to Pillow, which refuses it as before
    from PIL import Image
    Image.fromarray(rgb[..., 0]).convert('P').save(tmp_path / 'p.png')
    with pytest.raises(ValueError, match='expected an RGB PNG'):
        read_rgb_png(str(tmp_path / 'p.png'), backend)


def _vipseg(root, name, ids, cats):
    annotations = []
    for vid, frames in ids.items():
        anns = []
        for f, seg in enumerate(frames):
            write_png(osp.join(root, vid, f'{f:05d}.png'), id2rgb(seg))
            anns.append(dict(file_name=f'{f:05d}.png', segments_info=[
                dict(id=int(i), category_id=cats[int(i)], iscrowd=0,
                     area=int((seg == i).sum()))
                for i in np.unique(seg) if i]))
        annotations.append(dict(video_id=vid, annotations=anns))
    return annotations


def test_vpq_and_stq_vipseg_layout(tmp_path):
    # upstream VIPSeg-STQ quirk: the first listed segment of a video (id 1,
    # a thing) becomes instance 0, i.e. crowd, and is left out of AQ
    seg = np.array([[1, 1, 2], [3, 2, 2]])
    ids = {'v1': [seg] * 8, 'v2': [seg] * 3}
    cats = {1: 0, 2: 1, 3: 0}
    gt_anns = _vipseg(str(tmp_path / 'panomasksRGB'), 'gt', ids, cats)
    _vipseg(str(tmp_path / 'submit' / 'pan_pred'), 'pred', ids, cats)
    gt_json = dict(
        videos=[dict(video_id=v, images=[dict(file_name=f'{f:05d}.png')
                                         for f in range(len(fr))])
                for v, fr in ids.items()],
        annotations=gt_anns,
        categories=[dict(id=0, isthing=1), dict(id=1, isthing=0)])
    gt_path = str(tmp_path / 'panoptic_gt_VIPSeg_val.json')
    with open(gt_path, 'w') as f:
        json.dump(gt_json, f)
    with open(tmp_path / 'submit' / 'pred.json', 'w') as f:
        json.dump(dict(annotations=gt_anns), f)
    gt_dir, sub = str(tmp_path / 'panomasksRGB'), str(tmp_path / 'submit')
    res = vpq_offline.evaluate(gt_dir, sub, _args(vpq_offline))
    assert res['VPQ'] == 100.0 and res['window_convention'] == 'vipseg'
    res = stq_offline.evaluate(gt_dir, sub, _args(
        stq_offline, '--stq-format', 'vipseg', '--gt-json', gt_path))
    assert res['STQ'] == pytest.approx(1.0)
    # a prediction with a missing frame names the video and counts
    bad = dict(annotations=[dict(gt_anns[0], annotations=gt_anns[0][
        'annotations'][:-1]), gt_anns[1]])
    with open(tmp_path / 'submit' / 'pred.json', 'w') as f:
        json.dump(bad, f)
    with pytest.raises(ValueError, match="'v1'.*has 7 frames, the ground truth 8"):
        vpq_offline.evaluate(gt_dir, sub, _args(vpq_offline))


def test_mots_txt_folders(tmp_path):
    line = '0 1001 1 2 2 04'  # 2x2 mask, all ones
    for sub in ('gt', 'pred'):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / '0002.txt').write_text(line + '\n')
    res = mots_offline.evaluate(str(tmp_path / 'gt'), str(tmp_path / 'pred'),
                                _args(mots_offline))
    assert res['sMOTSA_cars'] == 1.0 and res['IDS_cars'] == 0
    assert 'HOTA_cars' not in res
    res = mots_offline.evaluate(str(tmp_path / 'gt'), str(tmp_path / 'pred'),
                                _args(mots_offline, '--mots-hota'))
    assert res['HOTA_cars'] == pytest.approx(1.0)
    assert res['per_class_hota']['cars']['AssA'] == pytest.approx(1.0)
    (tmp_path / 'pred' / '0002.txt').write_text('0 1001 7 2 2 04\n')
    with pytest.raises(ValueError, match='"class_id" is 7'):
        mots_offline.evaluate(str(tmp_path / 'gt'), str(tmp_path / 'pred'),
                              _args(mots_offline))
