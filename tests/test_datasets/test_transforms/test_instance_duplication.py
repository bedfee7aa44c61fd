# Copyright (c) mmvidseg contributors. All rights reserved.
import copy

import cv2
import numpy as np
import pytest
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks

from mmvidseg.datasets.transforms import (DuplicationPlan,
                                          SingleInstanceDuplicate)
from mmvidseg.datasets.transforms.instance_duplication import (
    mask_bbox, paste_duplicate, sample_plan)
from mmvidseg.registry import TRANSFORMS

H, W = 40, 60
RED, GREY = (0, 0, 200), (60, 60, 60)


def _square(x1=20, y1=14, size=8):
    mask = np.zeros((H, W), np.uint8)
    mask[y1:y1 + size, x1:x1 + size] = 1
    return mask


def _textured(mask):
    """Grey image; inside the mask a per-pixel pattern (a copy must move
    every pixel, not just a colour)."""
    img = np.full((H, W, 3), GREY, np.uint8)
    ys, xs = np.nonzero(mask)
    img[ys, xs] = np.stack([(xs * 7) % 256, (ys * 11) % 256,
                            np.full_like(xs, 200)], 1)
    return img


def _frame_dict(masks, ids, labels, ignore, img):
    masks = np.asarray(masks, np.uint8).reshape(-1, H, W)
    boxes = np.array([mask_bbox(m) for m in masks], np.float32).reshape(-1, 4)
    return dict(img=img, gt_masks=BitmapMasks(masks, H, W),
                gt_bboxes=HorizontalBoxes(boxes),
                gt_bboxes_labels=np.array(labels, np.int64),
                gt_instances_ids=np.array(ids, np.int64),
                gt_ignore_flags=np.array(ignore, bool))


def _clip(frames):
    """Per-frame dicts -> the clip layout of TransformBroadcaster."""
    out = {k: [f[k] for f in frames] for k in frames[0]}
    out['img_path'] = [f'{t}.jpg' for t in range(len(frames))]
    out['frame_id'] = list(range(len(frames)))
    return out


def _single_clip(masks):
    """One object (id 7, label 3) in the frames where its mask is
    non-empty."""
    frames = []
    for m in masks:
        if m.any():
            frames.append(_frame_dict([m], [7], [3], [False], _textured(m)))
        else:
            frames.append(_frame_dict([], [], [], [], _textured(m)))
    return _clip(frames)


def _replay(masks, seed):
    """The plan the transform draws for ``masks`` under ``seed``."""
    rng = np.random.RandomState(seed)
    return sample_plan(masks, rng.rand)


def test_bbox_and_direction_rules():
    assert mask_bbox(np.zeros((H, W), np.uint8)) is None
    assert mask_bbox(_square()) == (20, 14, 28, 22)
    draws = iter([0.9, 0.1, 0.2, 0.5, 0.0])
    plan = sample_plan([_square()], lambda: next(draws))
    # free axes: x sign + (0.9), y sign - (0.1); flip (0.2 < 0.5);
    # x = 0.75 * 8 + 0.5 * 0.25 * 8 = 7, y = -(8 * 0.0 * 0.25) = 0
    assert plan == DuplicationPlan(flip=True, shifts=[(7.0, -0.0)])
    # small object in the right quarter is forced left; wide object at the
    # left border moves further left, its copy is never flipped
    forced = sample_plan([_square(x1=50)], lambda: 0.1)
    assert forced.shifts[0] == (-(6 + 0.1 * 0.25 * 8), -(8 * 0.1 * 0.25))
    assert forced.flip
    wide = np.zeros((H, W), np.uint8)
    wide[10:20, 0:30] = 1
    plan = sample_plan([wide], lambda: 0.99)
    assert plan.shifts[0][0] == -(0.75 * 30 + 0.99 * 0.25 * 30)
    assert not plan.flip
    # positive shifts are capped at 30 % of the size, negative ones not
    big = np.zeros((H, W), np.uint8)
    big[5:15, 5:35] = 1
    assert sample_plan([big], lambda: 0.99).shifts[0][0] == 0.3 * W
    assert sample_plan([big], lambda: 0.0).shifts[0][0] == -0.75 * 30
    # touching the left border in one frame and the right in another
    right = np.zeros((H, W), np.uint8)
    right[10:20, 55:60] = 1
    assert sample_plan([wide, right], lambda: 0.5) is None
    assert sample_plan([np.zeros((H, W), np.uint8)], lambda: 0.5) is None
    # touching top and bottom: no vertical shift
    tall = np.zeros((H, W), np.uint8)
    tall[:, 20:26] = 1
    assert sample_plan([tall], lambda: 0.3).shifts[0][1] == 0.0


