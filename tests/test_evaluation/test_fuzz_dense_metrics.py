# Copyright (c) mmvidseg contributors. All rights reserved.
"""Fuzzed label-map evaluators (issue 17, hypothesis).

DAVIS J&F semi-supervised and unsupervised (:func:`evaluate_davis_sequence`
+ :func:`davis_summary`), Ref-YouTube-VOS / Ref-DAVIS J&F
(:func:`expression_jf` + :func:`refer_jf_summary`), STQ (:class:`STQuality`),
VPQ (:func:`frame_stats` + :func:`compute_vpq`) and COCO-Videos PQ
(:func:`frame_pq`) on random tiny videos. Each example checks: (1) valid
input scores without raising, (2) every number is in its range, (3) the
ground truth submitted as the prediction scores 1 (100 %) where defined,
(4) permuting videos / renumbering ids leaves the result unchanged, (5) an
added empty prediction never raises the score -- where the official
definition says otherwise (J of an empty mask on an empty ground truth is
1), the test asserts the definition instead.
"""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmvidseg.evaluation.functional import (STQuality, compute_vpq,
                                            davis_summary,
                                            evaluate_davis_sequence,
                                            expression_jf, frame_pq,
                                            frame_stats, refer_jf_summary)
from mmvidseg.evaluation.functional.davis import VOID
from ._fuzz_strategies import (FUZZ, not_higher, object_ids, relabel, same,
                               table, video_pairs)

MAX_IDS = 3
DAVIS_KEYS = ('J&F-Mean', 'J-Mean', 'J-Recall', 'J-Decay', 'F-Mean',
              'F-Recall', 'F-Decay')


# --------------------------------------------------------------------- DAVIS
def _davis_gt(gt, void):
    """Void (255) pixels where ``void`` is set; frame 0 keeps >= 1 object."""
    gt = np.where(void, VOID, gt)
    gt[0, 0, 0] = max(int(gt[0, 0, 0]) % VOID, 1)
    return gt


def _check_davis(out):
    for key in DAVIS_KEYS:
        lo = -1 if key.endswith('Decay') else 0
        assert lo <= out[key] <= 1, (key, out[key])
    for name, obj in out['per_object'].items():
        for key, v in obj.items():
            lo = -1 if key.endswith('Decay') else 0
            assert lo <= v <= 1, (name, key, v)


def _summary(per_seq, names=None):
    names = names or list(per_seq)
    return davis_summary({n: per_seq[n] for n in names})


def _same_summary(a, b):
    for key in DAVIS_KEYS:
        assert same(a[key], b[key], 1e-12), (key, a[key], b[key])


@FUZZ
@given(videos=video_pairs(max_ids=MAX_IDS, min_frames=3, max_frames=4),
       data=st.data())
