# Copyright (c) mmvidseg contributors. All rights reserved.
"""mmvidseg's CPU RoIAlign kernel vs ``mmcv.ops.roi_align`` (avg pooling)."""
import copy
from pathlib import Path

import pytest
import torch
from mmcv.ops import RoIAlign as MMCVRoIAlign
from mmcv.ops import roi_align as mmcv_roi_align
from mmengine.config import Config
from torch.autograd import gradcheck

from mmvidseg.ops import (RoIAlign, RoIAlignCPUFunction, get_ext, info,
                          roi_align, roi_align_backend_name)
from mmvidseg.ops import ext_loader

needs_ext = pytest.mark.skipif(
    get_ext() is None, reason=f'mmvidseg.ops._ext not built: {info()}')

ROOT = Path(__file__).parents[2]
TINY_CFG = ROOT / 'configs/tevit/tevit_msgshift-tiny_1xb4-toy.py'

# name: (features (N, C, H, W), RoIs per image, output size, spatial scale)
CASES = {
    'small_maps': ((3, 5, 6, 7), (4, 0, 3), (3, 2), 0.5),
    'map_1x1': ((2, 3, 1, 1), (2, 3), (2, 2), 1.0),
    'single_row': ((1, 4, 1, 9), (5, ), (2, 3), 1.0),
    'channel_tail': ((2, 19, 5, 4), (3, 2), (7, 7), 0.25),
    'one_image': ((1, 17, 8, 8), (6, ), (2, 4), 0.125),
}


def make_rois(shape, per_image, scale, aligned, seed=0,
              dtype=torch.float64):
    """Shuffled RoIs, about a third reaching outside the map, some tiny (and
    some reversed when ``aligned=False``)."""
    gen = torch.Generator().manual_seed(seed)
    _, _, height, width = shape
    rows = []
    for b, count in enumerate(per_image):
        for _ in range(count):
            w, h = (torch.rand(2, generator=gen, dtype=dtype) *
                    torch.tensor([width, height], dtype=dtype) * 1.2 +
                    0.05) / scale
            x1 = (torch.rand(1, generator=gen, dtype=dtype) * 1.6 - 0.4) * \
                width / scale
            y1 = (torch.rand(1, generator=gen, dtype=dtype) * 1.6 - 0.4) * \
                height / scale
            rows.append([b, float(x1), float(y1), float(x1 + w),
                         float(y1 + h)])
    rois = torch.tensor(rows, dtype=dtype).reshape(-1, 5)
    if len(rois) > 1:
        rois[0, 3] = rois[0, 1]  # zero width
        if not aligned:
            rois[1, 3:] = rois[1, 1:3] - 1.0  # reversed: mmcv makes it 1x1
    perm = torch.randperm(len(rois), generator=gen)
    return rois[perm]


def both_paths(feats, rois, out_size, scale, ratio, aligned, seed=1):
    """Outputs and input gradients of mmcv's op and of the kernel."""
    grad_out = torch.randn(len(rois), feats.shape[1], *out_size,
                           generator=torch.Generator().manual_seed(seed),
                           dtype=torch.float64).to(feats.dtype)
    results = []
    for fn in (mmcv_roi_align, roi_align):
        x = feats.detach().clone().requires_grad_()
        out = fn(x, rois, out_size, scale, ratio, 'avg', aligned)
        out.backward(grad_out)
        results.append((out.detach(), x.grad))
    return results


def make_case(name, aligned, dtype=torch.float64, seed=0):
    shape, per_image, out_size, scale = CASES[name]
    feats = torch.randn(*shape, generator=torch.Generator().manual_seed(seed),
                        dtype=torch.float64).to(dtype)
    rois = make_rois(shape, per_image, scale, aligned, seed, dtype)
    return feats, rois, out_size, scale


@needs_ext
@pytest.mark.parametrize('name', sorted(CASES))
@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('ratio', [0, 1, 2, 3])
def test_float64_equals_mmcv(name, aligned, ratio):
    feats, rois, out_size, scale = make_case(name, aligned)
    (ref, ref_grad), (out, grad) = both_paths(feats, rois, out_size, scale,
                                              ratio, aligned)
    assert out.shape == (len(rois), feats.shape[1], *out_size)
    assert ref.abs().sum() > 0 or len(rois) == 0
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-13)
    torch.testing.assert_close(grad, ref_grad, rtol=0, atol=1e-13)


@needs_ext
@pytest.mark.parametrize('name', ['small_maps', 'channel_tail'])
@pytest.mark.parametrize('ratio', [0, 2])
def test_float32_within_1e5(name, ratio):
    feats, rois, out_size, scale = make_case(name, True, torch.float32)
    (ref, ref_grad), (out, grad) = both_paths(feats, rois, out_size, scale,
                                              ratio, True)
    assert out.dtype == grad.dtype == torch.float32
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(grad, ref_grad, rtol=1e-5, atol=1e-5)