def test_paste_integer_shift_copies_pixels_and_occludes():
    mask = _square()
    img = _textured(mask)
    out, kept, dup = paste_duplicate(img, mask, False, (5.0, 2.0))
    np.testing.assert_array_equal(dup, np.roll(mask, (2, 5), (0, 1)))
    np.testing.assert_array_equal(out[16:24, 25:33], img[14:22, 20:28])
    # the copy covers columns 25-27 of the original, rows 16-21
    expected = mask.copy()
    expected[16:22, 25:28] = 0
    np.testing.assert_array_equal(kept, expected)
    untouched = dup == 0
    np.testing.assert_array_equal(out[untouched], img[untouched])
    # flip mirrors the instance inside its box before the shift
    out, _, _ = paste_duplicate(img, mask, True, (-9.0, 0.0))
    np.testing.assert_array_equal(out[14:22, 11:19],
                                  img[14:22, 20:28][:, ::-1])


@pytest.mark.parametrize('seed,flip', [(0, False), (3, True)])
def test_duplicates_single_instance_as_replayed_plan(seed, flip):
    masks = [_square(20, 14), _square(22, 15), _square(24, 16)]
    clip = _single_clip(masks)
    imgs = [i.copy() for i in clip['img']]
    np.random.seed(seed)
    out = SingleInstanceDuplicate()(clip)
    plan = _replay(masks, seed)
    assert plan.flip == flip
    for t, (mask, (sx, sy)) in enumerate(zip(masks, plan.shifts)):
        ids = out['gt_instances_ids'][t]
        assert ids.tolist() == [7, -7]
        assert out['gt_bboxes_labels'][t].tolist() == [3, 3]
        assert out['gt_ignore_flags'][t].tolist() == [False, False]
        src_img, src_mask = imgs[t].copy(), mask.copy()
        if plan.flip:  # mirror the box (the reference's in-place flip)
            x1, y1, x2, y2 = mask_bbox(mask)
            src_img[y1:y2, x1:x2] = imgs[t][y1:y2, x1:x2][:, ::-1]
            src_mask[y1:y2, x1:x2] = mask[y1:y2, x1:x2][:, ::-1]
        mat = np.float32([[1, 0, sx], [0, 1, sy]])
        dup = cv2.warpAffine(np.ascontiguousarray(src_mask), mat, (W, H))
        got = out['gt_masks'][t].masks
        np.testing.assert_array_equal(got[1], dup)
        np.testing.assert_array_equal(got[0], np.where(dup > 0, 0, mask))
        assert dup.sum() == mask.sum()  # a whole square moved
        # copy's pixels = the original's, warped by the same shift
        moved = cv2.warpAffine(np.ascontiguousarray(src_img), mat, (W, H))
        np.testing.assert_array_equal(out['img'][t][dup > 0], moved[dup > 0])
        np.testing.assert_array_equal(out['img'][t][dup == 0],
                                      imgs[t][dup == 0])
        box = out['gt_bboxes'][t].tensor.numpy()
        np.testing.assert_array_equal(box[1], mask_bbox(dup))
        assert 0.75 * 8 <= abs(sx) <= 8 and abs(sy) <= 2


def test_copy_pixels_equal_original_with_integer_shift(monkeypatch):
    # u = 0.5 for every draw: signs +, flip off, x = 7, y = 1 (integers)
    monkeypatch.setattr(np.random, 'rand', lambda: 0.5)
    masks = [_square(20, 14)]
    clip = _single_clip(masks)
    img = clip['img'][0].copy()
    out = SingleInstanceDuplicate()(clip)
    dup = out['gt_masks'][0].masks[1]
    np.testing.assert_array_equal(dup, np.roll(masks[0], (1, 7), (0, 1)))
    np.testing.assert_array_equal(out['img'][0][15:23, 27:35],
                                  img[14:22, 20:28])
    # the copy (in front) covers column 27, rows 15-21 of the original
    assert (out['gt_masks'][0].masks[0].sum(), dup.sum()) == (64 - 7, 64)