def test_davis_semi_supervised_fuzz(videos, data):
    gts, preds = {}, {}
    for i, (gt, pred) in enumerate(videos):
        void = data.draw(st.booleans()) & (gt == MAX_IDS)
        gt = _davis_gt(gt, void)
        num_obj = int(gt[0][gt[0] != VOID].max())
        # ids above the object count are an error (upstream exits): (5)
        gts[f's{i}'] = gt
        preds[f's{i}'] = np.where(pred > num_obj, 0, pred)
    per_seq = {n: evaluate_davis_sequence(gts[n], preds[n]) for n in gts}
    base = davis_summary(per_seq)  # (1)
    _check_davis(base)  # (2)

    # (3) the ground truth (void and ids above the object count are
    # background in the semi-supervised task) scores exactly 1
    perfect = {}
    for n, gt in gts.items():
        num_obj = int(gt[0][gt[0] != VOID].max())
        perfect[n] = evaluate_davis_sequence(
            gt, np.where((gt == VOID) | (gt > num_obj), 0, gt))
    res = davis_summary(perfect)
    for key in ('J&F-Mean', 'J-Mean', 'J-Recall', 'F-Mean', 'F-Recall'):
        assert res[key] == 1.0, (key, res)
    assert res['J-Decay'] == res['F-Decay'] == 0.0

    # (4a) permuting the sequences
    names = data.draw(st.permutations(list(gts)))
    _same_summary(_summary(per_seq, names), base)
    # (4b) renumbering the objects 1..N of a sequence (GT and prediction
    # alike). By definition N is the largest id of the first frame: when a
    # renumbering changes that largest id the objects change too, so the
    # property is only asserted when it does not.
    n = data.draw(st.sampled_from(list(gts)))
    num_obj = int(gts[n][0][gts[n][0] != VOID].max())
    perm = data.draw(st.permutations(range(1, num_obj + 1)))
    mapping = dict(zip(range(1, num_obj + 1), perm))
    gt_r = relabel(gts[n], mapping)
    new_num = int(gt_r[0][gt_r[0] != VOID].max())
    if new_num == num_obj:
        j_r, f_r = evaluate_davis_sequence(gt_r, relabel(preds[n], mapping))
        inverse = [perm.index(k) for k in range(1, num_obj + 1)]
        j, f = per_seq[n]
        assert np.array_equal(j_r[inverse], j)
        assert np.array_equal(f_r[inverse], f)
    else:
        j_r, _ = evaluate_davis_sequence(gt_r, np.zeros_like(gt_r))
        assert len(j_r) == new_num < num_obj

    # (5) a prediction for an object that does not exist is refused, as
    # upstream; an empty prediction of an object scores, by definition,
    # J = 1 on the frames where the object is absent and 0 elsewhere, and
    # F = 1 where the object has no boundary: absent, or covering the whole
    # frame (the official _seg2bmap gives such a mask no boundary pixel).
    bad = preds[n].copy()
    bad[1, 0, 0] = num_obj + 1
    with pytest.raises(ValueError, match='higher than the number of objects'):
        evaluate_davis_sequence(gts[n], bad, name=n)
    j0, f0 = evaluate_davis_sequence(gts[n], np.zeros_like(gts[n]))
    inner = gts[n][1:-1]
    absent = np.stack([~(inner == k).any((1, 2))
                       for k in range(1, num_obj + 1)]).astype(float)
    no_edge = np.stack([~(inner == k).any((1, 2)) | (inner == k).all((1, 2))
                        for k in range(1, num_obj + 1)]).astype(float)
    assert np.array_equal(j0, absent) and np.array_equal(f0, no_edge)


@FUZZ
@given(videos=video_pairs(max_ids=MAX_IDS, min_frames=1, max_frames=3),
       data=st.data())
def test_davis_unsupervised_fuzz(videos, data):
    gts, preds = {}, {}
    for i, (gt, pred) in enumerate(videos):
        void = data.draw(st.booleans()) & (gt == MAX_IDS)
        gts[f's{i}'] = _davis_gt(gt, void)
        preds[f's{i}'] = pred
    task = dict(task='unsupervised')
    per_seq = {n: evaluate_davis_sequence(gts[n], preds[n], **task)
               for n in gts}
    base = davis_summary(per_seq)  # (1)
    _check_davis(base)  # (2)

    # (3) ground truth as proposals (ids above the first frame's largest id
    # are background by definition, void is excluded)
    perfect = {}
    for n, gt in gts.items():
        num_obj = int(gt[0][gt[0] != VOID].max())
        perfect[n] = evaluate_davis_sequence(
            gt, np.where((gt == VOID) | (gt > num_obj), 0, gt), **task)
    res = davis_summary(perfect)
    for key in ('J&F-Mean', 'J-Mean', 'J-Recall', 'F-Mean', 'F-Recall'):
        assert res[key] == 1.0, (key, res)

    # (4) permuting the sequences; renumbering the proposals. The Hungarian
    # assignment maximises the sum of (J-Mean + F-Mean) / 2, so J&F-Mean is
    # invariant; J-Mean alone is not when two assignments tie on J + F.
    names = data.draw(st.permutations(list(gts)))
    _same_summary(_summary(per_seq, names), base)
    n = data.draw(st.sampled_from(list(gts)))
    num_pred = int(preds[n].max())
    perm = data.draw(st.permutations(range(1, num_pred + 1)))
    renum = dict(per_seq)
    renum[n] = evaluate_davis_sequence(
        gts[n], relabel(preds[n], dict(zip(range(1, num_pred + 1), perm))),
        **task)
    assert same(davis_summary(renum)['J&F-Mean'], base['J&F-Mean'], 1e-12)

    # (5) an extra proposal that is empty everywhere (all ids shifted up by
    # one). By the official definition this can RAISE the score: J (and F)
    # of an empty proposal on a frame where the object is absent is 1, and
    # missing proposals only exist while there are fewer proposals than
    # objects. The assignment is over a superset, so it never lowers it.
    shifted = dict(per_seq)
    shifted[n] = evaluate_davis_sequence(
        gts[n], np.where(preds[n] > 0, preds[n] + 1, 0), **task)
    more = davis_summary(shifted)
    _check_davis(more)
    assert more['J&F-Mean'] >= base['J&F-Mean'] - 1e-12


