# Copyright (c) mmvidseg contributors. All rights reserved.
import cv2
import numpy as np
import pytest
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks

from mmvidseg.datasets.transforms import FrameWarp, PseudoClipAugment
from mmvidseg.datasets.transforms.pseudo_clip_augment import (adjust_colour,
                                                      apply_frame_warp,
                                                      condense_masks,
                                                      identity_warp,
                                                      motion_blur_kernel,
                                                      warp_matrix)

RED, GREEN, GREY = (0, 0, 200), (0, 180, 0), (60, 60, 60)


def _scene(h=40, w=60):
    """Grey image, a red 12x12 square (instance 1) and a green 8x10
    rectangle (instance 2)."""
    img = np.full((h, w, 3), GREY, np.uint8)
    masks = np.zeros((2, h, w), np.uint8)
    masks[0, 10:22, 14:26] = 1
    masks[1, 24:32, 36:46] = 1
    img[masks[0] > 0] = RED
    img[masks[1] > 0] = GREEN
    return img, masks


def _clip(num_frames=4, ignore=(False, False)):
    img, masks = _scene()
    h, w = img.shape[:2]
    return dict(
        img=[img.copy() for _ in range(num_frames)],
        img_path=['a.jpg'] * num_frames,
        frame_id=list(range(num_frames)),
        key_frame_flags=[True] + [False] * (num_frames - 1),
        img_shape=[(h, w)] * num_frames,
        gt_masks=[BitmapMasks(masks.copy(), h, w)
                  for _ in range(num_frames)],
        gt_bboxes=[HorizontalBoxes(np.float32([[14, 10, 26, 22],
                                               [36, 24, 46, 32]]))
                   for _ in range(num_frames)],
        gt_bboxes_labels=[np.array([0, 2]) for _ in range(num_frames)],
        gt_instances_ids=[np.array([5, 6]) for _ in range(num_frames)],
        gt_ignore_flags=[np.array(ignore) for _ in range(num_frames)])


def _geometry_only(**kwargs):
    """No colour change, no blur: pixel colours survive the warp."""
    cfg = dict(brightness_range=None, hue_saturation_range=None,
               motion_blur_prob=0.0)
    cfg.update(kwargs)
    return PseudoClipAugment(**cfg)


def test_identity_warp_gives_identical_frame():
    img, masks = _scene()
    lab = condense_masks(masks, [0, 1])
    out, out_lab = apply_frame_warp(img, lab, identity_warp())
    np.testing.assert_array_equal(out, img)
    np.testing.assert_array_equal(out_lab, lab)


def test_translation_moves_square_by_expected_pixels():
    img, masks = _scene()
    lab = condense_masks(masks, [0, 1])
    warp = FrameWarp(corners=np.zeros((4, 2)), translate=(0.25, -0.25))
    out, out_lab = apply_frame_warp(img, lab, warp, pad_val=7)
    # 0.25 * 60 = 15 px right, 0.25 * 40 = 10 px up
    ys, xs = np.nonzero(out_lab == 1)
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (0, 11, 29, 40)
    np.testing.assert_array_equal(out[0:12, 29:41], img[10:22, 14:26])
    assert (out[30:, :] == 7).all() and (out[:, :15] == 7).all()


def test_rotation_is_clockwise_about_centre():
    img = np.zeros((21, 21, 3), np.uint8)
    img[2:5, 9:12] = 255  # a block above the centre
    lab = (img[..., 0] > 0).astype(np.int32)
    out, out_lab = apply_frame_warp(img, lab, FrameWarp(
        corners=np.zeros((4, 2)), angle=90.0))
    np.testing.assert_array_equal(out_lab, np.rot90(lab, k=-1))
    np.testing.assert_array_equal(out, np.rot90(img, k=-1))