def test_two_instances_or_prob_zero_change_nothing():
    a, b = _square(5, 5), _square(40, 20)
    two = _clip([_frame_dict([a, b], [1, 2], [0, 0], [False, False],
                             _textured(a | b)) for _ in range(2)])
    # two instances over the clip, one per frame
    split = _clip([_frame_dict([a], [1], [0], [False], _textured(a)),
                   _frame_dict([b], [2], [0], [False], _textured(b))])
    single = _single_clip([a, a])
    for clip, prob in ((two, 1.0), (split, 1.0), (single, 0.0)):
        before = copy.deepcopy(clip)
        out = SingleInstanceDuplicate(prob=prob)(clip)
        for t in range(2):
            np.testing.assert_array_equal(out['img'][t], before['img'][t])
            np.testing.assert_array_equal(out['gt_masks'][t].masks,
                                          before['gt_masks'][t].masks)
            np.testing.assert_array_equal(out['gt_instances_ids'][t],
                                          before['gt_instances_ids'][t])


def test_ignored_region_does_not_count_and_loses_copy_pixels():
    mask, void = _square(20, 14), np.zeros((H, W), np.uint8)
    void[:, 30:] = 1
    clip = _clip([_frame_dict([mask, void], [4, 9], [0, 0], [False, True],
                              _textured(mask))])
    np.random.seed(0)
    out = SingleInstanceDuplicate()(clip)
    assert out['gt_instances_ids'][0].tolist() == [4, 9, -4]
    assert out['gt_ignore_flags'][0].tolist() == [False, True, False]
    got = out['gt_masks'][0].masks
    assert not (got[1] & got[2]).any()
    np.testing.assert_array_equal(got[1] | got[2], void | got[2])


def test_seeded_runs_repeat():
    masks = [_square(20, 14), _square(21, 14), _square(22, 15)]

    def run(seed):
        np.random.seed(seed)
        out = SingleInstanceDuplicate()(_single_clip(masks))
        return np.stack([m.masks[1] for m in out['gt_masks']]), out['img']

    (m1, i1), (m2, i2) = run(5), run(5)
    np.testing.assert_array_equal(m1, m2)
    for a, b in zip(i1, i2):
        np.testing.assert_array_equal(a, b)
    others = [run(s)[0] for s in range(6, 12)]
    assert any(not np.array_equal(m1, m) for m in others)


def test_instance_absent_in_some_frames():
    empty = np.zeros((H, W), np.uint8)
    masks = [_square(20, 14), empty, _square(24, 16)]
    clip = _single_clip(masks)
    img1 = clip['img'][1].copy()
    np.random.seed(1)
    out = SingleInstanceDuplicate()(clip)
    plan = _replay(masks, 1)
    assert plan.shifts[1] is None
    assert [i.tolist() for i in out['gt_instances_ids']] == [[7, -7], [],
                                                             [7, -7]]
    assert len(out['gt_masks'][1]) == 0
    assert out['gt_bboxes'][1].tensor.shape == (0, 4)
    np.testing.assert_array_equal(out['img'][1], img1)


def test_background_as_ignore_region():
    a, b = _square(5, 5), _square(40, 20)
    void = np.zeros((H, W), np.uint8)
    void[0, :] = 1
    clip = _clip([_frame_dict([a, b, void], [1, 2, 3], [0, 0, 0],
                              [False, False, True], _textured(a | b))])
    out = TRANSFORMS.build(
        dict(type='SingleInstanceDuplicate', background_as_ignore=True))(clip)
    assert out['gt_instances_ids'][0].tolist() == [1, 2, 0]
    assert out['gt_ignore_flags'][0].tolist() == [False, False, True]
    np.testing.assert_array_equal(out['gt_masks'][0].masks[2],
                                  1 - (a | b))
    # a duplicated single instance: the copy is foreground too
    np.random.seed(2)
    out = SingleInstanceDuplicate(background_as_ignore=True)(
        _single_clip([a]))
    got = out['gt_masks'][0].masks
    assert out['gt_ignore_flags'][0].tolist() == [False, False, True]
    np.testing.assert_array_equal(got[2], 1 - (got[0] | got[1]))


def test_bad_input_errors():
    with pytest.raises(TypeError, match='TransformBroadcaster'):
        SingleInstanceDuplicate()(dict(img=np.zeros((H, W, 3), np.uint8)))
    clip = _single_clip([_square()])
    clip['gt_instances_ids'] = [np.array([7, 8])]
    with pytest.raises(ValueError, match=r'frame 0 \(0.jpg\)'):
        SingleInstanceDuplicate()(clip)
    clip = _single_clip([_square()])
    del clip['gt_ignore_flags']
    with pytest.raises(ValueError, match='gt_ignore_flags'):
        SingleInstanceDuplicate()(clip)
    with pytest.raises(ValueError, match='prob'):
        SingleInstanceDuplicate(prob=1.5)
