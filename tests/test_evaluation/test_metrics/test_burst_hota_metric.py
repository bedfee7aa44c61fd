# Copyright (c) mmvidseg contributors. All rights reserved.
import json

import numpy as np
import pytest

from mmvidseg.structures.masks import encode_mask
from mmvidseg.evaluation.functional.burst import evaluate_burst
from mmvidseg.evaluation.metrics import BURSTHOTAMetric

from ._track_samples import H, W, _run, _tracks


def _burst_json(videos, category_ids):
    gt = dict(split='val', sequences=[])
    for n, (vid, frames) in enumerate(videos):
        cats = {str(k): category_ids[lab] for f in frames
                for k, (lab, _) in f.items()}
        gt['sequences'].append(dict(
            id=n + 1, width=W, height=H, seq_name=vid, dataset='mmvidseg',
            annotated_image_paths=[f'frame{30 * t:04d}.jpg'
                                   for t in range(len(frames))],
            neg_category_ids=[], not_exhaustive_category_ids=[],
            track_category_ids=cats, segmentations=[
                {str(k): dict(rle=encode_mask(m)['counts'])
                 for k, (_, m) in f.items()} for f in frames]))
    return gt


def test_burst_hota_metric_gt_as_prediction_and_random(tmp_path):
    rng = np.random.default_rng(1)
    gt_a, gt_b = _tracks(rng, 4), _tracks(rng, 3)
    cats = [4, 13]  # both 'common' BURST categories
    res = _run(BURSTHOTAMetric(category_ids=cats), [('a', gt_a, gt_a, True),
                                               ('b', gt_b, gt_b, False)])
    assert res['burst/HOTA_all'] == pytest.approx(100.0)
    assert res['burst/AssA_common'] == pytest.approx(100.0)
    assert np.isnan(res['burst/HOTA_uncommon'])
    pred_a, pred_b = _tracks(rng, 4, shift=1), _tracks(rng, 3, n=4)
    metric = BURSTHOTAMetric(category_ids=cats,
                        outfile_prefix=str(tmp_path / 'burst'))
    res = _run(metric, [('a', gt_a, pred_a, True),
                        ('b', gt_b, pred_b, False)])
    gt = _burst_json([('a', gt_a), ('b', gt_b)], cats)
    pred = _burst_json([('a', pred_a), ('b', pred_b)], cats)
    ref = evaluate_burst(gt, pred)
    assert 0 < res['burst/HOTA_all'] < 100
    for key in ('HOTA_all', 'DetA_all', 'AssA_common', 'LocA_all'):
        assert res[f'burst/{key}'] == pytest.approx(ref[key], abs=1e-9)
    with open(tmp_path / 'burst' / 'results.json') as f:
        written = json.load(f)
    assert evaluate_burst(gt, written)['HOTA_all'] == pytest.approx(
        ref['HOTA_all'], abs=1e-9)
    assert written['sequences'][0]['annotated_image_paths'][1] == \
        'frame0030.jpg'


def test_burst_hota_metric_frames_without_predictions():
    """A frame with no predicted object (VOS / PET before any exemplar, or
    every object lost) is an empty prediction, not an error."""
    rng = np.random.default_rng(2)
    gt_a = _tracks(rng, 4)
    pred_a = [dict(f) if t % 2 else {} for t, f in enumerate(gt_a)]
    res = _run(BURSTHOTAMetric(category_ids=[4, 13]),
               [('a', gt_a, [{} for _ in gt_a], True)])
    assert res['burst/HOTA_all'] == 0.0
    res = _run(BURSTHOTAMetric(category_ids=[4, 13]),
               [('a', gt_a, pred_a, True)])
    assert 0 < res['burst/HOTA_all'] < 100


def test_burst_hota_metric_track_categories_from_ground_truth():
    """Class-agnostic exemplar-guided predictions (every label 0) only match
    their GT tracks when the tracks take the GT categories, as TarViS's
    BURST result writer keeps the annotation's track_category_ids."""
    rng = np.random.default_rng(3)
    gt_a = _tracks(rng, 4)
    pred_a = [{k: (0, m) for k, (_, m) in f.items()} for f in gt_a]
    assert any(lab == 1 for f in gt_a for lab, _ in f.values())
    cats = [4, 13]
    res = _run(BURSTHOTAMetric(category_ids=cats, exemplar_guided=True,
                               track_categories='ground_truth'),
               [('a', gt_a, pred_a, True)])
    assert res['burst/HOTA_all'] == pytest.approx(100.0)
    res = _run(BURSTHOTAMetric(category_ids=cats, exemplar_guided=True),
               [('a', gt_a, pred_a, True)])
    assert res['burst/HOTA_all'] < 100
    with pytest.raises(ValueError, match='needs exemplar_guided=True'):
        BURSTHOTAMetric(track_categories='ground_truth')
