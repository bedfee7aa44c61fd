# Copyright (c) mmvidseg contributors. All rights reserved.
"""InterpolateResize: STEm-Seg's test pipelines give the reference's
network input (F.interpolate of the float frame)."""
import copy
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from mmcv.transforms import Compose
from mmdet.structures.bbox import HorizontalBoxes
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.registry import DefaultScope

from mmvidseg.datasets.transforms import (InterpolateResize,
                                          stemseg_resize_shape)
from mmvidseg.registry import TRANSFORMS
from mmvidseg.testing import REPO_ROOT
from mmvidseg.utils import register_all_modules

register_all_modules(init_default_scope=False)
CONFIGS = {
    'stemseg_r101-fpn_1xb2-160k_youtube-vis-2019.py': (640, 1196),
    'stemseg_r101-fpn_1xb2-50k_davis-stage1.py': (736, 1248),
    'stemseg_r101-fpn_1xb2-80k_kitti-mots-stage1.py': (736, 1248),
}


def official_input(path: str, min_dim: int, max_dim: int) -> torch.Tensor:
    """``InferenceImageLoader.__getitem__`` up to normalisation: cv2 BGR
    frame -> float -> F.interpolate to ``compute_resize_params_2``'s size.
    """
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    h, w = image.shape[:2]
    scale = min_dim / float(min(w, h))
    if float(max(w, h)) * scale > max_dim:
        scale = max_dim / float(max(w, h))
    size = (round(scale * h), round(scale * w))
    x = torch.from_numpy(image).permute(2, 0, 1).float()[None]
    x = F.interpolate(x, size, mode='bilinear', align_corners=False)
    return x[0]  # (3, h', w') BGR


def _test_pipeline(config: str):
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs/stemseg', config))
    pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    broadcaster = pipeline[0]
    # the frame-level transforms, minus annotation loading
    return [t for t in broadcaster.transforms
            if t.type != 'LoadTrackAnnotations']


@pytest.mark.parametrize('config', sorted(CONFIGS))
def test_config_test_pipeline_equals_official_loader(config, tmp_path):
    min_dim, max_dim = CONFIGS[config]
    rng = np.random.default_rng(0)
    path = str(tmp_path / 'frame.jpg')
    frame = rng.integers(0, 256, (480, 854, 3), dtype=np.uint8)
    frame = cv2.GaussianBlur(frame, (5, 5), 2)  # natural-image-like
    cv2.imwrite(path, frame)
    transforms = _test_pipeline(config)
    assert [t.type for t in transforms] == [
        'LoadImageFromFile', 'InterpolateResize']
    with DefaultScope.overwrite_default_scope('mmvidseg'):
        pipeline = Compose([TRANSFORMS.build(t) for t in transforms])
    out = pipeline(dict(img_path=path))
    ref = official_input(path, min_dim, max_dim)
    ours = torch.from_numpy(out['img']).permute(2, 0, 1)
    assert out['img'].dtype == np.float32
    assert ours.shape == ref.shape
    assert torch.equal(ours, ref)
    h, w = ref.shape[1:]
    assert out['img_shape'] == (h, w)
    assert out['scale_factor'] == (w / 854, h / 480)


def test_mmcv_resize_differs_from_the_reference(tmp_path):
    """Why the transform exists: mmcv's Resize on the uint8 frame rounds the
    result, and on float32 cv2's arithmetic still differs slightly."""
    from mmcv.transforms import Resize
    rng = np.random.default_rng(1)
    frame = cv2.GaussianBlur(
        rng.integers(0, 256, (480, 854, 3), dtype=np.uint8), (5, 5), 2)
    ref = official_input_from_array(frame, 736, 1248)
    uint8 = Resize(scale=(1248, 736), keep_ratio=True)(dict(img=frame))
    as_float = Resize(scale=(1248, 736), keep_ratio=True)(
        dict(img=frame.astype(np.float32)))
    diff_uint8 = np.abs(uint8['img'].astype(np.float32) - ref).max()
    diff_float = np.abs(as_float['img'] - ref).max()
    assert diff_uint8 > 0.3
    assert 0 < diff_float < diff_uint8
    ours = InterpolateResize(scale=(1248, 736), keep_ratio=True)(
        dict(img=frame))
    assert np.array_equal(ours['img'], ref)


def official_input_from_array(frame, min_dim, max_dim):
    h, w = frame.shape[:2]
    size = stemseg_resize_shape(h, w, min_dim, max_dim)
    x = torch.from_numpy(frame).permute(2, 0, 1).float()[None]
    x = F.interpolate(x, size, mode='bilinear', align_corners=False)
    return x[0].permute(1, 2, 0).numpy()


