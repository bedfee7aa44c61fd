# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest
import torch

from mmvidseg.models.heads.mttr_head import MTTRHead, MTTRSpatialDecoder
from mmvidseg.registry import MODELS
from ..test_layers.test_mttr_transformer import tiny_text_encoder

pytest.importorskip('transformers')  # optional: MTTR text encoder


@pytest.fixture
def head(tmp_path):
    torch.manual_seed(0)
    return MODELS.build(
        dict(type='MTTRHead', in_channels=(8, 16, 24), num_queries=6,
             mask_kernels_dim=8,
             transformer=dict(d_model=64, nheads=2, num_encoder_layers=1,
                              num_decoder_layers=2, dim_feedforward=64,
                              text_encoder=tiny_text_encoder(tmp_path)))
    ).eval()


def _feats(b, t, h=32, w=40):
    return [torch.randn(b, t, c, h // s, w // s)
            for c, s in ((8, 4), (16, 8), (24, 16))]


def test_spatial_decoder_nearest_fpn():
    torch.manual_seed(0)
    dec = MTTRSpatialDecoder(64, (16, 8), 8)
    assert dec.gn1.num_groups == 8 and dec.lay4.out_channels == 8
    out = dec(torch.randn(2, 64, 3, 5), [torch.randn(2, 16, 6, 10),
                                         torch.randn(2, 8, 12, 19)])
    assert out.shape == (2, 8, 12, 19)
    assert (dec.lay1.bias == 0).all()
    with pytest.raises(ValueError, match='fpn_dims'):
        MTTRSpatialDecoder(64, (16, ), 8)


def test_head_outputs(head):
    feats = _feats(2, 3)
    pad = torch.zeros(2, 3, 32, 40, dtype=torch.bool)
    with torch.no_grad():
        outs = head(feats, pad, ['a dog', 'a man riding a horse'])
    assert len(outs) == 2
    for out in outs:
        assert out['pred_masks'].shape == (2, 3, 6, 8, 10)
        assert out['pred_is_referred'].shape == (2, 3, 6, 2)
    # masks are kernel . decoded features: a rank-8 map per frame
    frame = outs[-1]['pred_masks'][0, 0].flatten(1)  # (Q, H*W)
    assert torch.linalg.matrix_rank(frame) <= 8


def test_head_frames_independent_and_pad_mask_used(head):
    torch.manual_seed(3)
    feats = _feats(1, 3)
    pad = torch.zeros(1, 3, 32, 40, dtype=torch.bool)
    with torch.no_grad():
        full = head(feats, pad, ['a dog'])[-1]
        one = head([f[:, 2:] for f in feats], pad[:, 2:], ['a dog'])[-1]
        pad[:, :, 16:] = True
        padded = head(feats, pad, ['a dog'])[-1]
    torch.testing.assert_close(full['pred_masks'][:, 2:], one['pred_masks'],
                               atol=1e-5, rtol=1e-5)
    assert (padded['pred_is_referred'] -
            full['pred_is_referred']).abs().max() > 1e-4


def test_official_key_names(head):
    keys = set(head.state_dict())
    for name in ('obj_queries.weight', 'vid_embed_proj.weight',
                 'is_referred_head.weight',
                 'instance_kernels_head.layers.1.weight',
                 'spatial_decoder.out_lay.weight',
                 'transformer.decoder.norm.weight',
                 'transformer.encoder.layers.0.norm2.weight',
                 'transformer.decoder.layers.1.multihead_attn.in_proj_weight',
                 'transformer.txt_proj.layer_norm.weight'):
        assert name in keys
    assert not any('pooler' in k for k in keys)
    assert isinstance(head, MTTRHead)
