# Copyright (c) mmvidseg contributors. All rights reserved.
import copy

import pytest
import torch
from mmcv.cnn.bricks.transformer import FFN

from mmvidseg.models.layers.recompute_ffn import (RecomputeFFN,
                                                  convert_recompute_ffn)


def _ffn(dtype=torch.float32, **kwargs):
    torch.manual_seed(0)
    cfg = dict(embed_dims=8, feedforward_channels=32, num_fcs=2,
               ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True))
    cfg.update(kwargs)
    return FFN(**cfg).to(dtype)


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_same_outputs_and_grads_as_mmcv_ffn(dtype):
    ffn = _ffn(dtype)
    cp = copy.deepcopy(ffn)
    assert convert_recompute_ffn(cp) == ['']
    assert type(cp) is RecomputeFFN and cp._fusable()
    x = torch.randn(3, 5, 8, dtype=dtype, requires_grad=True)
    r = torch.randn(3, 5, 8, dtype=dtype)
    ref, out = ffn(x), cp(x)
    assert out.grad_fn.name().endswith('_ReLUFFNFunctionBackward')
    torch.testing.assert_close(out, ref, rtol=0, atol=0)  # same ops
    # only the input and weights are kept, not the (15, 32) hidden layer
    saved = out.grad_fn.saved_tensors
    assert [tuple(t.shape) for t in saved] == [(3, 5, 8), (32, 8), (32, ),
                                               (8, 32)]
    g_ref = torch.autograd.grad((ref * r).sum(), [x, *ffn.parameters()])
    g_out = torch.autograd.grad((out * r).sum(), [x, *cp.parameters()])
    for a, b in zip(g_out, g_ref):
        torch.testing.assert_close(a, b)


def test_frozen_weights_and_input_without_grad():
    cp = _ffn()
    convert_recompute_ffn(cp)
    for p in cp.layers[0][0].parameters():
        p.requires_grad_(False)
    x = torch.randn(4, 8)
    cp(x).sum().backward()
    assert cp.layers[0][0].weight.grad is None
    assert cp.layers[1].weight.grad is not None


def test_falls_back_where_it_cannot_fuse():
    cp = _ffn(act_cfg=dict(type='GELU'))
    convert_recompute_ffn(cp)
    assert not cp._fusable()
    out = cp(torch.randn(2, 8, requires_grad=True))
    assert 'ReLUFFN' not in out.grad_fn.name()
    drop = _ffn(ffn_drop=0.5)
    convert_recompute_ffn(drop)
    assert not drop.train()._fusable() and drop.eval()._fusable()
    with torch.no_grad():  # no recording: mmcv's forward
        assert cp(torch.randn(2, 8)).grad_fn is None