def test_davis_unsupervised_empty_proposal_can_raise_the_score():
    """The official quirk behind property (5) above, on a fixed example."""
    gt = np.zeros((2, 4, 4), np.int64)
    gt[0, :2, :2] = 1  # the object is absent in frame 1
    pred = np.zeros_like(gt)
    pred[:, 2:, 2:] = 1  # one wrong proposal, present in both frames
    base = davis_summary({'s': evaluate_davis_sequence(
        gt, pred, task='unsupervised')})
    more = davis_summary({'s': evaluate_davis_sequence(
        gt, pred * 2, task='unsupervised')})  # proposal 1 is now empty
    assert base['J-Mean'] == 0.0
    assert more['J-Mean'] == 0.5  # frame 1: empty vs empty gives J = 1


# -------------------------------------------------------- Ref-YouTube-VOS J&F
@FUZZ
@given(videos=video_pairs(max_ids=2, max_frames=3), data=st.data())
def test_refer_jf_fuzz(videos, data):
    # one expression per (video, object id 1..2): the referred object
    exprs = {f'v{i}/{k}': (gt == k, pred == k)
             for i, (gt, pred) in enumerate(videos) for k in (1, 2)}
    per_exp = {n: expression_jf(g, p) for n, (g, p) in exprs.items()}  # (1)
    base = refer_jf_summary(per_exp)
    for key in ('J&F', 'J', 'F'):  # (2)
        assert 0 <= base[key] <= 1, (key, base)
    for j, f in per_exp.values():
        assert ((0 <= j) & (j <= 1)).all() and ((0 <= f) & (f <= 1)).all()

    # (3) ground truth as prediction
    res = refer_jf_summary({n: expression_jf(g, g)
                            for n, (g, _) in exprs.items()})
    assert res['J&F'] == res['J'] == res['F'] == 1.0

    # (4) permuting the expressions (one referred object each: there are no
    # track ids to renumber)
    names = data.draw(st.permutations(list(per_exp)))
    res = refer_jf_summary({n: per_exp[n] for n in names})
    for key in ('J&F', 'J', 'F'):
        assert same(res[key], base[key], 1e-12)
    assert res['per_expression'] == base['per_expression']

    # (5) an empty prediction scores, by the DAVIS definition, J = 1 on
    # frames with an empty ground truth and 0 elsewhere, F = 1 where the
    # ground truth has no boundary (empty, or covering the whole frame) and
    # 0 elsewhere; so adding an expression answered by an empty mask can
    # raise the mean when its object is mostly absent.
    for g, _ in exprs.values():
        j, f = expression_jf(g, np.zeros_like(g))
        absent = ~g.any((1, 2))
        assert np.array_equal(j, absent.astype(float))
        assert np.array_equal(f, (absent | g.all((1, 2))).astype(float))


# ----------------------------------------------------------------------- STQ
NUM_CLASSES, THINGS, STQ_VOID = 4, (1, 2), 255
SEM = (0, 1, 2, 3, STQ_VOID)


def _panoptic(labels, sem, inst, shift):
    s = np.array(sem, np.int64)[labels]
    i = np.array(inst, np.int64)[labels]
    return (s << shift) + i


def _stq(seqs, shift=16):
    """STQ of ``[(seq id, gt (T,H,W), pred (T,H,W))]`` panoptic videos."""
    stq = STQuality(NUM_CLASSES, THINGS, STQ_VOID, shift, 1 << 40)
    for sid, gt, pred in seqs:
        for g, p in zip(gt, pred):
            stq.update(g, p, sid)
    return stq.result()


def _check_stq(res):
    for key in ('STQ', 'AQ', 'IoU'):
        v = res[key]
        assert (key != 'AQ' and math.isnan(v)) or 0 <= v <= 1 + 1e-12, (
            key, v)


