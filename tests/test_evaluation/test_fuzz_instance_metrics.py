# Copyright (c) mmvidseg contributors. All rights reserved.
"""Fuzzed instance / detection-style evaluators (issue 17, hypothesis).

YouTube-VIS track AP (:func:`ytvis_ap` on ``ytvis_io`` structures),
A2D / JHMDB-Sentences (:func:`refer_a2d_metrics`) and COCO-Videos frame
mask AP (:func:`frame_mask_ap` + :func:`coco_videos_summary`) on random
tiny videos. Each example checks: (1) valid input scores without raising,
(2) every number is in its range, (3) the ground truth submitted as the
prediction scores 1 (100 %) where defined, (4) permuting videos / renumbering
ids leaves the result unchanged, (5) an added empty prediction never raises
the score. Official quirks that bound (4) are stated where they apply.
"""
import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from mmvidseg.evaluation.functional import (coco_videos_summary,
                                            frame_mask_ap, refer_a2d_metrics,
                                            ytvis_ap)
from mmvidseg.structures.masks import encode_mask
from ._fuzz_strategies import (FUZZ, not_higher, object_ids, same, table,
                               track_rles, video_pairs)

MAX_IDS = 3
CATS = (1, 2)
SCORES = (0.25, 0.5, 0.75, 1.0)  # few values: score ties are exercised


# --------------------------------------------------------------- YouTube-VIS
def _ytvis_gt(videos, vid_ids, cat, crowd, ann_ids=None):
    vids, anns = [], []
    for vid, (gt, _) in zip(vid_ids, videos):
        num_t, h, w = gt.shape
        vids.append(dict(id=vid, height=h, width=w, length=num_t))
        for k in object_ids(gt):
            segms = track_rles(gt, k)
            areas = [int((f == k).sum()) or None for f in gt]
            anns.append(dict(id=len(anns) + 1, video_id=vid,
                             category_id=cat[k], segmentations=segms,
                             areas=areas, iscrowd=int(crowd[k])))
    if ann_ids is not None:
        for ann, new in zip(anns, ann_ids):
            ann['id'] = new
    return dict(videos=vids, annotations=anns,
                categories=[dict(id=c, name=str(c)) for c in CATS])


def _ytvis_results(videos, vid_ids, cat, scores):
    out = []
    for vid, (_, pred) in zip(vid_ids, videos):
        for k in object_ids(pred):
            out.append(dict(video_id=vid, category_id=cat[k],
                            segmentations=track_rles(pred, k),
                            score=scores[len(out) % len(scores)]))
    return out


def _check_ytvis_range(stats):
    for name, v in stats.items():
        assert v == -1 or 0 <= v <= 1, (name, v)