def test_perspective_corners_map_to_frame_corners():
    corners = np.array([[0.1, 0.05], [0.2, 0.0], [0.0, 0.1], [0.05, 0.3]])
    m = warp_matrix(41, 61, FrameWarp(corners=corners))
    src = np.float32([[[6, 2], [48, 0], [60, 36], [3, 28]]])
    dst = cv2_transform(src, m)
    np.testing.assert_allclose(dst, [[0, 0], [60, 0], [60, 40], [0, 40]],
                               atol=1e-3)


def cv2_transform(points, m):
    import cv2
    return cv2.perspectiveTransform(points, m)[0]


def test_condense_later_instance_and_ignore_win_overlaps():
    masks = np.zeros((3, 4, 4), np.uint8)
    masks[:, 1:3, 1:3] = 1
    assert condense_masks(masks, [0, 1, 2])[1, 1] == 3
    assert condense_masks(masks, [2, 0, 1])[1, 1] == 2


def test_colour_and_blur_helpers():
    img = np.full((4, 4, 3), 250, np.uint8)
    assert (adjust_colour(img, 20, None) == 255).all()
    assert (adjust_colour(img, -50, None) == 200).all()
    grey = adjust_colour(img, None, 5)  # grey has no hue / saturation
    assert np.abs(grey.astype(int) - 250).max() <= 5
    for size in (9, 11):
        k = motion_blur_kernel(size, 37.0, 0.3)
        assert k.shape == (size, size)
        assert k.sum() == pytest.approx(1.0, abs=1e-5) and k.min() >= 0


