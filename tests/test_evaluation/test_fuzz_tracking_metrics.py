# Copyright (c) mmvidseg contributors. All rights reserved.
"""Fuzzed multi-object tracking evaluators (issue 17, hypothesis).

KITTI-MOTS CLEAR metrics (:func:`evaluate_mots`), HOTA (:func:`hota_sequence`
through TrackEval's KITTI-MOTS protocol, :func:`evaluate_mots_hota`) and
BURST HOTA (:func:`evaluate_burst`) on random tiny videos. Each example
checks: (1) valid input scores without raising, (2) every number is in its
range, (3) the ground truth submitted as the prediction scores 1 (100 %)
where defined, (4) permuting sequences / renumbering track ids leaves the
result unchanged, (5) an added empty prediction never raises the score.
"""
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mmvidseg.evaluation.functional import (evaluate_burst, evaluate_mots,
                                            evaluate_mots_hota)
from mmvidseg.evaluation.functional.hota import ARRAY_FIELDS
from mmvidseg.structures.masks import encode_mask
from ._fuzz_strategies import (FUZZ, not_higher, object_ids, same, table,
                               video_pairs)

MAX_IDS = 4
MOTS_GT_CLASSES = (1, 2, 10)  # 10: ignore region
MOTS_PRED_CLASSES = (1, 2)


# ------------------------------------------------------------ KITTI-MOTS
def _mots_frames(labels, cls, ids=None):
    """``{frame: [{track_id, class_id, rle}]}``, KITTI ids ``class * 1000 +
    k`` unless ``ids`` maps ``k`` to another track id."""
    frames = {}
    for t, f in enumerate(labels):
        objs = []
        for k in object_ids(f):
            tid = cls[k] * 1000 + k if ids is None else ids[k]
            objs.append(dict(track_id=tid, class_id=cls[k],
                             rle=encode_mask(f == k, as_json=False)))
        if objs:
            frames[t] = objs
    return frames


def _mots_inputs(videos, gcls, pcls, names=None):
    names = names or [f'{i:04d}' for i in range(len(videos))]
    gt = {n: _mots_frames(g, gcls) for n, (g, _) in zip(names, videos)}
    pred = {n: _mots_frames(p, pcls) for n, (_, p) in zip(names, videos)}
    max_frames = {n: len(g) - 1 for n, (g, _) in zip(names, videos)}
    return gt, pred, max_frames


def _as_prediction(gt):
    """The GT objects of classes 1 / 2 (ignore regions dropped)."""
    return {s: {f: [o for o in objs if o['class_id'] != 10]
                for f, objs in frames.items()} for s, frames in gt.items()}


def _check_clear(res):
    for cls, m in res.items():
        for key in ('recall', 'precision', 'F1', 'MT', 'PT', 'ML'):
            assert 0 <= m[key] <= 1, (cls, key, m[key])
        if m['n_gt'] == 0:  # upstream: -inf without GT
            assert m['sMOTSA'] == m['MOTSA'] == -math.inf, (cls, m)
        else:  # matches have IoU <= 1, so sMOTSA <= MOTSA <= MODSA <= 1
            assert m['sMOTSA'] <= m['MOTSA'] + 1e-12 <= m['MODSA'] + 2e-12
            assert m['MODSA'] <= 1
        # matches need IoU > 0.5; inf without TP (upstream)
        assert m['MOTSP'] == math.inf or 0.5 < m['MOTSP'] <= 1 + 1e-12
        assert m['FAR'] >= 0 and 0 <= m['MODSP'] <= 1 + 1e-12
        total = m['MT'] + m['PT'] + m['ML']
        assert same(total, 1 if m['n_gt_trajectories'] else 0), (cls, m)


def _same_dict(a, b, tol=1e-9):
    for key, va in a.items():
        vb = b[key]
        if isinstance(va, dict):
            _same_dict(va, vb, tol)
        else:
            assert same(va, vb, tol), (key, va, vb)


def _drop_per_sequence(res):
    return {c: {k: v for k, v in m.items() if k != 'per_sequence'}
            for c, m in res.items()}


def _add_empty(pred, seq, frame, cls, tid, shape):
    out = {s: {f: list(o) for f, o in fr.items()} for s, fr in pred.items()}
    out.setdefault(seq, {}).setdefault(frame, []).append(dict(
        track_id=tid, class_id=cls,
        rle=encode_mask(np.zeros(shape, bool), as_json=False)))
    return out