@FUZZ
@given(videos=video_pairs(max_ids=MAX_IDS), data=st.data())
def test_ytvis_ap_fuzz(videos, data):
    n = MAX_IDS + 1
    gcat, pcat = data.draw(table(CATS, n)), data.draw(table(CATS, n))
    crowd = data.draw(table((False, False, True), n))
    scores = data.draw(st.lists(st.sampled_from(SCORES), min_size=1,
                                max_size=8))
    vid_ids = list(range(1, len(videos) + 1))
    gt = _ytvis_gt(videos, vid_ids, gcat, crowd)
    results = _ytvis_results(videos, vid_ids, pcat, scores)
    base = ytvis_ap(gt, results)  # (1)
    _check_ytvis_range(base)  # (2)

    # (3) ground truth as prediction. The upstream definition: crowd GT are
    # ignored (a prediction on them is neither TP nor FP), every mask here
    # is "small" (<= 16x16), so AP_M / AP_L / AR_M / AR_L are -1, and AR1
    # keeps one prediction per (video, category): not 1 with two tracks.
    # Precision is tp / (tp + fp + np.spacing(1)) upstream, so "1" is
    # 1 - 2e-16 (hence ``same``).
    perfect = [
        dict(video_id=a['video_id'], category_id=a['category_id'],
             segmentations=a['segmentations'], score=1.0)
        for a in gt['annotations']
    ]
    res = ytvis_ap(gt, perfect)
    _check_ytvis_range(res)
    defined = any(not a['iscrowd'] for a in gt['annotations'])
    for name in ('AP', 'AP50', 'AP75', 'AP_S', 'AR10', 'AR100', 'AR_S'):
        assert same(res[name], 1.0 if defined else -1.0), (name, res)
    for name in ('AP_M', 'AP_L', 'AR_M', 'AR_L'):
        assert res[name] == -1.0, (name, res)

    # (4a) permuting the videos (GT list, annotation and results order by
    # video; the order inside a video is kept: tied scores are broken by
    # the results order, as upstream) and renumbering the annotation ids
    # (never 0: upstream's accumulate reads a match to id 0 as unmatched).
    order = data.draw(st.permutations(range(len(videos))))
    ann_ids = data.draw(st.lists(st.integers(1, 10**6), unique=True,
                                 min_size=len(gt['annotations']),
                                 max_size=len(gt['annotations'])))
    gt_p = _ytvis_gt([videos[i] for i in order],
                     [vid_ids[i] for i in order], gcat, crowd, ann_ids)
    by_video = {v: [r for r in results if r['video_id'] == v]
                for v in vid_ids}
    res_p = [r for i in order for r in by_video[vid_ids[i]]]
    assert ytvis_ap(gt_p, res_p) == base

    # (4b) renumbering the videos changes nothing once scores are distinct
    # (with tied scores upstream breaks ties across videos by ascending
    # video id, so a renumbering may legitimately move a tie).
    distinct = [dict(r, score=(i + 1) / (len(results) + 1))
                for i, r in enumerate(results)]
    new_ids = data.draw(st.lists(st.integers(1, 10**6), unique=True,
                                 min_size=len(videos), max_size=len(videos)))
    remap = dict(zip(vid_ids, new_ids))
    gt_r = _ytvis_gt(videos, new_ids, gcat, crowd)
    res_r = [dict(r, video_id=remap[r['video_id']]) for r in distinct]
    assert ytvis_ap(gt_r, res_r) == ytvis_ap(gt, distinct)

    # (5) an empty track (every frame null), any score, anywhere in the list
    v = data.draw(st.sampled_from(range(len(videos))))
    empty = dict(video_id=vid_ids[v], category_id=data.draw(
        st.sampled_from(CATS)), segmentations=[None] * len(videos[v][0]),
        score=data.draw(st.sampled_from(SCORES)))
    at = data.draw(st.integers(0, len(results)))
    more = ytvis_ap(gt, results[:at] + [empty] + results[at:])
    _check_ytvis_range(more)
    for name, val in more.items():
        assert not_higher(val, base[name]), (name, val, base[name])


# ------------------------------------------------------------- A2D-Sentences
def _a2d_samples(videos):
    """One COCO image per (video, frame, object): the referred object."""
    images, anns, preds = [], [], []
    for v, (gt, pred) in enumerate(videos):
        for t, (g, p) in enumerate(zip(gt, pred)):
            for k in object_ids(g):
                img = len(images) + 1
                rle = encode_mask(g == k)
                images.append(dict(id=img, height=g.shape[0],
                                   width=g.shape[1], name=f'{v}/{t}/{k}'))
                ys, xs = (g == k).nonzero()
                anns.append(dict(
                    id=img, image_id=img, category_id=1, segmentation=rle,
                    area=float((g == k).sum()), iscrowd=0,
                    bbox=[float(xs.min()), float(ys.min()),
                          float(xs.max() - xs.min() + 1),
                          float(ys.max() - ys.min() + 1)]))
                # candidate predictions: every predicted object of the frame
                preds.append([encode_mask(p == q) for q in object_ids(p)])
    return images, anns, preds


def _a2d_gt(images, anns):
    return dict(images=images, annotations=anns,
                categories=[dict(id=1, name='object')])


def _check_a2d_range(out):
    for name, v in out.items():
        if name.startswith('AP') or name == 'mAP':
            assert v == -1 or 0 <= v <= 1, (name, v)
        else:
            assert 0 <= v <= 1, (name, v)