@FUZZ
@given(videos=video_pairs(max_ids=MAX_IDS), data=st.data())
def test_stq_fuzz(videos, data):
    n = MAX_IDS + 1
    gsem = data.draw(table(SEM, n))
    psem = data.draw(st.one_of(st.just(gsem), table(SEM, n)))
    crowd = data.draw(table((False, False, True), n))
    # things carry an instance (0 = crowd in the ground truth); stuff none
    ginst = [k if gsem[k] in THINGS and not crowd[k] else 0 for k in range(n)]
    pinst = [k if psem[k] in THINGS else 0 for k in range(n)]

    def build(shift, gi=ginst, pi=pinst, order=None):
        order = range(len(videos)) if order is None else order
        return [(f'seq{i}', _panoptic(videos[i][0], gsem, gi, shift),
                 _panoptic(videos[i][1], psem, pi, shift)) for i in order]

    base = _stq(build(16))  # (1): 16-bit shift (C++ kernel where built)
    _check_stq(base)  # (2)
    # numpy path (8-bit shift): the same numbers
    for key in ('STQ', 'AQ', 'IoU'):
        assert same(_stq(build(8), shift=8)[key], base[key], 1e-12), key

    # (3) ground truth as prediction. By definition AQ = 0 without any
    # (non-crowd) thing tube (deeplab2 divides by max(#tubes, eps)) and the
    # IoU is NaN when every pixel is void.
    seqs = build(16)
    res = _stq([(s, g, g) for s, g, _ in seqs])
    _check_stq(res)
    gt_all = np.concatenate([g.ravel() for _, g, _ in seqs])
    has_tube = (np.isin(gt_all >> 16, THINGS) & ((gt_all & 0xffff) > 0)).any()
    all_void = ((gt_all >> 16) == STQ_VOID).all()
    assert res['AQ'] == (1.0 if has_tube else 0.0), res
    assert math.isnan(res['IoU']) if all_void else res['IoU'] == 1.0, res

    # (4) permuting the sequences; renumbering GT and predicted instances
    order = data.draw(st.permutations(range(len(videos))))
    new_p = data.draw(st.lists(st.integers(1, 60000), unique=True,
                               min_size=n, max_size=n))
    new_g = data.draw(st.permutations(new_p))
    pi = [new_p[k] if pinst[k] else 0 for k in range(n)]
    gi = [new_g[k] if ginst[k] else 0 for k in range(n)]
    res = _stq(build(16, gi, pi, order))
    for key in ('STQ', 'AQ', 'IoU'):
        assert same(res[key], base[key], 1e-12), (key, res[key], base[key])
    for key in ('STQ_per_seq', 'AQ_per_seq', 'IoU_per_seq'):
        by_seq = dict(zip(res['ID_per_seq'], res[key]))
        for sid, v in zip(base['ID_per_seq'], base[key]):
            assert same(by_seq[sid], v, 1e-12), (key, sid)

    # (5) a sequence answered by an empty (all-void) prediction. As
    # deeplab2, predicted void is an extra class column with IoU 0, and its
    # tubes add |g| to the AQ denominator: nothing rises.
    v = data.draw(st.sampled_from(range(len(videos))))
    extra = ('extra', seqs[v][1], np.full_like(seqs[v][1], STQ_VOID << 16))
    more = _stq(seqs + [extra])
    _check_stq(more)
    for key in ('STQ', 'AQ', 'IoU'):
        assert not_higher(more[key], base[key]), (key, more[key], base[key])


# ---------------------------------------------------------------- VPQ and PQ
CATEGORIES = {1: dict(isthing=1), 2: dict(isthing=1), 3: dict(isthing=0)}


def _segments(labels, cat, crowd=None):
    info = []
    for k in object_ids(labels):
        el = dict(id=k, category_id=cat[k])
        if crowd is not None:
            el.update(iscrowd=int(crowd[k]), area=int((labels == k).sum()))
        info.append(el)
    return info


def _vpq_frames(gt, pred, gcat, pcat, crowd, gmap=None, pmap=None):
    gmap, pmap = gmap or {}, pmap or {}
    gt, pred = relabel(gt, gmap), relabel(pred, pmap)
    g_cat = {gmap.get(k, k): c for k, c in enumerate(gcat)}
    p_cat = {pmap.get(k, k): c for k, c in enumerate(pcat)}
    g_crowd = {gmap.get(k, k): c for k, c in enumerate(crowd)}
    return [frame_stats(g, p, _segments(g, g_cat, g_crowd),
                        _segments(p, p_cat), CATEGORIES, f'frame {t}')
            for t, (g, p) in enumerate(zip(gt, pred))]


def _one_crowd_per_category(gcat, crowd):
    """COCO panoptic: at most one crowd segment per category (panopticapi
    keeps one crowd id per category when matching)."""
    out, seen = [], set()
    for k, (c, flag) in enumerate(zip(gcat, crowd)):
        flag = bool(flag and k and CATEGORIES[c]['isthing'] and c not in seen)
        seen |= {c} if flag else set()
        out.append(flag)
    return out


def _check_vpq(res):
    for key, v in res.items():
        if key.startswith(('VPQ', 'VSQ', 'VRQ')):
            assert math.isnan(v) or 0 <= v <= 100 + 1e-9, (key, v)


WINDOWS = (1, 2)


