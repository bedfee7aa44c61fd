# Copyright (c) mmvidseg contributors. All rights reserved.
"""tools/analysis_tools/eval_offline.py on official-format files."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest

from mmvidseg.structures.masks import encode_mask as _rle
from mmvidseg.evaluation.functional.davis_io import write_davis_png
from mmvidseg.evaluation.offline import METRICS, load_evaluator

TOOL = osp.join(osp.dirname(__file__), '..', '..', '..', 'tools',
                'analysis_tools', 'eval_offline.py')


@pytest.fixture(scope='module')
def tool():
    spec = importlib.util.spec_from_file_location('eval_offline', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ytvis(tool, tmp_path):
    m = np.zeros((6, 8), np.uint8)
    m[1:4, 1:5] = 1
    gt = dict(videos=[dict(id=1, height=6, width=8, length=2)],
              categories=[dict(id=1, name='a')],
              annotations=[dict(id=1, video_id=1, category_id=1, iscrowd=0,
                                segmentations=[_rle(m), None],
                                areas=[12, None])])
    res = [dict(video_id=1, category_id=1, score=0.5,
                segmentations=[_rle(m), None])]
    json.dump(gt, open(tmp_path / 'gt.json', 'w'))
    json.dump(res, open(tmp_path / 'res.json', 'w'))
    out = tool.main(['--metric', 'ytvis', '--gt', str(tmp_path / 'gt.json'),
                     '--pred', str(tmp_path / 'res.json'), '--out',
                     str(tmp_path / 'm.json')])
    assert out['AP'] == pytest.approx(1.0)
    assert json.load(open(tmp_path / 'm.json'))['AR1'] == 1.0
    res[0]['segmentations'] = res[0]['segmentations'][:1]
    json.dump(res, open(tmp_path / 'res.json', 'w'))
    with pytest.raises(ValueError, match='video_id 1.*2 entries'):
        tool.main(['--metric', 'ytvis', '--gt', str(tmp_path / 'gt.json'),
                   '--pred', str(tmp_path / 'res.json')])


def test_davis(tool, tmp_path):
    gt = np.zeros((3, 8, 8), np.uint8)
    gt[:, 2:6, 2:6] = 1
    (tmp_path / 'D' / 'ImageSets' / '2017').mkdir(parents=True)
    (tmp_path / 'D' / 'ImageSets' / '2017' / 'val.txt').write_text('a\n')
    for t in range(3):
        write_davis_png(str(tmp_path / 'D' / 'Annotations' / '480p' / 'a' /
                            f'{t:05d}.png'), gt[t])
        write_davis_png(str(tmp_path / 'R' / 'a' / f'{t:05d}.png'), gt[t])
    out = tool.main(['--metric', 'davis', '--gt', str(tmp_path / 'D'),
                     '--pred', str(tmp_path / 'R')])
    assert out['J&F-Mean'] == 1.0 and out['per_object']['a_1']['F-Mean'] == 1


def test_every_metric_has_an_evaluator_module():
    for name in METRICS:
        module = load_evaluator(name)
        assert callable(module.add_arguments) and callable(module.evaluate)
    with pytest.raises(KeyError, match='unknown metric'):
        load_evaluator('nope')


def test_refer_and_coco_videos(tool, tmp_path):
    from mmvidseg.evaluation.functional.refer_io import write_refer_submission
    m = np.zeros((8, 10), bool)
    m[2:6, 3:8] = True
    write_refer_submission({'v': {'0': {'00000': m}}}, str(tmp_path / 'g'))
    write_refer_submission({'v': {'0': {'00000': m}}}, str(tmp_path / 'p'))
    out = tool.main(['--metric', 'refer_jf', '--gt', str(tmp_path / 'g'),
                     '--pred', str(tmp_path / 'p')])
    assert out['J&F'] == 1.0
    gt = dict(images=[dict(id=1, height=8, width=10)],
              annotations=[dict(id=1, image_id=1, category_id=1, iscrowd=0,
                                segmentation=_rle(m), area=20.,
                                bbox=[3, 2, 5, 4])],
              categories=[dict(id=1, name='o')])
    preds = [dict(image_id=1, category_id=1, segmentation=_rle(m),
                  score=0.9)]
    json.dump(gt, open(tmp_path / 'a2d_gt.json', 'w'))
    json.dump(preds, open(tmp_path / 'a2d_pred.json', 'w'))
    out = tool.main(['--metric', 'refer_a2d', '--gt',
                     str(tmp_path / 'a2d_gt.json'), '--pred',
                     str(tmp_path / 'a2d_pred.json')])
    assert out['mAP'] == pytest.approx(1.0) and out['P@0.9'] == 1.0
    (tmp_path / 'cg').mkdir()
    (tmp_path / 'cp').mkdir()
    json.dump(gt, open(tmp_path / 'cg' / 'paris.json', 'w'))
    json.dump(preds, open(tmp_path / 'cp' / 'paris.json', 'w'))
    out = tool.main(['--metric', 'coco_videos', '--gt', str(tmp_path / 'cg'),
                     '--pred', str(tmp_path / 'cp'), '--cv-weights',
                     'official'])
    assert out['overall'] == pytest.approx(100.0)
    assert out['per_video'] == {'paris': pytest.approx(100.0)}
