# Copyright (c) mmvidseg contributors. All rights reserved.
"""``mmvidseg.ops.MultiScaleDeformableAttention`` as a drop-in for mmcv's
module, and mmdet's pixel decoder running on it."""
import pytest
import torch
from mmcv.ops import \
    MultiScaleDeformableAttention as MMCVMultiScaleDeformableAttention
from mmengine.registry import DefaultScope

from mmvidseg.models.layers.ops_layers import MSDeformAttnPixelDecoder
from mmvidseg.ops import (MultiScaleDeformableAttention,
                          convert_ms_deform_attn, get_ext, info,
                          ms_deform_attn_backend)
from mmvidseg.registry import MODELS

needs_ext = pytest.mark.skipif(
    get_ext() is None, reason=f'mmvidseg.ops._ext not built: {info()}')

ATTN_CFG = dict(
    embed_dims=16, num_heads=4, num_levels=2, num_points=3, dropout=0.0)
SPATIAL_SHAPES = torch.tensor([[5, 4], [1, 1]])
LEVEL_START = torch.tensor([0, 20])


def attn_inputs(batch_first, ref_dims=2, seed=0):
    gen = torch.Generator().manual_seed(seed)
    bs, num_query, num_key = 2, 6, 21

    def seq(n):
        shape = (bs, n, 16) if batch_first else (n, bs, 16)
        return torch.randn(*shape, generator=gen, dtype=torch.float64)

    ref = torch.rand(bs, num_query, 2, ref_dims, generator=gen,
                     dtype=torch.float64)
    mask = torch.zeros(bs, num_key, dtype=torch.bool)
    mask[1, -3:] = True
    return dict(
        query=seq(num_query),
        value=seq(num_key),
        query_pos=seq(num_query),
        key_padding_mask=mask,
        reference_points=ref,
        spatial_shapes=SPATIAL_SHAPES,
        level_start_index=LEVEL_START)


def twin_modules(**cfg):
    """mmcv's module and ours with the same weights (random, not zero)."""
    ref = MMCVMultiScaleDeformableAttention(**ATTN_CFG, **cfg).double()
    with torch.no_grad():
        for p in ref.parameters():
            p.normal_(0, 0.3)
    ours = MultiScaleDeformableAttention(**ATTN_CFG, **cfg).double()
    ours.load_state_dict(ref.state_dict())
    return ref, ours


def test_state_dict_is_interchangeable():
    torch.manual_seed(3)
    ref = MMCVMultiScaleDeformableAttention(**ATTN_CFG)
    torch.manual_seed(3)
    ours = MultiScaleDeformableAttention(**ATTN_CFG)
    assert list(ours.state_dict()) == list(ref.state_dict())
    for key, tensor in ref.state_dict().items():
        assert torch.equal(ours.state_dict()[key], tensor), key
    assert isinstance(ours, MMCVMultiScaleDeformableAttention)


@needs_ext
@pytest.mark.parametrize('batch_first,ref_dims', [(False, 2), (True, 2),
                                                  (True, 4)])
def test_forward_backward_match_mmcv(batch_first, ref_dims):
    ref, ours = twin_modules(batch_first=batch_first)
    outputs = []
    for module in (ref, ours):
        inputs = attn_inputs(batch_first, ref_dims)
        inputs['query'].requires_grad_()
        out = module(**inputs)
        out.square().sum().backward()
        outputs.append((out, inputs['query'].grad,
                        {n: p.grad
                         for n, p in module.named_parameters()}))
    (out_r, gq_r, gp_r), (out_o, gq_o, gp_o) = outputs
    assert out_o.shape == inputs['query'].shape
    torch.testing.assert_close(out_o, out_r, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(gq_o, gq_r, rtol=1e-10, atol=1e-10)
    for name in gp_r:
        torch.testing.assert_close(
            gp_o[name], gp_r[name], rtol=1e-9, atol=1e-9, msg=name)


def test_identity_and_deprecated_residual():
    ref, ours = twin_modules()
    inputs = attn_inputs(batch_first=False)
    identity = torch.ones_like(inputs['query'])
    base = ours(**inputs, identity=torch.zeros_like(identity))
    torch.testing.assert_close(ours(**inputs, identity=identity), base + 1)
    with pytest.warns(DeprecationWarning, match='residual'):
        out = ours(**inputs, residual=identity)
    torch.testing.assert_close(out, base + 1)
    # no identity: the query before query_pos is added back
    torch.testing.assert_close(ours(**inputs), base + inputs['query'])


def test_pytorch_fallback_matches_mmcv_exactly():
    ref, ours = twin_modules(batch_first=True)
    inputs = attn_inputs(batch_first=True)
    with ms_deform_attn_backend('pytorch'):
        assert torch.equal(ours(**inputs), ref(**inputs))


def test_registered_in_mmvidseg_scope():
    assert MODELS.get('MultiScaleDeformableAttention') is \
        MultiScaleDeformableAttention
    assert MODELS.get('MSDeformAttnPixelDecoder') is MSDeformAttnPixelDecoder
    with DefaultScope.overwrite_default_scope('mmvidseg'):
        module = MODELS.build(
            dict(type='MultiScaleDeformableAttention', **ATTN_CFG))
    assert type(module) is MultiScaleDeformableAttention


def test_convert_keeps_weights():
    model = torch.nn.Sequential(
        MMCVMultiScaleDeformableAttention(**ATTN_CFG), torch.nn.Linear(2, 2),
        MultiScaleDeformableAttention(**ATTN_CFG))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert convert_ms_deform_attn(model) == 1
    assert [type(m) for m in model] == [
        MultiScaleDeformableAttention, torch.nn.Linear,
        MultiScaleDeformableAttention
    ]
    after = model.state_dict()
    assert list(after) == list(before)
    assert all(torch.equal(after[k], v) for k, v in before.items())
    assert convert_ms_deform_attn(model) == 0


@pytest.mark.skipif(
    not torch.cuda.is_available(), reason='needs a GPU and mmcv built with '
    'CUDA')
def test_cuda_tensors_use_mmcv_kernel_and_match_cpu():
    _, ours = twin_modules(batch_first=True)
    inputs = attn_inputs(batch_first=True)
    cpu_out = ours(**inputs)
    cuda_inputs = {k: v.cuda() for k, v in inputs.items()}
    cuda_out = ours.cuda()(**cuda_inputs)
    torch.testing.assert_close(cuda_out.cpu(), cpu_out, rtol=1e-8, atol=1e-8)
    with ms_deform_attn_backend('pytorch'):
        torch.testing.assert_close(
            ours(**cuda_inputs), cuda_out, rtol=1e-8, atol=1e-8)