@FUZZ
@given(videos=video_pairs(max_ids=MAX_IDS), data=st.data())
def test_vpq_fuzz(videos, data):
    n = MAX_IDS + 1
    gcat = data.draw(table((1, 2, 3), n))
    pcat = data.draw(st.one_of(st.just(gcat), table((1, 2, 3), n)))
    crowd = _one_crowd_per_category(
        gcat, data.draw(table((False, False, True), n)))
    frames = {f'v{i}': _vpq_frames(g, p, gcat, pcat, crowd)
              for i, (g, p) in enumerate(videos)}  # (1)
    base = compute_vpq(frames, CATEGORIES, nframes_list=WINDOWS)
    _check_vpq(base)  # (2)

    # (3) ground truth as prediction: 100 for every window length that some
    # video covers with a non-crowd segment; NaN otherwise (no category has
    # TP + FP + FN > 0; upstream divides by zero)
    perfect = {f'v{i}': _vpq_frames(g, g, gcat, gcat, crowd)
               for i, (g, _) in enumerate(videos)}
    res = compute_vpq(perfect, CATEGORIES, nframes_list=WINDOWS)
    for nf in WINDOWS:
        defined = any(len(g) >= nf and any(not crowd[k] for k in
                                           object_ids(g))
                      for g, _ in videos)
        assert same(res[f'VPQ_nframes{nf}'], 100.0 if defined else math.nan,
                    1e-9), (nf, res)

    # (4) permuting the videos; renumbering GT and predicted segment ids
    order = data.draw(st.permutations(range(len(videos))))
    new_p = data.draw(st.lists(st.integers(1, 2**24 - 1), unique=True,
                               min_size=MAX_IDS, max_size=MAX_IDS))
    new_g = data.draw(st.permutations(new_p))
    pmap = dict(zip(range(1, n), new_p))
    gmap = dict(zip(range(1, n), new_g))
    frames_r = {f'v{i}': _vpq_frames(*videos[i], gcat, pcat, crowd, gmap,
                                     pmap) for i in order}
    res = compute_vpq(frames_r, CATEGORIES, nframes_list=WINDOWS)
    for key, v in base.items():
        if key.startswith(('VPQ', 'VSQ', 'VRQ')):
            assert same(res[key], v, 1e-9), (key, res[key], v)

    # (5a) a segment listed in the prediction JSON but absent from the PNG
    # is refused (the file is inconsistent)
    g, p = videos[0]
    info = _segments(p[0], dict(enumerate(pcat))) + [dict(id=99,
                                                          category_id=1)]
    with pytest.raises(KeyError, match='absent from its PNG'):
        frame_stats(g[0], p[0], [], info, CATEGORIES, 'frame 0')
    # (5b) a video answered by an empty (all-void) prediction: only false
    # negatives are added, no window's VPQ rises
    v = data.draw(st.sampled_from(range(len(videos))))
    g = videos[v][0]
    more = dict(frames, extra=_vpq_frames(g, np.zeros_like(g), gcat, pcat,
                                          crowd))
    res = compute_vpq(more, CATEGORIES, nframes_list=WINDOWS)
    _check_vpq(res)
    for nf in WINDOWS:
        for suffix in ('', '_thing', '_stuff'):
            key = f'VPQ_nframes{nf}{suffix}'
            assert not_higher(res[key], base[key], 1e-9), (key, res[key],
                                                           base[key])

    # COCO-Videos PQ: the same definition on single frames
    g, p = videos[0][0][0], videos[0][1][0]
    pq = frame_pq(g, p, _segments(g, dict(enumerate(gcat)),
                                  dict(enumerate(crowd))),
                  _segments(p, dict(enumerate(pcat))), CATEGORIES)
    assert math.isnan(pq) or 0 <= pq <= 100 + 1e-9
    defined = any(not crowd[k] for k in object_ids(g))
    gt_info = _segments(g, dict(enumerate(gcat)), dict(enumerate(crowd)))
    perfect = frame_pq(g, g, gt_info, _segments(g, dict(enumerate(gcat))),
                       CATEGORIES)
    assert same(perfect, 100.0 if defined else math.nan, 1e-9)
    empty = frame_pq(g, np.zeros_like(g), gt_info, [], CATEGORIES)
    assert same(empty, 0.0 if defined else math.nan)
    p_r = relabel(p, pmap)
    pq_r = frame_pq(g, p_r, gt_info, _segments(
        p_r, {pmap.get(k, k): c for k, c in enumerate(pcat)}), CATEGORIES)
    assert same(pq_r, pq, 1e-9)