@FUZZ
@given(videos=video_pairs(max_ids=MAX_IDS, max_frames=4), data=st.data())
def test_kitti_mots_fuzz(videos, data):
    gcls = data.draw(table(MOTS_GT_CLASSES, MAX_IDS + 1))
    pcls = data.draw(st.one_of(
        st.just([1 if c == 10 else c for c in gcls]),  # the GT classes
        table(MOTS_PRED_CLASSES, MAX_IDS + 1)))
    gt, pred, max_frames = _mots_inputs(videos, gcls, pcls)
    base = evaluate_mots(gt, pred, max_frames)  # (1)
    _check_clear(base)  # (2)
    hota = evaluate_mots_hota(gt, pred, max_frames)
    _check_hota(hota)

    # (3) GT as prediction (masks never overlap, so each GT has exactly one
    # prediction with IoU > 0.5: itself)
    perfect = _as_prediction(gt)
    res = evaluate_mots(gt, perfect, max_frames)
    _check_clear(res)
    hres = evaluate_mots_hota(gt, perfect, max_frames)
    for cls, m in res.items():
        if m['n_gt']:
            for key in ('sMOTSA', 'MOTSA', 'MODSA', 'MOTSP', 'recall',
                        'precision', 'MT'):
                assert same(m[key], 1.0, 1e-12), (cls, key, m)
            assert m['IDS'] == m['fp'] == m['fn'] == 0
            for key in ARRAY_FIELDS:
                assert same(hres[cls][key], 1.0, 1e-12), (cls, key, hres)
        else:  # HOTA without GT: DetA = 0 / max(1, 0) (TrackEval)
            assert hres[cls]['HOTA'] == 0

    # (4) permuting sequences (names and order) and renumbering the
    # predicted and GT track ids (a bijection per sequence)
    names = data.draw(st.permutations([f'{i:04d}' for i in
                                       range(len(videos))]))
    gt_p, pred_p, mf_p = _mots_inputs(videos, gcls, pcls, names)
    new_ids = data.draw(st.lists(st.integers(1, 10**5), unique=True,
                                 min_size=MAX_IDS + 1,
                                 max_size=MAX_IDS + 1))
    pred_p = {n: _mots_frames(p, pcls, new_ids)
              for n, (_, p) in zip(names, videos)}
    gt_ids = data.draw(st.permutations(new_ids))
    gt_p = {n: _mots_frames(g, gcls, gt_ids)
            for n, (g, _) in zip(names, videos)}
    res_p = evaluate_mots(gt_p, pred_p, mf_p)
    _same_dict(_drop_per_sequence(res_p), _drop_per_sequence(base))
    hres_p = evaluate_mots_hota(gt_p, pred_p, mf_p)
    _same_dict(_drop_per_sequence(hres_p), _drop_per_sequence(hota))

    # (5) an empty mask with a new track id in one frame: one more false
    # positive (CLEAR), one more unmatched detection (HOTA); nothing rises
    v = data.draw(st.sampled_from(range(len(videos))))
    seq = f'{v:04d}'
    frame = data.draw(st.integers(0, len(videos[v][0]) - 1))
    cls = data.draw(st.sampled_from(MOTS_PRED_CLASSES))
    more_pred = _add_empty(pred, seq, frame, cls, 99999,
                           videos[v][0].shape[1:])
    more = evaluate_mots(gt, more_pred, max_frames)
    _check_clear(more)
    for c, m in more.items():
        for key in ('sMOTSA', 'MOTSA', 'MODSA', 'recall', 'precision', 'F1',
                    'MT'):
            assert not_higher(m[key], base[c][key]), (c, key, m, base[c])
    hmore = evaluate_mots_hota(gt, more_pred, max_frames)
    for c, m in hmore.items():
        for key in ('HOTA', 'DetA', 'AssA', 'DetPr'):
            assert not_higher(m[key], hota[c][key]), (c, key)


def _check_hota(res):
    for cls, m in res.items():
        for key in ARRAY_FIELDS:
            assert 0 <= m[key] <= 1 + 1e-12, (cls, key, m[key])
        # HOTA = sqrt(DetA * AssA) per alpha; the means over alpha obey
        # Cauchy-Schwarz
        assert m['HOTA'] <= math.sqrt(m['DetA'] * m['AssA']) + 1e-12


