# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS's clip-consistent colour jitter, mask-containing clip crop (VIS /
VPS) and mask-preserving clip crop (VOS)."""
import random

import numpy as np
import pytest
from mmdet.structures.mask import BitmapMasks

from mmvidseg.datasets.transforms import (ClipColorJitter,
                                          MaskContainingClipCrop,
                                          MaskPreservingClipCrop,
                                          mask_containing_crop,
                                          mask_preserving_crop,
                                          tarvis_color_jitter)
from mmvidseg.datasets.transforms.clip_augment import (BRIGHTNESS_SPACES,
                                                       imgaug_hue_shift,
                                                       linear_contrast)

# imgaug 0.4.0 outputs (numpy 1.26 scratch environment) of
# Sequential([AddToHueAndSaturation(value_hue=h, value_saturation=s),
#             LinearContrast(alpha=a), AddToBrightness(add=b,
#             to_colorspace=[space])]) on IMG: pinned here because imgaug
# does not import under NumPy 2.
IMG = np.array([[[10, 200, 30], [255, 0, 128], [90, 90, 90], [0, 0, 0]],
                [[250, 240, 5], [33, 66, 99], [128, 128, 128],
                 [255, 255, 255]]], np.uint8)
IMGAUG = [
    ((-12, 12, 0.95, 'YCrCb', -25), [
        14, 170, 0, 223, 0, 166, 65, 63, 64, 0, 0, 0, 218, 147, 0, 7, 60, 74,
        102, 98, 99, 223, 213, 214]),
    ((5, -7, 1.05, 'HSV', 13.6), [
        11, 217, 52, 255, 1, 103, 102, 102, 102, 14, 14, 14, 238, 255, 6, 35,
        66, 111, 142, 142, 142, 255, 255, 255]),
    ((12, 3, 1.0, 'HLS', -0.4), [
        8, 200, 78, 255, 1, 60, 90, 90, 90, 0, 0, 0, 192, 250, 2, 32, 48, 100,
        128, 127, 126, 255, 254, 253]),
    ((-5, -12, 0.97, 'Lab', 24.5), [
        73, 225, 56, 255, 66, 183, 115, 114, 114, 28, 28, 28, 255, 242, 61,
        64, 98, 123, 152, 152, 152, 255, 255, 255]),
    ((8, 9, 1.03, 'Luv', -18.2), [
        0, 182, 1, 232, 0, 63, 71, 68, 67, 0, 0, 0, 198, 232, 0, 0, 35, 90,
        110, 105, 103, 234, 231, 229]),
    ((0, 0, 1.0, 'YUV', 25), [
        35, 226, 53, 255, 35, 153, 115, 115, 115, 25, 25, 25, 255, 255, 31,
        58, 91, 124, 153, 153, 153, 255, 255, 255]),
]


@pytest.mark.parametrize('params,expected', IMGAUG,
                         ids=[p[0][3] for p in IMGAUG])
def test_color_jitter_matches_imgaug(params, expected):
    hue, sat, alpha, space, add = params
    out = tarvis_color_jitter(IMG, hue, sat, alpha, space, add)
    assert out.dtype == np.uint8 and out.shape == IMG.shape
    np.testing.assert_array_equal(out.reshape(-1), expected)


def test_imgaug_scalar_rules():
    # hue: float32 value / 255 * 180 truncated toward zero
    assert [imgaug_hue_shift(v) for v in (12, 5, -5, 10, 0)] == \
        [8, 3, -3, 7, 0]
    # contrast: 127 + alpha (v - 127), clipped, truncated
    lut = linear_contrast(np.arange(256, dtype=np.uint8), 1.05)
    assert (lut[0], lut[127], lut[200], lut[255]) == (0, 127, 203, 255)


def _clip(frames, **extra):
    results = dict(img=[f.copy() for f in frames],
                   img_shape=[f.shape[:2] for f in frames])
    results.update(extra)
    return results


def test_clip_color_jitter_same_params_for_every_frame():
    np.random.seed(3)
    rng = np.random.RandomState(0)
    a, b = (rng.randint(0, 256, (6, 7, 3)).astype(np.uint8) for _ in '01')
    results = ClipColorJitter(hue=10, saturation=10, brightness=20)(
        _clip([a, b, a]))
    params = results['color_jitter']
    assert len(params) == 3 and params[0] == params[1] == params[2]
    np.testing.assert_array_equal(results['img'][0], results['img'][2])
    for frame, src in zip(results['img'], (a, b, a)):
        np.testing.assert_array_equal(
            frame, tarvis_color_jitter(src, **params[0]))
    assert not np.array_equal(results['img'][0], a)


def test_clip_color_jitter_draws_like_imgaug():
    np.random.seed(0)
    jitter = ClipColorJitter()  # VIS: 12 / 12 / (0.95, 1.05) / 25
    draws = [jitter.sample() for _ in range(600)]
    hues = {d['value_hue'] for d in draws}
    assert hues == set(range(-12, 13))  # integers, both ends included
    assert {d['value_saturation'] for d in draws} == set(range(-12, 13))
    assert all(0.95 <= d['alpha'] <= 1.05 for d in draws)
    assert all(-25 <= d['brightness'] <= 25 for d in draws)
    assert {d['brightness_space'] for d in draws} == set(BRIGHTNESS_SPACES)


def test_mask_containing_crop_rules():
    mask = np.zeros((20, 30), bool)
    mask[0, 29] = True  # one pixel in the top-right corner
    for seed in range(30):
        x, y = mask_containing_crop(mask, (15, 10), rng=random.Random(seed))
        assert 0 <= x <= 20 and 0 <= y <= 5  # inside the frame
        assert mask[y:y + 15, x:x + 10].sum() == 1  # keeps the pixel
    block = np.zeros((20, 30), bool)
    block[2:18, 3:27] = True  # 16 x 24 = 384 px, crop 10 x 15 holds <= 150
    for seed in range(30):
        x, y = mask_containing_crop(block, (10, 15), rng=random.Random(seed))
        assert block[y:y + 10, x:x + 15].sum() >= 384 // 4
    # 100 % coverage of a mask larger than the crop is impossible -> None
    assert mask_containing_crop(block, (10, 15), min_coverage=1.0) is None
    with pytest.raises(ValueError, match='empty'):
        mask_containing_crop(np.zeros((5, 5), bool), (3, 3))


def _vps_clip():
    """3 frames 20 x 40: instance 7 (label 3) only in frame 0 on the left,
    instance 9 (label 4) in frames 1-2 on the right, a crowd region (ignored)
    in frame 2 on the far left."""
    h, w = 20, 40
    frames = [np.full((h, w, 3), 10 * t, np.uint8) for t in range(3)]
    for f in frames:
        f[:, :, 1] = np.arange(w)[None]  # x in channel 1
        f[:, :, 2] = np.arange(h)[:, None]  # y in channel 2
    m7 = np.zeros((h, w), np.uint8)
    m7[5:9, 2:6] = 1
    m9 = np.zeros((h, w), np.uint8)
    m9[10:14, 30:36] = 1
    crowd = np.zeros((h, w), np.uint8)
    crowd[0:3, 0:2] = 1
    masks = [np.stack([m7]), np.stack([m9]), np.stack([m9, crowd])]
    seg = [np.full((h, w), t, np.uint8) for t in range(3)]
    return _clip(
        frames,
        gt_masks=[BitmapMasks(m, h, w) for m in masks],
        gt_bboxes=[np.zeros((len(m), 4), np.float32) for m in masks],
        gt_bboxes_labels=[np.array([3]), np.array([4]), np.array([4, 4])],
        gt_instances_ids=[np.array([7]), np.array([9]), np.array([9, 5])],
        gt_ignore_flags=[np.array([False]), np.array([False]),
                         np.array([False, True])],
        gt_seg_map=seg,
        homography_matrix=[np.eye(3, dtype=np.float32) for _ in range(3)])


def test_clip_crop_one_window_for_the_clip():
    crop = MaskContainingClipCrop(crop_ratio=(0.75, 0.5))  # 15 x 20
    union = np.zeros((20, 40), bool)
    union[5:9, 2:6] = union[10:14, 30:36] = True  # over all frames
    for seed in range(40):
        random.seed(seed)
        src = _vps_clip()
        out = crop(_vps_clip())
        x, y, w, h = out['crop_window'][0]
        assert (w, h) == (20, 15) and len(set(out['crop_window'])) == 1
        # the official rule: >= 25 % of the union of the clip's masks
        assert union[y:y + h, x:x + w].sum() >= union.sum() // 4
        for t in range(3):
            img = out['img'][t]
            assert img.shape == (15, 20, 3) and out['img_shape'][t] == (15, 20)
            # same window in every frame: x / y written in the pixels
            assert img[0, 0, 1] == x and img[0, 0, 2] == y
            np.testing.assert_array_equal(
                img, src['img'][t][y:y + 15, x:x + 20])
            assert out['gt_seg_map'][t].shape == (15, 20)
            np.testing.assert_array_equal(
                out['homography_matrix'][t],
                [[1, 0, -x], [0, 1, -y], [0, 0, 1]])
            masks = out['gt_masks'][t].masks
            assert masks.shape[1:] == (15, 20) and masks.any((1, 2)).all()
            ids = out['gt_instances_ids'][t]
            assert len(ids) == len(masks) == len(out['gt_bboxes'][t]) == \
                len(out['gt_bboxes_labels'][t]) == \
                len(out['gt_ignore_flags'][t])
            for k, iid in enumerate(ids):
                src_k = list(src['gt_instances_ids'][t]).index(iid)
                np.testing.assert_array_equal(
                    masks[k], src['gt_masks'][t].masks[src_k][y:y + 15,
                                                              x:x + 20])
                ys, xs = np.nonzero(masks[k])
                np.testing.assert_array_equal(
                    out['gt_bboxes'][t][k],
                    [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        # instance 7 lives only in frame 0: kept there iff the window keeps
        # some of it
        kept = src['gt_masks'][0].masks[0][y:y + h, x:x + w].any()
        assert (7 in out['gt_instances_ids'][0]) == kept
        assert 5 not in out['gt_instances_ids'][2] or \
            out['gt_ignore_flags'][2][-1]


def test_clip_crop_ignores_crowd_and_skips_empty_clips():
    clip = _vps_clip()
    # only the crowd region is left: no instance pixel -> no crop
    for t in range(3):
        keep = clip['gt_ignore_flags'][t]
        clip['gt_masks'][t] = BitmapMasks(clip['gt_masks'][t].masks[keep],
                                          20, 40)
        for key in ('gt_bboxes', 'gt_bboxes_labels', 'gt_instances_ids',
                    'gt_ignore_flags'):
            clip[key][t] = clip[key][t][keep]
    out = MaskContainingClipCrop()(clip)
    assert out['crop_window'] == [None] * 3
    assert [i.shape for i in out['img']] == [(20, 40, 3)] * 3
    with pytest.raises(TypeError, match='per-frame'):
        MaskContainingClipCrop()(dict(img=IMG))


def test_clip_pipeline_on_toy_kitti_step(toy_root):
    """The KITTI-STEP training pipeline (jitter + crop between the loading
    and the resizing broadcaster) runs on real files and packs a clip."""
    from mmengine.config import Config

    from mmvidseg.registry import DATASETS
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile('configs/_base_/datasets/kitti_step.py')
    ds = cfg.train_dataloader.dataset
    ds.update(data_root=str(toy_root / 'kitti_step'),
              metainfo=dict(
                  classes=('sky', 'wall', 'ground', 'square', 'circle',
                           'triangle'),
                  thing_classes=('square', 'circle', 'triangle')))
    np.random.seed(0)
    random.seed(0)
    sample = DATASETS.build(ds)[0]
    imgs = sample['inputs']
    assert imgs.shape[0] == 3
    # 96 x 96 toy frames, crop 72 x 48, then min side 320 -> 480 x 320
    assert tuple(imgs.shape[-2:]) == (480, 320)


def test_mask_preserving_crop_rules():
    """Official ``compute_mask_preserving_crop``: every active pixel stays,
    every admissible window is reachable, no crop when the box does not fit
    (3000 random masks gave the official windows under the same ``random``
    seed in a scratch parity run)."""
    mask = np.zeros((20, 40), bool)
    mask[5:9, 10:16] = True  # box 6 wide, 4 high
    seen = set()
    for seed in range(300):
        x, y = mask_preserving_crop(mask, (15, 30), rng=random.Random(seed))
        assert mask[y:y + 15, x:x + 30].sum() == mask.sum()
        seen.add((x, y))
    # x in [max(0, 16 - 30), min(40 - 30, 10)] = [0, 10], y in [0, 5]
    assert {x for x, _ in seen} == set(range(11))
    assert {y for _, y in seen} == set(range(6))
    mask[5:9, 0:30] = True  # 30 wide: not smaller than the window
    assert mask_preserving_crop(mask, (15, 30)) is None
    with pytest.raises(ValueError, match='empty'):
        mask_preserving_crop(np.zeros((5, 5), bool), (3, 3))


def _vos_clip():
    """3 frames 20 x 40; reference frame 0 holds objects 1 (left) and 2
    (right); object 3 appears in frame 2 only, at the far right."""
    h, w = 20, 40
    frames = [np.zeros((h, w, 3), np.uint8) for _ in range(3)]
    for f in frames:
        f[:, :, 1] = np.arange(w)[None]
        f[:, :, 2] = np.arange(h)[:, None]
    m1 = np.zeros((h, w), np.uint8)
    m1[6:10, 8:12] = 1
    m2 = np.zeros((h, w), np.uint8)
    m2[8:12, 16:22] = 1
    m3 = np.zeros((h, w), np.uint8)
    m3[0:4, 36:40] = 1
    masks = [np.stack([m1, m2]), np.stack([m1, m2]), np.stack([m2, m3])]
    ids = [np.array([1, 2]), np.array([1, 2]), np.array([2, 3])]
    return _clip(
        frames,
        gt_masks=[BitmapMasks(m, h, w) for m in masks],
        gt_bboxes=[np.zeros((2, 4), np.float32) for _ in range(3)],
        gt_bboxes_labels=[np.zeros(2, np.int64) for _ in range(3)],
        gt_instances_ids=ids,
        gt_ignore_flags=[np.zeros(2, bool) for _ in range(3)])


def test_vos_clip_crop_keeps_the_reference_objects():
    crop = MaskPreservingClipCrop()  # 0.75: 15 x 30
    lost3 = 0
    for seed in range(40):
        random.seed(seed)
        src = _vos_clip()
        out = crop(_vos_clip())
        x, y, w, h = out['crop_window'][0]
        assert (w, h) == (30, 15) and len(set(out['crop_window'])) == 1
        # objects 1 and 2 (reference frame, box x 8..21, y 6..11) kept whole
        assert 0 <= x <= 8 and 0 <= y <= 5
        for t in range(3):
            img = out['img'][t]
            assert img.shape == (15, 30, 3)
            assert img[0, 0, 1] == x and img[0, 0, 2] == y
        np.testing.assert_array_equal(out['gt_instances_ids'][0], [1, 2])
        np.testing.assert_array_equal(
            out['gt_masks'][0].masks.sum((1, 2)),
            src['gt_masks'][0].masks.sum((1, 2)))
        # object 3 (frame 2 only, x 36..39, y 0..3) does not steer the
        # window: kept iff the window reaches it
        kept3 = bool(src['gt_masks'][2].masks[1][y:y + h, x:x + w].any())
        assert (3 in out['gt_instances_ids'][2]) == kept3
        lost3 += not kept3
        assert 2 in out['gt_instances_ids'][2]
    assert 0 < lost3 < 40
    # the reference objects do not fit in the window: no crop
    clip = _vos_clip()
    clip['gt_masks'][0].masks[0, 0:20, 0:2] = 1
    out = MaskPreservingClipCrop()(clip)
    assert out['crop_window'] == [None] * 3
    # another reference frame steers the window
    random.seed(0)
    out = MaskPreservingClipCrop(ref_frame=2)(_vos_clip())
    x, y, w, h = out['crop_window'][0]
    assert x == 10 and y <= 5  # keeps object 3 (x 36..39) and 2 (x 16..21)
    assert 'MaskPreservingClipCrop(crop_ratio=(0.75, 0.75), ref_frame=2)' \
        == repr(MaskPreservingClipCrop(ref_frame=2))


def test_finetune_mix_pipelines_on_toy_data(toy_root):
    """The joint fine-tuning mix's VIS / VPS / VOS pipelines (official
    augmentation order) run on the toy files: one colour draw and one crop
    window per clip of the official size (VIS 0.75 x 0.75 and KITTI-STEP
    0.75 x 0.5 of the frame before resizing, VOS 0.75 x 0.75 of the resized
    frame keeping every reference-frame object, or no VOS crop when they do
    not fit), and the packed clips have the resized sizes."""
    from mmengine.config import Config

    from mmvidseg.registry import DATASETS
    from mmvidseg.testing import config_path
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    mix = Config.fromfile('configs/_base_/datasets/tarvis_finetune_mix.py')
    toy = Config.fromfile(
        config_path('tarvis/tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py'))
    toy_sets = toy.train_dataloader.dataset.datasets
    cases = [('YOUTUBE_VIS', toy_sets[0].dataset, (0.75, 0.75)),
             ('KITTI_STEP', toy_sets[1].dataset, (0.75, 0.5)),
             ('DAVIS', toy_sets[2].dataset, (0.75, 0.75))]
    vos_crops = 0
    for name, ds, ratio in cases:
        ds = ds.copy()
        inner = ds.dataset if ds.type == 'TarViSVOSClips' else ds
        inner.data_root = inner.data_root.replace('data/toy', str(toy_root),
                                                  1)
        if ds.type == 'TarViSVOSClips':
            ds.update(clip_length=3, num_samples=8)
        pipeline = mix.train_datasets[name].dataset.pipeline
        assert pipeline[-1].type.startswith('Pack')
        np.random.seed(0)
        random.seed(0)
        ds.pipeline = pipeline[:-1]
        dataset = DATASETS.build(ds)
        for idx in range(4):
            r = dataset[idx]
            assert len(r['img']) == 3
            assert all(j == r['color_jitter'][0] for j in r['color_jitter'])
            assert len(set(r['crop_window'])) == 1
            window = r['crop_window'][0]
            oh, ow = r['ori_shape'][0][:2]
            if name == 'DAVIS':
                sh, sw = r['scale_factor'][0][1], r['scale_factor'][0][0]
                size = (round(oh * sh), round(ow * sw))  # resized, then crop
            else:
                size = (oh, ow)
            want = (round(size[0] * ratio[0]), round(size[1] * ratio[1]))
            if window is None:
                assert name == 'DAVIS'  # the reference objects do not fit
                assert r['img'][0].shape[:2] == size
                continue
            assert (window[3], window[2]) == want
            if name == 'DAVIS':
                vos_crops += 1
                info = dataset.get_data_info(idx)
                ref = r['gt_masks'][0].masks
                assert len(ref) == info['num_objects'] > 0
                assert ref.any((1, 2)).all()
            else:  # cropped, then resized: min side 448 / 512 or 320
                assert min(r['img'][0].shape[:2]) in (
                    (320, ) if name == 'KITTI_STEP' else (448, 512))
        sample = DATASETS.build(dict(ds, pipeline=pipeline))[0]
        assert sample['inputs'].shape[:2] == (3, 3)
    assert vos_crops > 0