@FUZZ
@given(videos=video_pairs(max_ids=MAX_IDS, max_videos=2), data=st.data())
def test_refer_a2d_metrics_fuzz(videos, data):
    images, anns, cands = _a2d_samples(videos)
    if not images:  # no referred object at all: no sample to score
        return
    gt = _a2d_gt(images, anns)
    preds = []
    for img, rles in zip(images, cands):
        for rle in rles:
            preds.append(dict(image_id=img['id'], category_id=1,
                              segmentation=rle,
                              score=data.draw(st.sampled_from(SCORES))))
    base = refer_a2d_metrics(gt, preds)  # (1)
    _check_a2d_range(base)  # (2)

    # (3) every sample has one non-empty GT object; all masks are small.
    # COCOeval's precision has "+ np.spacing(1)": APs are 1 - 2e-16.
    perfect = [dict(image_id=a['image_id'], category_id=1,
                    segmentation=a['segmentation'], score=1.0) for a in anns]
    res = refer_a2d_metrics(gt, perfect)
    for name in ('mAP', 'AP50', 'AP75', 'AP_S', 'P@0.5', 'P@0.9',
                 'overall_iou', 'mean_iou'):
        assert same(res[name], 1.0, 1e-12), (name, res)
    assert res['AP_M'] == res['AP_L'] == -1.0

    # (4) permuting the samples (images, annotations, predictions grouped
    # by sample; within a sample the order breaks ties: MTTR takes the last
    # of the top scores and COCOeval sorts stably)
    order = data.draw(st.permutations(range(len(images))))
    by_img = {i['id']: [p for p in preds if p['image_id'] == i['id']]
              for i in images}
    gt_p = _a2d_gt([images[i] for i in order], [anns[i] for i in order])
    preds_p = [p for i in order for p in by_img[images[i]['id']]]
    assert refer_a2d_metrics(gt_p, preds_p) == base
    # renumbering the samples changes nothing once scores are distinct
    # (COCOeval breaks score ties across images by ascending image id)
    distinct = [dict(p, score=(i + 1) / (len(preds) + 1))
                for i, p in enumerate(preds)]
    new_ids = data.draw(st.lists(st.integers(1, 10**6), unique=True,
                                 min_size=len(images), max_size=len(images)))
    remap = {i['id']: new for i, new in zip(images, new_ids)}
    gt_r = _a2d_gt([dict(i, id=remap[i['id']]) for i in images],
                   [dict(a, id=remap[a['id']], image_id=remap[a['image_id']])
                    for a in anns])
    preds_r = [dict(p, image_id=remap[p['image_id']]) for p in distinct]
    assert refer_a2d_metrics(gt_r, preds_r) == refer_a2d_metrics(
        gt, distinct)

    # (5) an empty mask: never raises the COCO APs, at any score; below the
    # sample's scores (or for a sample without predictions, which counts as
    # an empty mask) the top-1 IoU numbers are unchanged.
    i = data.draw(st.sampled_from(range(len(images))))
    img = images[i]
    empty = encode_mask(np.zeros((img['height'], img['width']), bool))
    score = data.draw(st.sampled_from((0.0, ) + SCORES))
    more = refer_a2d_metrics(gt, preds + [dict(
        image_id=img['id'], category_id=1, segmentation=empty,
        score=score)])
    _check_a2d_range(more)
    for name in ('mAP', 'AP50', 'AP75', 'AP_S', 'AP_M', 'AP_L'):
        assert not_higher(more[name], base[name]), (name, more, base)
    own = [p['score'] for p in by_img[img['id']]]
    if not own or score < min(own):
        for name in ('P@0.5', 'P@0.7', 'P@0.9', 'overall_iou', 'mean_iou'):
            assert more[name] == base[name], (name, more, base)


# ------------------------------------------------------- COCO-Videos mask AP
def _coco_frames(videos, image_ids, cat):
    images, anns, preds = [], [], []
    for v, (gt, pred) in enumerate(videos):
        for t, (g, p) in enumerate(zip(gt, pred)):
            img = image_ids[len(images)]
            images.append(dict(id=img, height=g.shape[0], width=g.shape[1],
                               video=v))
            for k in object_ids(g):
                ys, xs = (g == k).nonzero()
                anns.append(dict(
                    id=len(anns) + 1, image_id=img, category_id=cat[k],
                    segmentation=encode_mask(g == k),
                    area=float(len(ys)), iscrowd=0,
                    bbox=[float(xs.min()), float(ys.min()),
                          float(xs.max() - xs.min() + 1),
                          float(ys.max() - ys.min() + 1)]))
            for k in object_ids(p):
                preds.append(dict(image_id=img, category_id=cat[k],
                                  segmentation=encode_mask(p == k),
                                  score=(k + 1) / (MAX_IDS + 2)))
    gt = dict(images=images, annotations=anns,
              categories=[dict(id=c, name=str(c)) for c in CATS])
    return gt, preds


def _per_video(gt, aps):
    out = {}
    for img in gt['images']:
        out.setdefault(f"v{img['video']}", []).append(aps[img['id']])
    return out


