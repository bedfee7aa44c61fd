# Copyright (c) mmvidseg contributors. All rights reserved.
"""mmvidseg's CPU kernel of multi-scale deformable attention vs mmcv's
pure-PyTorch reference (``multi_scale_deformable_attn_pytorch``)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch.autograd import gradcheck

from mmvidseg.ops import (MultiScaleDeformAttnCPUFunction, get_ext, info,
                          level_start_index_from_shapes, ms_deform_attn,
                          ms_deform_attn_backend,
                          multi_scale_deformable_attn_pytorch)
from mmvidseg.ops import ext_loader

needs_ext = pytest.mark.skipif(
    get_ext() is None, reason=f'mmvidseg.ops._ext not built: {info()}')

# name: (spatial shapes (h, w), bs, num_queries, num_heads, head_dims,
# num_points)
CASES = {
    'outside_points': ([(6, 5), (3, 3), (2, 1)], 2, 7, 2, 4, 3),
    'level_1x1': ([(1, 1), (4, 3), (1, 1)], 2, 5, 2, 3, 2),
    'single_query': ([(5, 4), (2, 2)], 1, 1, 2, 8, 4),
    'many_heads': ([(4, 4), (2, 3)], 1, 3, 16, 2, 2),
}


def make_inputs(shapes, bs, num_queries, num_heads, head_dims, num_points,
                dtype=torch.float64, seed=0):
    """Random inputs; about a quarter of the points lie outside the maps."""
    gen = torch.Generator().manual_seed(seed)
    spatial_shapes = torch.tensor(shapes, dtype=torch.long)
    num_keys = int((spatial_shapes[:, 0] * spatial_shapes[:, 1]).sum())
    num_levels = len(shapes)
    value = torch.randn(
        bs, num_keys, num_heads, head_dims, generator=gen, dtype=dtype)
    loc = torch.rand(
        bs, num_queries, num_heads, num_levels, num_points, 2,
        generator=gen, dtype=dtype) * 1.6 - 0.3
    attn = torch.rand(
        bs, num_queries, num_heads, num_levels, num_points, generator=gen,
        dtype=dtype)
    return value, spatial_shapes, loc, attn


def reference_and_kernel(value, spatial_shapes, loc, attn):
    """Outputs and gradients of a random loss through both paths."""
    results = []
    grad_out = torch.randn(
        value.shape[0], loc.shape[1], value.shape[2] * value.shape[3],
        generator=torch.Generator().manual_seed(1),
        dtype=torch.float64).to(value.dtype)
    for backend in ('pytorch', 'cpu_kernel'):
        leaves = [t.detach().clone().requires_grad_() for t in (value, loc,
                                                                 attn)]
        with ms_deform_attn_backend(backend):
            out = ms_deform_attn(leaves[0], spatial_shapes, None, leaves[1],
                                 leaves[2])
        out.backward(grad_out)
        results.append([out.detach()] + [t.grad for t in leaves])
    return results


def test_level_start_index_from_shapes():
    shapes = torch.tensor([[4, 5], [2, 3], [1, 1]])
    assert level_start_index_from_shapes(shapes).tolist() == [0, 20, 26]


@needs_ext
@pytest.mark.parametrize('case', list(CASES))
def test_float64_matches_reference(case):
    ref, ker = reference_and_kernel(*make_inputs(*CASES[case]))
    for name, r, k in zip(('out', 'value', 'loc', 'attn'), ref, ker):
        assert k.shape == r.shape, name
        torch.testing.assert_close(k, r, rtol=1e-10, atol=1e-10, msg=name)


@needs_ext
@pytest.mark.parametrize('case', list(CASES))
def test_float32_within_1e5_relative(case):
    inputs64 = make_inputs(*CASES[case])
    (ref, _), (_, ker) = (reference_and_kernel(*inputs64),
                          reference_and_kernel(
                              *[t.float() if t.is_floating_point() else t
                                for t in inputs64]))
    for name, r, k in zip(('out', 'value', 'loc', 'attn'), ref, ker):
        assert k.dtype == torch.float32
        scale = r.abs().max().item()
        torch.testing.assert_close(
            k.double(), r, rtol=1e-5, atol=1e-5 * scale, msg=name)


@needs_ext
@pytest.mark.parametrize('case', ['outside_points', 'level_1x1'])
def test_gradcheck_float64(case):
    shapes, _, _, heads, dims, points = CASES[case]
    value, spatial_shapes, loc, attn = make_inputs(shapes, 1, 2, heads, dims,
                                                   points)
    starts = level_start_index_from_shapes(spatial_shapes)
    assert gradcheck(
        MultiScaleDeformAttnCPUFunction.apply,
        (value.requires_grad_(), spatial_shapes, starts,
         loc.requires_grad_(), attn.requires_grad_()),
        eps=1e-6, atol=1e-6)


@needs_ext
def test_points_outside_give_zero_output_and_gradient():
    value, spatial_shapes, loc, attn = make_inputs([(3, 4)], 1, 4, 1, 2, 1)
    loc = torch.tensor([-0.6, 1.5, 1.2, -2.0],
                       dtype=loc.dtype).view(1, 4, 1, 1, 1, 1).expand(
                           1, 4, 1, 1, 1, 2).contiguous()
    _, (out, grad_value, grad_loc, grad_attn) = reference_and_kernel(
        value, spatial_shapes, loc, attn)
    assert out.abs().max() == 0
    assert grad_value.abs().max() == 0 and grad_loc.abs().max() == 0
    assert grad_attn.abs().max() == 0


@needs_ext
def test_exact_bilinear_value_on_a_hand_made_case():
    # one 2x2 map, one channel: x = 0.5 * 2 - 0.5 = 0.5 and y = 0.25 * 2 -
    # 0.5 = 0 -> halfway between the two pixels of the first row.
    value = torch.tensor([1., 3., 5., 7.], dtype=torch.float64).view(
        1, 4, 1, 1)
    loc = torch.tensor([0.5, 0.25], dtype=torch.float64).view(1, 1, 1, 1, 1, 2)
    attn = torch.full((1, 1, 1, 1, 1), 0.5, dtype=torch.float64)
    with ms_deform_attn_backend('cpu_kernel'):
        out = ms_deform_attn(value, torch.tensor([[2, 2]]), None, loc, attn)
    assert out.item() == pytest.approx(0.5 * 2.0)


@needs_ext
def test_query_chunks_when_fewer_pairs_than_threads():
    """bs * num_heads = 1 < threads: grad_value goes through per-chunk
    buffers; the result must not change."""
    inputs = make_inputs([(5, 6), (3, 3)], 1, 9, 1, 4, 3)
    previous = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        _, single = reference_and_kernel(*inputs)
        torch.set_num_threads(4)
        _, chunked = reference_and_kernel(*inputs)
    finally:
        torch.set_num_threads(previous)
    for s, c in zip(single, chunked):
        torch.testing.assert_close(c, s, rtol=1e-12, atol=1e-12)


@needs_ext
def test_non_contiguous_inputs():
    value, spatial_shapes, loc, attn = make_inputs([(4, 3), (2, 2)], 2, 3, 2,
                                                   4, 2)
    value_nc = value.transpose(0, 1).contiguous().transpose(0, 1)
    assert not value_nc.is_contiguous()
    with ms_deform_attn_backend('cpu_kernel'):
        out = ms_deform_attn(value_nc, spatial_shapes, None, loc, attn)
    ref = multi_scale_deformable_attn_pytorch(value, spatial_shapes, loc,
                                              attn)
    torch.testing.assert_close(out, ref, rtol=1e-10, atol=1e-10)


def test_bad_shapes_name_the_argument():
    value, spatial_shapes, loc, attn = make_inputs([(4, 3)], 1, 2, 2, 2, 2)
    with pytest.raises(ValueError, match='num_keys=12'):
        ms_deform_attn(value, torch.tensor([[4, 4]]), None, loc, attn)
    with pytest.raises(ValueError, match='attention_weights'):
        ms_deform_attn(value, spatial_shapes, None, loc, attn[..., :1])
    with pytest.raises(ValueError, match='sampling_locations'):
        ms_deform_attn(value, spatial_shapes, None, loc[:, :, :1], attn)
    with pytest.raises(ValueError, match='backend'):
        with ms_deform_attn_backend('cuda'):
            pass


@needs_ext
def test_kernel_checks_level_start_index():
    value, spatial_shapes, loc, attn = make_inputs([(4, 3)], 1, 2, 2, 2, 2)
    with pytest.raises(RuntimeError, match='level_start_index'):
        get_ext().ms_deform_attn_forward(value, spatial_shapes,
                                         torch.tensor([5]), loc, attn)


def test_missing_extension_falls_back(monkeypatch):
    value, spatial_shapes, loc, attn = make_inputs([(4, 3)], 1, 2, 2, 2, 2)
    monkeypatch.setattr(ext_loader, '_ext', None)
    monkeypatch.setattr(ext_loader, '_import_error', 'ImportError: test')
    out = ms_deform_attn(value, spatial_shapes, None, loc, attn)
    ref = multi_scale_deformable_attn_pytorch(value, spatial_shapes, loc,
                                              attn)
    assert torch.equal(out, ref)
    assert info()['compiled'] is False
    with pytest.raises(RuntimeError, match='ImportError: test'):
        with ms_deform_attn_backend('cpu_kernel'):
            ms_deform_attn(value, spatial_shapes, None, loc, attn)


def test_package_imports_and_runs_without_extension():
    """A fresh interpreter in which ``mmvidseg.ops._ext`` cannot be imported
    (as after ``MMVIDSEG_WITH_OPS=0``): info() says so, the op still runs."""
    code = '\n'.join([
        'import sys, json, torch',
        "sys.modules['mmvidseg.ops._ext'] = None  # import raises",
        'import mmvidseg.ops as ops',
        'v = torch.randn(1, 5, 2, 4)',
        'loc = torch.rand(1, 3, 2, 2, 2, 2)',
        'attn = torch.rand(1, 3, 2, 2, 2)',
        'out = ops.ms_deform_attn(v, torch.tensor([[2, 2], [1, 1]]), None,',
        '                         loc, attn)',
        'print(json.dumps(dict(info=ops.info(), shape=list(out.shape))))',
    ])
    root = Path(__file__).parents[2]
    env = dict(os.environ, PYTHONPATH=str(root))
    result = subprocess.run([sys.executable, '-c', code],
                            capture_output=True,
                            text=True,
                            env=env,
                            cwd=root,
                            check=True)
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report['shape'] == [1, 3, 8]
    assert report['info']['compiled'] is False
    assert 'mmvidseg.ops._ext' in report['info']['import_error']