def test_resize_shape_rounds_halves_to_even():
    # 0.5 * 5 = 2.5 -> 2 (Python round); mmcv's int(x + 0.5) gives 3
    assert stemseg_resize_shape(5, 20, 2.5, 100) == (2, 10)
    assert stemseg_resize_shape(7, 20, 3.5, 100) == (4, 10)  # 3.5 -> 4
    # the longer side caps the scale: 480x854 at (736, 1248) -> 1248 wide
    assert stemseg_resize_shape(480, 854, 736, 1248) == (701, 1248)
    assert stemseg_resize_shape(720, 1280, 640, 1196) == (640, 1138)


def test_masks_boxes_and_keep_ratio_false():
    img = np.zeros((10, 20, 3), np.uint8)
    masks = np.zeros((2, 10, 20), np.uint8)
    masks[0, 2:6, 4:12] = 1
    results = dict(img=img, gt_masks=BitmapMasks(masks, 10, 20),
                   gt_bboxes=HorizontalBoxes(
                       np.array([[4., 2., 12., 6.]], np.float32)))
    out = InterpolateResize(scale=(25, 5), keep_ratio=True)(results)
    # short side 10 -> 5 (longer side 10 <= 25): scale 0.5
    assert out['img'].shape == (5, 10, 3)
    assert out['gt_masks'].masks.shape == (2, 5, 10)
    assert out['gt_masks'].masks[0].sum() == 8  # 2x4 box
    assert out['gt_bboxes'].tensor.tolist() == [[2., 1., 6., 3.]]
    fixed = InterpolateResize(scale=(7, 3), keep_ratio=False)(
        dict(img=img[..., 0]))
    assert fixed['img'].shape == (3, 7)
    assert fixed['scale_factor'] == (7 / 20, 3 / 10)
    with pytest.raises(ValueError, match='scale_factor'):
        InterpolateResize(scale_factor=2.0)
    with pytest.raises(ValueError, match='bilinear'):
        InterpolateResize(scale=(4, 4), interpolation='nearest')


def test_tevit_test_pipeline_matches_official_mmdet2_pipeline(tmp_path):
    """TeViT keeps mmcv's Resize, as the official test pipeline
    (hustvl/TeViT: configs/_base_/datasets/youtubevis.py, mmdet 2.x):
    LoadImageFromFile (uint8), Resize((640, 360), keep_ratio) = mmcv's
    ``imrescale`` on the uint8 frame (the same function in mmcv 1.x and
    2.1), Normalize (``imnormalize``: multiplies by 1 / std), Pad(32) with
    0 after normalisation. mmvidseg's data preprocessor divides by std:
    the network input differs by at most 1 ulp."""
    from mmvidseg.registry import MODELS
    cfg = Config.fromfile(osp.join(
        REPO_ROOT, 'configs/tevit',
        'tevit_msgshift_8xb2-9200i_youtubevis2019.py'))
    pipe = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    pipe[0].transforms = [t for t in pipe[0].transforms
                          if t.type != 'LoadTrackAnnotations']
    assert [t.type for t in pipe[0].transforms] == [
        'LoadImageFromFile', 'Resize']
    rng = np.random.default_rng(0)
    paths = []
    for i in range(2):
        paths.append(str(tmp_path / f'{i}.jpg'))
        cv2.imwrite(paths[-1], cv2.GaussianBlur(
            rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8), (5, 5), 2))
    with DefaultScope.overwrite_default_scope('mmvidseg'):
        pipeline = Compose([TRANSFORMS.build(t) for t in pipe])
        preprocessor = MODELS.build(cfg.model.data_preprocessor)
    packed = pipeline(dict(img_path=paths, img_id=[0, 1], frame_id=[0, 1],
                           video_id=[1, 1], video_length=[2, 2],
                           ori_video_length=[2, 2],
                           ori_shape=[(720, 1280)] * 2))
    ours = preprocessor(dict(inputs=[packed['inputs']],
                             data_samples=[packed['data_samples']]),
                        False)['inputs'][0]  # (T, 3, H, W)
    import mmcv
    mean = np.array([123.675, 116.28, 103.53])
    std = np.array([58.395, 57.12, 57.375])
    ref = []
    for path in paths:
        img = mmcv.imrescale(mmcv.imread(path), (640, 360), backend='cv2')
        img = mmcv.imnormalize(img.astype(np.float32), mean, std, True)
        ref.append(torch.from_numpy(mmcv.impad_to_multiple(img, 32, 0)))
    ref = torch.stack(ref).permute(0, 3, 1, 2)  # (T, 3, H, W)
    assert ours.shape == ref.shape == (2, 3, 384, 640)
    diff = (ours - ref).abs()
    assert diff.max() <= 2.5e-7  # one float32 ulp at |x| < 2.7
    assert torch.equal(ours[..., 360:, :], ref[..., 360:, :])  # padding