@FUZZ
@given(videos=video_pairs(max_ids=MAX_IDS, max_videos=2), data=st.data())
def test_coco_videos_frame_mask_ap_fuzz(videos, data):
    cat = data.draw(table(CATS, MAX_IDS + 1))
    num_frames = sum(len(g) for g, _ in videos)
    image_ids = list(range(1, num_frames + 1))
    gt, preds = _coco_frames(videos, image_ids, cat)
    base = frame_mask_ap(gt, preds)  # (1)
    # (2) percent, NaN for a frame without predictions or without GT
    # (detectron2's COCOEvaluator)
    for img in gt['images']:
        has_gt = any(a['image_id'] == img['id'] for a in gt['annotations'])
        has_dt = any(p['image_id'] == img['id'] for p in preds)
        ap = base[img['id']]
        assert math.isnan(ap) == (not (has_gt and has_dt)), (img, ap)
        assert math.isnan(ap) or 0 <= ap <= 100
    summary = coco_videos_summary({k: [x for x in v if not math.isnan(x)]
                                   or [0.0] for k, v in
                                   _per_video(gt, base).items()})
    assert 0 <= summary['overall'] <= 100

    # (3) ground truth as prediction: 100 on every frame with GT
    perfect = [dict(image_id=a['image_id'], category_id=a['category_id'],
                    segmentation=a['segmentation'], score=1.0)
               for a in gt['annotations']]
    res = frame_mask_ap(gt, perfect)
    for img in gt['images']:
        has_gt = any(a['image_id'] == img['id'] for a in gt['annotations'])
        assert same(res[img['id']], 100.0 if has_gt else math.nan)

    # (4) renumbering the frames (images are scored one by one) and
    # permuting the videos of the summary
    new_ids = data.draw(st.lists(st.integers(1, 10**6), unique=True,
                                 min_size=num_frames, max_size=num_frames))
    gt_r, preds_r = _coco_frames(videos, new_ids, cat)
    res_r = frame_mask_ap(gt_r, preds_r)
    for old, new in zip(image_ids, new_ids):
        assert same(res_r[new], base[old])
    per_video = _per_video(gt, {k: (0.0 if math.isnan(v) else v)
                                for k, v in base.items()})
    names = data.draw(st.permutations(sorted(per_video)))
    s1 = coco_videos_summary(per_video)
    s2 = coco_videos_summary({n: per_video[n] for n in names})
    assert same(s1['overall'], s2['overall']) and s1['per_video'] == s2[
        'per_video']

    # (5) an empty mask on one frame, any score: the frame's AP never rises
    # (a frame that had no prediction goes from NaN to 0, or stays NaN
    # without GT)
    img = data.draw(st.sampled_from(gt['images']))
    empty = encode_mask(np.zeros((img['height'], img['width']), bool))
    more = frame_mask_ap(gt, preds + [dict(
        image_id=img['id'], category_id=data.draw(st.sampled_from(CATS)),
        segmentation=empty, score=data.draw(st.sampled_from(SCORES)))])
    for i, ap in more.items():
        if math.isnan(base[i]):
            has_gt = any(a['image_id'] == i for a in gt['annotations'])
            if i == img['id']:
                assert same(ap, 0.0 if has_gt else math.nan), (i, ap)
            else:
                assert math.isnan(ap)
        else:
            assert not_higher(ap, base[i]), (i, ap, base[i])


def test_ytvis_empty_ground_truth_track_is_never_matched():
    """The official quirk behind restricting (3) to tracks with a mask:
    upstream's ``iou_seq`` gives IoU 0 when the union is empty, so a
    ground-truth track without any mask (all null or empty RLEs) stays a
    false negative even when the prediction copies it."""
    m = np.zeros((4, 4), bool)
    m[:2, :2] = True
    e = encode_mask(np.zeros((4, 4), bool))
    anns = [
        dict(id=1, video_id=1, category_id=1, iscrowd=0,
             segmentations=[encode_mask(m), None]),
        dict(id=2, video_id=1, category_id=1, iscrowd=0,
             segmentations=[None, None]),
        dict(id=3, video_id=1, category_id=1, iscrowd=0,
             segmentations=[e, e]),
    ]
    gt = dict(videos=[dict(id=1, height=4, width=4, length=2)],
              categories=[dict(id=1)], annotations=anns)
    perfect = [dict(video_id=1, category_id=1, score=1.0,
                    segmentations=a['segmentations']) for a in anns]
    res = ytvis_ap(gt, perfect)
    assert same(res['AR100'], 1 / 3, 1e-12)
    assert res['AP'] < 0.34