@needs_ext
def test_zero_rois():
    feats = torch.randn(2, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    out = roi_align(feats, feats.new_zeros((0, 5)), (7, 7), 0.25, 2)
    assert out.shape == (0, 3, 7, 7)
    out.sum().backward()
    assert torch.equal(feats.grad, torch.zeros_like(feats))


@needs_ext
def test_hand_made_bilinear_value():
    # one bin, one sample at (y, x) = (0.75, 1.25) with aligned=False
    feats = torch.arange(12, dtype=torch.float64).view(1, 1, 3, 4)
    rois = torch.tensor([[0., 0.75, 0.25, 1.75, 1.25]], dtype=torch.float64)
    out = roi_align(feats, rois, (1, 1), 1.0, 1, aligned=False)
    # value(y, x) = 4 * y + x on this map
    assert out.item() == pytest.approx(4 * 0.75 + 1.25, abs=1e-15)


@needs_ext
def test_threads_and_layout_give_identical_results():
    feats, rois, out_size, scale = make_case('channel_tail', True)
    ref = roi_align(feats, rois, out_size, scale, 2)
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        (_, ref_grad), (out, grad) = both_paths(feats, rois, out_size, scale,
                                                2, True)
    finally:
        torch.set_num_threads(previous)
    assert torch.equal(out, ref)
    out_cl = roi_align(feats.to(memory_format=torch.channels_last), rois,
                       out_size, scale, 2)
    assert torch.equal(out_cl, ref)
    torch.testing.assert_close(grad, ref_grad, rtol=0, atol=1e-13)


@needs_ext
@pytest.mark.parametrize('aligned', [True, False])
def test_gradcheck_float64(aligned):
    feats, rois, out_size, scale = make_case('small_maps', aligned)
    feats.requires_grad_()
    assert gradcheck(
        lambda x: RoIAlignCPUFunction.apply(x, rois, out_size, scale, 2,
                                            aligned), (feats, ),
        eps=1e-6, atol=1e-8)


@needs_ext
def test_bad_rois_raise_clear_errors():
    feats = torch.randn(2, 3, 4, 5)
    with pytest.raises(RuntimeError, match=r'rois\[1, 0\] = 2'):
        roi_align(feats, torch.tensor([[0., 1, 1, 2, 2], [2., 1, 1, 2, 2]]),
                  (2, 2), 1.0, 2)
    with pytest.raises(RuntimeError, match='negative size'):
        roi_align(feats, torch.tensor([[0., 3, 1, 2, 2]]), (2, 2), 1.0, 2)
    with pytest.raises(RuntimeError, match=r'\(num_rois, 5\)'):
        roi_align(feats, torch.zeros(2, 4), (2, 2), 1.0, 2)


def test_module_matches_mmcv_and_dispatches():
    layer = RoIAlign(output_size=(3, 2), spatial_scale=0.5, sampling_ratio=2)
    ref_layer = MMCVRoIAlign(output_size=(3, 2), spatial_scale=0.5,
                             sampling_ratio=2)
    assert isinstance(layer, MMCVRoIAlign)
    assert repr(layer).split('(', 1)[1] == repr(ref_layer).split('(', 1)[1]
    assert layer.state_dict() == {} == ref_layer.state_dict()
    feats, rois, _, _ = make_case('small_maps', True)
    expected = 'cpu_kernel' if get_ext() is not None else 'mmcv'
    assert roi_align_backend_name(layer, feats) == expected
    assert roi_align_backend_name(ref_layer, feats) == 'mmcv'
    assert roi_align_backend_name(layer, feats.half()) == 'mmcv'
    max_layer = RoIAlign((3, 2), 0.5, 2, pool_mode='max')
    assert roi_align_backend_name(max_layer, feats) == 'mmcv'
    torch.testing.assert_close(
        layer(feats, rois), ref_layer(feats, rois), rtol=0, atol=1e-13)
    assert torch.equal(max_layer(feats, rois),
                       mmcv_roi_align(feats, rois, (3, 2), 0.5, 2, 'max'))


def test_missing_extension_falls_back(monkeypatch):
    monkeypatch.setattr(ext_loader, '_ext', None)
    monkeypatch.setattr(ext_loader, '_import_error', 'ImportError: test')
    layer = RoIAlign(output_size=(3, 2), spatial_scale=0.5, sampling_ratio=0)
    feats, rois, _, _ = make_case('small_maps', True)
    assert roi_align_backend_name(layer, feats) == 'mmcv'
    x = feats.clone().requires_grad_()
    out = layer(x, rois)
    out.sum().backward()
    y = feats.clone().requires_grad_()
    ref = mmcv_roi_align(y, rois, (3, 2), 0.5, 0, 'avg', True)
    ref.sum().backward()
    assert torch.equal(out, ref) and torch.equal(x.grad, y.grad)
    assert 'roi_align_forward' not in info()['cpu_kernels']


def test_tevit_config_builds_mmvidseg_roi_align():
    from mmvidseg.models.layers.ops_layers import SingleRoIExtractor
    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    cfg = copy.deepcopy(Config.fromfile(TINY_CFG).model)
    model = MODELS.build(cfg)
    extractors = [m for m in model.modules()
                  if type(m).__name__ == 'SingleRoIExtractor']
    layers = [m for m in model.modules() if isinstance(m, MMCVRoIAlign)]
    assert extractors and all(
        type(m) is SingleRoIExtractor for m in extractors)
    assert layers and all(type(m) is RoIAlign for m in layers)
    assert {m.output_size for m in layers} == {(7, 7), (14, 14)}
    assert not any('roi_layers' in k for k in model.state_dict())
