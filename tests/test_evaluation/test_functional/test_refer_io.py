# Copyright (c) mmvidseg contributors. All rights reserved.
"""Refer IO: submission folders/zips and Ref-DAVIS17 (ReferFormer protocol)
annotator merge and averaging."""
import importlib.util
import os.path as osp
import zipfile

import numpy as np
import pytest

from mmvidseg.evaluation.functional.davis_io import (evaluate_davis_folder,
                                                     write_davis_png)
from mmvidseg.evaluation.functional.refer_io import (combine_annotator_masks,
                                                     evaluate_ref_davis_folder,
                                                     evaluate_refer_folder,
                                                     ref_davis_expression,
                                                     write_refer_submission)

TOOL = osp.join(osp.dirname(__file__), '..', '..', '..', 'tools',
                'analysis_tools', 'eval_offline.py')


def test_expression_order_and_combine():
    assert [ref_davis_expression(i) for i in (0, 3, 4, 7)] == [
        (1, 0), (1, 3), (2, 0), (2, 3)]
    probs = np.zeros((2, 1, 1, 4), np.float32)
    probs[0, 0, 0] = [0.9, 0.6, 0.4, 0.7]
    probs[1, 0, 0] = [0.8, 0.7, 0.3, 0.7]
    # < 0.5 -> 0, background 0.1, arg-max with the first maximum on ties
    assert combine_annotator_masks(probs)[0, 0].tolist() == [1, 2, 0, 1]


def _davis_root(root, rng, seqs=('s1', 's2'), frames=4):
    gts = {}
    for seq in seqs:
        gt = np.zeros((frames, 16, 20), np.uint8)
        for t in range(frames):
            gt[t, 2 + t:8 + t, 1:7] = 1
            gt[t, 9:14, 8 + t:15 + t] = 2
        gt[1, 0, 0] = 255
        for t in range(frames):
            write_davis_png(osp.join(root, 'Annotations_unsupervised', '480p',
                                     seq, f'{t:05d}.png'), gt[t])
        gts[seq] = gt
    with open(osp.join(root, 'ImageSets', '2017', 'val.txt'), 'w') as f:
        f.write('\n'.join(seqs) + '\n')
    return gts


def test_ref_davis_folder_is_mean_over_annotators(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / 'gt' / 'ImageSets' / '2017').mkdir(parents=True)
    gts = _davis_root(str(tmp_path / 'gt'), rng)
    pred_root = tmp_path / 'pred'
    for anno in range(4):
        for seq, gt in gts.items():
            for t in range(len(gt)):
                ids = np.where(gt[t] == 255, 0, gt[t])
                if anno == 2:  # swapped ids and a shifted object
                    ids = np.where(ids == 1, 2, np.where(ids == 2, 1, 0))
                    ids = np.roll(ids, 2 * anno, axis=1).astype(np.uint8)
                if anno == 3 and t == 2:
                    ids[:] = 0
                write_davis_png(str(pred_root / f'anno_{anno}' / seq /
                                    f'{t:05d}.png'), ids)
    out = evaluate_ref_davis_folder(str(tmp_path / 'gt'), str(pred_root))
    per = [evaluate_davis_folder(str(tmp_path / 'gt'),
                                 str(pred_root / f'anno_{a}'),
                                 task='unsupervised') for a in range(4)]
    assert per[0]['J&F-Mean'] == 1.0 and per[2]['J&F-Mean'] < 1
    assert per[3]['J&F-Mean'] < 1
    for key in ('J&F-Mean', 'J-Mean', 'F-Mean', 'J-Decay', 'F-Recall'):
        assert out[key] == pytest.approx(np.mean([p[key] for p in per]),
                                          abs=1e-15)
    assert out['per_annotator']['anno_2']['J&F-Mean'] == per[2]['J&F-Mean']
    # the command line: eval_offline.py --metric refer_jf --ref-davis
    spec = importlib.util.spec_from_file_location('eval_offline', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    cli = tool.main(['--metric', 'refer_jf', '--ref-davis', '--gt',
                     str(tmp_path / 'gt'), '--pred', str(pred_root)])
    assert cli['J&F-Mean'] == out['J&F-Mean']
    assert cli['per_annotator'] == out['per_annotator']


def test_ref_davis_folder_without_annotator_folders(tmp_path):
    (tmp_path / 'pred' / 's1').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match='anno_0'):
        evaluate_ref_davis_folder(str(tmp_path), str(tmp_path / 'pred'))


def test_submission_layout_and_folder_eval(tmp_path):
    mask = np.zeros((6, 8), bool)
    mask[1:4, 2:6] = True
    preds = {'vid1': {'0': {'00000': mask, '00005': mask}}}
    zip_path = write_refer_submission(preds, str(tmp_path / 'sub'))
    with zipfile.ZipFile(zip_path) as zf:
        assert sorted(zf.namelist()) == [
            'Annotations/vid1/0/00000.png', 'Annotations/vid1/0/00005.png']
    write_refer_submission(preds, str(tmp_path / 'gt'))
    out = evaluate_refer_folder(str(tmp_path / 'gt' / 'Annotations'),
                                str(tmp_path / 'sub' / 'Annotations'))
    assert out['J&F'] == 1.0
    (tmp_path / 'sub' / 'Annotations' / 'vid1' / '0' / '00005.png').unlink()
    with pytest.raises(FileNotFoundError, match='expression 0 of video vid1'):
        evaluate_refer_folder(str(tmp_path / 'gt' / 'Annotations'),
                              str(tmp_path / 'sub' / 'Annotations'))
