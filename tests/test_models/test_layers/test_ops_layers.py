# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest
import torch
from mmcv.ops import \
    MultiScaleDeformableAttention as MMCVMultiScaleDeformableAttention
from mmdet.models.layers import \
    MSDeformAttnPixelDecoder as MMDetMSDeformAttnPixelDecoder
from mmengine.config import ConfigDict

from mmvidseg.ops import (MultiScaleDeformableAttention, get_ext, info,
                          ms_deform_attn_backend)
from mmvidseg.registry import MODELS

needs_ext = pytest.mark.skipif(
    get_ext() is None, reason=f'mmvidseg.ops._ext not built: {info()}')

PIXEL_DECODER = ConfigDict(
    type='MSDeformAttnPixelDecoder',
    in_channels=[8, 16, 32, 64],
    strides=[4, 8, 16, 32],
    feat_channels=32,
    out_channels=32,
    num_outs=3,
    norm_cfg=dict(type='GN', num_groups=8),
    act_cfg=dict(type='ReLU'),
    encoder=dict(
        num_layers=2,
        layer_cfg=dict(
            self_attn_cfg=dict(
                embed_dims=32,
                num_heads=4,
                num_levels=3,
                num_points=2,
                im2col_step=128,
                dropout=0.0,
                batch_first=True),
            ffn_cfg=dict(
                embed_dims=32,
                feedforward_channels=64,
                num_fcs=2,
                ffn_drop=0.0,
                act_cfg=dict(type='ReLU', inplace=True)))),
    positional_encoding=dict(num_feats=16, normalize=True))


@needs_ext
def test_pixel_decoder_kernel_equals_fallback():
    torch.manual_seed(0)
    decoder = MODELS.build(PIXEL_DECODER.copy())
    decoder.init_weights()
    attns = [m for m in decoder.modules()
             if isinstance(m, MMCVMultiScaleDeformableAttention)]
    assert len(attns) == 2
    assert all(type(m) is MultiScaleDeformableAttention for m in attns)
    # mmdet's own class loads the same state dict
    mmdet_decoder = MMDetMSDeformAttnPixelDecoder(
        **{k: v
           for k, v in PIXEL_DECODER.items() if k != 'type'})
    mmdet_decoder.load_state_dict(decoder.state_dict(), strict=True)

    gen = torch.Generator().manual_seed(1)
    feats = [
        torch.randn(2, c, 64 // s, 64 // s, generator=gen)
        for c, s in zip([8, 16, 32, 64], [4, 8, 16, 32])
    ]  # the 1/32 level is 2x2
    with ms_deform_attn_backend('cpu_kernel'):
        mask_kernel, multi_kernel = decoder(feats)
    with ms_deform_attn_backend('pytorch'):
        mask_ref, multi_ref = decoder(feats)
    mask_mmdet, multi_mmdet = mmdet_decoder(feats)
    assert mask_kernel.shape == (2, 32, 16, 16)
    assert [f.shape[-1] for f in multi_kernel] == [2, 4, 8]
    for kernel, ref, mmdet_out in zip([mask_kernel] + multi_kernel,
                                      [mask_ref] + multi_ref,
                                      [mask_mmdet] + multi_mmdet):
        torch.testing.assert_close(kernel, ref, rtol=1e-5, atol=1e-5)
        assert torch.equal(ref, mmdet_out)
