# Copyright (c) mmvidseg contributors. All rights reserved.
"""ReferJFMetric (Ref-YouTube-VOS / Ref-DAVIS17) against the functional
referring J&F."""
import os.path as osp
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from mmvidseg.evaluation.functional.refer import (expression_jf,
                                                  refer_jf_summary)
from mmvidseg.evaluation.metrics import ReferJFMetric

from ._refer_samples import H, W, blob, frame, run


def test_refer_jf_gt_as_prediction_and_submission_zip(tmp_path):
    rng = np.random.default_rng(2)
    samples, gts = [], {}
    for vid in ('a', 'b'):
        for exp in ('0', '1'):
            frames = []
            for fid in range(3):
                g = blob(rng)
                gts[(vid, exp, fid)] = g
                frames.append(frame(vid, exp, fid, g[None], [0.8], g,
                                    img_path=f'x/{vid}/{fid:05d}.jpg'))
            samples.append(dict(video_data_samples=frames))
    metric = ReferJFMetric(outfile_prefix=str(tmp_path))
    out = run(metric, samples)
    assert out == {'J&F': 1.0, 'J': 1.0, 'F': 1.0}
    with zipfile.ZipFile(tmp_path / 'submission.zip') as zf:
        names = sorted(zf.namelist())
    assert names[0] == 'Annotations/a/0/00000.png' and len(names) == 12
    png = np.array(Image.open(tmp_path / 'Annotations/b/1/00002.png'))
    assert set(np.unique(png)) <= {0, 255}
    assert np.array_equal(png > 0, gts[('b', '1', 2)])


def test_refer_jf_selects_best_mean_score_and_equals_functional():
    rng = np.random.default_rng(3)
    per_exp, samples = {}, []
    for vid in range(2):
        frames, gts, chosen = [], [], []
        for fid in range(4):
            g, q0, q1 = blob(rng), blob(rng), blob(rng)
            # query 0 wins frame 0 only; query 1 has the higher mean score
            s = [0.99, 0.1] if fid == 0 else [0.2, 0.7]
            has_gt = fid != 3
            frames.append(frame(vid, 'e', fid, np.stack([q0, q1]), s,
                                g if has_gt else None))
            if has_gt:
                gts.append(g)
                chosen.append(q1)
        samples.append(dict(video_data_samples=frames))
        per_exp[f'{vid}/e'] = expression_jf(np.stack(gts), np.stack(chosen))
    out = run(ReferJFMetric(), samples)
    ref = refer_jf_summary(per_exp)
    assert out == {k: ref[k] for k in ('J&F', 'J', 'F')}
    assert out['J&F'] < 1


def _ref_davis_samples(rng, wrong_anno=None, ids=False):
    samples = []
    objs = [[blob(rng) for _ in range(3)] for _ in range(2)]  # 2 objects
    for index in range(8):  # exp index = obj * 4 + anno
        obj, anno = index // 4, index % 4
        frames = []
        for fid in range(3):
            g = objs[obj][fid]
            p = np.zeros_like(g) if anno == wrong_anno else g
            frames.append(frame('seq', str(index), fid, p[None], [0.9], g,
                                ids=[7] if ids else None))
        samples.append(dict(video_data_samples=frames))
    return samples


def test_ref_davis_averages_annotators():
    rng = np.random.default_rng(4)
    out = run(ReferJFMetric(protocol='ref_davis'), _ref_davis_samples(rng))
    assert out['J&F'] == out['J'] == out['F'] == 1.0
    out = run(ReferJFMetric(protocol='ref_davis'),
              _ref_davis_samples(np.random.default_rng(4), wrong_anno=1,
                                 ids=True))
    # annotator 1 predicted nothing: J = F = 0 for both objects there
    assert out['anno_1/J&F'] == 0.0 and out['anno_0/J&F'] == 1.0
    assert out['J&F'] == pytest.approx(0.75, abs=1e-12)


def test_format_only_writes_without_ground_truth(tmp_path):
    f = frame('v', '0', 0, np.ones((1, H, W), bool), [0.5])
    metric = ReferJFMetric(outfile_prefix=str(tmp_path), format_only=True)
    assert run(metric, [f]) == {}
    assert osp.isfile(tmp_path / 'Annotations/v/0/00000.png')
    with pytest.raises(ValueError, match='no ground-truth'):
        run(ReferJFMetric(), [f])


def test_ref_davis_gt_sem_seg_equals_painted_objects():
    samples = _ref_davis_samples(np.random.default_rng(5), wrong_anno=2)
    ref = run(ReferJFMetric(protocol='ref_davis'), samples)
    ids = np.zeros((3, H, W), np.uint8)  # objects painted in order 1, 2
    for s in samples[::4]:
        obj = int(s['video_data_samples'][0]['exp_id']) // 4 + 1
        for t, f in enumerate(s['video_data_samples']):
            ids[t][f['gt_instances']['masks'][0].numpy()] = obj
    for s in samples:
        for t, f in enumerate(s['video_data_samples']):
            f['gt_sem_seg'] = dict(sem_seg=torch.from_numpy(ids[t][None]))
            del f['gt_instances']
    assert run(ReferJFMetric(protocol='ref_davis'), samples) == ref
    assert ref['anno_2/J&F'] == 0.0 and ref['J&F'] == 0.75


def test_refer_jf_select_per_sample_clip():
    rng = np.random.default_rng(7)
    q0, q1 = blob(rng), blob(rng)
    # clip 1 prefers query 0, clip 2 query 1; over the video query 1 wins
    clips = [[frame('v', 'e', 0, np.stack([q0, q1]), [.9, .1], q0),
              frame('v', 'e', 1, np.stack([q0, q1]), [.8, .2], q0)],
             [frame('v', 'e', 2, np.stack([q0, q1]), [.1, .95], q1),
              frame('v', 'e', 3, np.stack([q0, q1]), [.1, .95], q1)]]
    per_sample = run(ReferJFMetric(select='sample'),
                     [dict(video_data_samples=c) for c in clips])
    assert per_sample['J&F'] == 1.0
    per_video = run(ReferJFMetric(select='video'),
                    [dict(video_data_samples=c) for c in clips])
    j, f = expression_jf(np.stack([q0, q0, q1, q1]),
                         np.stack([q1, q1, q1, q1]))
    assert per_video['J'] == pytest.approx(j.mean(), abs=1e-15)
    assert per_video['J&F'] < 1