def test_clip_keeps_original_frame_and_moves_masks_with_image():
    np.random.seed(3)
    aug = _geometry_only(flip_prob=0.0, shuffle=False)
    out = aug(_clip(num_frames=6))
    src, masks = _scene()
    assert len(out['img']) == 6
    np.testing.assert_array_equal(out['img'][0], src)
    np.testing.assert_array_equal(out['gt_masks'][0].masks, masks)
    moved = 0
    for t in range(1, 6):
        img, ms = out['img'][t], out['gt_masks'][t]
        ids = out['gt_instances_ids'][t].tolist()
        for m, iid in zip(ms.masks, ids):
            colour = RED if iid == 5 else GREEN
            pix = img[m > 0].astype(int)
            # bilinear edges blend: most mask pixels keep the object colour
            close = (np.abs(pix - colour).max(1) <= 10).mean()
            assert close > 0.6, (t, iid, close)
            assert pix.mean(0) == pytest.approx(colour, abs=40)
        moved += not np.array_equal(ms.masks[0], masks[0])
        boxes = out['gt_bboxes'][t].numpy()
        ys, xs = np.nonzero(ms.masks[0])
        np.testing.assert_array_equal(
            boxes[0], [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        assert out['gt_bboxes_labels'][t].tolist() == \
            [{5: 0, 6: 2}[i] for i in ids]
    assert moved >= 4


def test_seeded_runs_repeat_and_differ_across_seeds():
    def run(seed):
        np.random.seed(seed)
        return PseudoClipAugment(motion_blur_prob=0.5)(_clip())

    a, b, c = run(0), run(0), run(1)
    for t in range(4):
        np.testing.assert_array_equal(a['img'][t], b['img'][t])
        np.testing.assert_array_equal(a['gt_masks'][t].masks,
                                      b['gt_masks'][t].masks)
    assert any(not np.array_equal(a['img'][t], c['img'][t])
               for t in range(4))


def test_shuffle_and_flip_apply_to_whole_clip():
    np.random.seed(0)
    src, masks = _scene()
    found = set()
    for _ in range(8):
        out = _geometry_only(flip_prob=1.0)(_clip(num_frames=4))
        hits = [t for t in range(4)
                if np.array_equal(out['img'][t], src[:, ::-1])]
        assert len(hits) == 1  # the flipped original, somewhere in the clip
        t = hits[0]
        np.testing.assert_array_equal(out['gt_masks'][t].masks,
                                      masks[:, :, ::-1])
        found.add(t)
    assert len(found) > 1  # frames are shuffled


def test_vanishing_instance_leaves_the_frame():
    clip = _clip(num_frames=2)
    aug = _geometry_only(flip_prob=0.0, shuffle=False)
    # push everything 0.5 of the width to the right: the red square (x 14-25)
    # stays, the green one (x 36-45) leaves the frame
    aug.sample_warp = lambda: FrameWarp(corners=np.zeros((4, 2)),
                                        translate=(0.5, 0.0))
    out = aug(clip)
    assert out['gt_instances_ids'][0].tolist() == [5, 6]
    assert out['gt_instances_ids'][1].tolist() == [5]
    assert out['gt_masks'][1].masks.shape == (1, 40, 60)
    assert out['gt_bboxes'][1].numpy().tolist() == [[44, 10, 56, 22]]
    assert out['gt_ignore_flags'][1].tolist() == [False]


def test_num_frames_expands_a_single_frame():
    np.random.seed(0)
    out = PseudoClipAugment(num_frames=5)(_clip(num_frames=1))
    assert len(out['img']) == len(out['gt_masks']) == 5
    assert out['frame_id'] == [0, 1, 2, 3, 4]
    assert out['key_frame_flags'] == [True] + [False] * 4
    assert out['img_path'] == ['a.jpg'] * 5


def test_sampled_parameters_follow_the_reference_ranges():
    np.random.seed(0)
    aug = PseudoClipAugment()
    warps = [aug.sample_warp() for _ in range(600)]
    angles = np.array([w.angle for w in warps])
    shifts = np.array([w.translate for w in warps])
    assert np.abs(angles).max() <= 12 and np.abs(angles).max() > 11
    assert np.abs(shifts).max() <= 0.1
    assert all(0 <= w.corners.min() and w.corners.max() < 1 for w in warps)
    both = np.mean([w.brightness is not None and w.hue_saturation is not None
                    for w in warps])
    neither = [w.brightness is None and w.hue_saturation is None
               for w in warps]
    blur = np.mean([w.blur_kernel is not None for w in warps])
    assert not any(neither)  # SomeOf((1, None)): at least one
    assert both == pytest.approx(0.5, abs=0.06)
    assert blur == pytest.approx(0.25, abs=0.05)
    assert {w.blur_kernel.shape[0] for w in warps
            if w.blur_kernel is not None} == {9, 11}


def test_bad_input_errors():
    aug = PseudoClipAugment()
    with pytest.raises(TypeError, match='TransformBroadcaster'):
        aug(dict(img=np.zeros((4, 4, 3), np.uint8)))
    clip = _clip(num_frames=2)
    clip['img_path'] = ['a.jpg', 'b.jpg']
    with pytest.raises(ValueError, match='one image'):
        aug(clip)
    with pytest.raises(ValueError, match='num_frames'):
        PseudoClipAugment(num_frames=0)


def test_hue_shift_truncates_like_imgaug():
    # imgaug 0.4.0 (the reference's pin) maps value 5 on its 0-255 hue scale
    # to int(5 / 255 * 180) = 3 OpenCV hue steps (not round(3.53) = 4), and
    # -5 to -3 (toward zero); saturation moves by the full value.
    red = np.zeros((1, 1, 3), np.uint8)
    red[..., 0] = 200  # read as RGB: hue 0, saturation 255, value 200
    red[..., 1] = 40
    hsv_in = cv2.cvtColor(red, cv2.COLOR_RGB2HSV)[0, 0].astype(int)
    for value, shift in ((5, 3), (-5, -3), (15, 10), (-15, -10)):
        out = adjust_colour(red, None, value)
        hsv = cv2.cvtColor(out, cv2.COLOR_RGB2HSV)[0, 0].astype(int)
        # this pixel survives the HSV -> RGB -> HSV round trip exactly
        assert hsv[0] == (hsv_in[0] + shift) % 180
        assert hsv[1] == min(255, hsv_in[1] + value)