# --------------------------------------------------------------------- BURST
BURST_CATS = (4, 2)  # one 'common', one 'uncommon' LVIS id; no distractor


def _burst_seq(i, labels, cat, tids, name):
    segs, cats = [], {}
    for f in labels:
        frame = {}
        for k in object_ids(f):
            frame[str(tids[k])] = dict(rle=encode_mask(f == k)['counts'])
            cats[str(tids[k])] = cat[k]
        segs.append(frame)
    return dict(id=i, dataset='fuzz', seq_name=name, height=labels.shape[1],
                width=labels.shape[2], segmentations=segs,
                annotated_image_paths=[f'frame{t:04d}.jpg'
                                       for t in range(len(labels))],
                track_category_ids=cats, neg_category_ids=[],
                not_exhaustive_category_ids=[])


def _burst(videos, gcat, pcat, order=None, pred_ids=None, gt_ids=None):
    order = order or list(range(len(videos)))
    ident = list(range(MAX_IDS + 1))
    gt = dict(split='val', sequences=[
        _burst_seq(i, videos[i][0], gcat, gt_ids or ident, f's{i}')
        for i in order])
    pred = dict(split='val', sequences=[
        _burst_seq(i, videos[i][1], pcat, pred_ids or ident, f's{i}')
        for i in order])
    return gt, pred


def _check_burst(res):
    for key, v in res.items():
        if key != 'per_class':  # percent; NaN where a split has no class
            assert math.isnan(v) or 0 <= v <= 100 + 1e-9, (key, v)


@FUZZ
@given(videos=video_pairs(max_ids=MAX_IDS, max_frames=4), data=st.data(),
       exemplar=st.booleans())
def test_burst_fuzz(videos, data, exemplar):
    gcat = data.draw(table(BURST_CATS, MAX_IDS + 1))
    pcat = data.draw(st.one_of(st.just(gcat),
                               table(BURST_CATS, MAX_IDS + 1)))
    gt, pred = _burst(videos, gcat, pcat)
    base = evaluate_burst(gt, pred, exemplar_guided=exemplar)  # (1)
    _check_burst(base)  # (2)

    # (3) GT as prediction. Similarity is the IoU of integer-truncated
    # boxes (the official quirk); identical masks have identical boxes.
    res = evaluate_burst(gt, gt, exemplar_guided=exemplar)
    _check_burst(res)
    has_gt = any(s['track_category_ids'] for s in gt['sequences'])
    for field in ('HOTA', 'DetA', 'AssA', 'LocA'):
        assert same(res[f'{field}_all'], 100.0 if has_gt else math.nan,
                    1e-9), (field, res)

    # (4) permuting sequences and renumbering track ids (GT and prediction)
    order = data.draw(st.permutations(range(len(videos))))
    pids = data.draw(st.lists(st.integers(1, 10**5), unique=True,
                              min_size=MAX_IDS + 1, max_size=MAX_IDS + 1))
    gids = data.draw(st.permutations(pids))
    gt_p, pred_p = _burst(videos, gcat, pcat, order, pids, gids)
    res_p = evaluate_burst(gt_p, pred_p, exemplar_guided=exemplar)
    for key, v in base.items():
        if key != 'per_class':
            assert same(res_p[key], v), (key, res_p[key], v)

    # (5) an empty mask (box [0, 0, 0, 0], IoU 0) as a new track in one
    # frame, of a class with GT: an unmatched detection, or removed
    # (class-guided, frame without GT of the class); nothing rises
    v = data.draw(st.sampled_from(range(len(videos))))
    t = data.draw(st.integers(0, len(videos[v][0]) - 1))
    h, w = videos[v][0].shape[1:]
    more = {**pred, 'sequences': [dict(s) for s in pred['sequences']]}
    seq = more['sequences'][v]
    seq['segmentations'] = [dict(f) for f in seq['segmentations']]
    seq['segmentations'][t]['99999'] = dict(
        rle=encode_mask(np.zeros((h, w), bool))['counts'],
        category_id=data.draw(st.sampled_from(BURST_CATS)))
    res_m = evaluate_burst(gt, more, exemplar_guided=exemplar)
    _check_burst(res_m)
    for key, val in base.items():
        if key != 'per_class' and not math.isnan(val):
            assert not_higher(res_m[key], val, 1e-9), (key, res_m[key], val)
