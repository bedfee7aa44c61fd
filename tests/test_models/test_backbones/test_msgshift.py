# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from mmdet.models.backbones import PyramidVisionTransformerV2

from mmvidseg.models.backbones import MsgShifT
from mmvidseg.models.backbones.msgshift import (_attention, _encoder_layer,
                                                _msg_linear,
                                                _shared_kv_attention,
                                                build_shift_pattern,
                                                shift_messengers)

TINY = dict(
    embed_dims=8,
    num_heads=[1, 2, 2, 4],
    num_layers=[2, 2, 2, 2],
    mlp_ratios=[2, 2, 2, 2],
    drop_path_rate=0.0)


def tiny_msgshift(**kwargs) -> MsgShifT:
    torch.manual_seed(0)
    model = MsgShifT(num_msg_tokens=8, **TINY, **kwargs)
    model.init_weights()
    return model.eval()


def test_output_shapes_and_5d_input():
    model = tiny_msgshift()
    x = torch.randn(2, 3, 3, 64, 96)  # (B, T, C, H, W)
    outs = model(x)
    assert [tuple(o.shape) for o in outs] == [(6, 8, 16, 24), (6, 16, 8, 12),
                                              (6, 16, 4, 6), (6, 32, 2, 3)]
    flat = model(x.flatten(0, 1), num_frames=3)
    for a, b in zip(outs, flat):
        torch.testing.assert_close(a, b)
    with pytest.raises(ValueError, match='whole number of clips'):
        model(x.flatten(0, 1), num_frames=4)
    with pytest.raises(ValueError, match='num_frames=2'):
        model(x, num_frames=2)


def test_key_tree_is_pvtv2_plus_msg_tokens():
    ours = MsgShifT(embed_dims=64, num_layers=[2, 2, 2, 2]).state_dict()
    pvt = PyramidVisionTransformerV2(
        embed_dims=64, num_layers=[2, 2, 2, 2]).state_dict()
    assert set(ours) - set(pvt) == {'msg_tokens'}
    assert set(pvt) <= set(ours)
    assert all(ours[k].shape == pvt[k].shape for k in pvt)
    assert ours['msg_tokens'].shape == (1, 32, 3)
    # PVTv2 weights load by identity
    model = MsgShifT(embed_dims=64, num_layers=[2, 2, 2, 2])
    result = model.load_state_dict(pvt, strict=False)
    assert result.missing_keys == ['msg_tokens']
    assert result.unexpected_keys == []


def test_shift_pattern():
    assert build_shift_pattern([2, 3], [1, -1, 2, -2]) == [
        [[1, -1, 2, -2], [-1, 1, -2, 2]],
        [[1, -1, 2, -2], [-1, 1, -2, 2], None],
    ]
    model = MsgShifT(embed_dims=8, num_layers=[2, 2, 2, 2])
    assert all(s is not None for stage in model.msg_shift for s in stage)


def test_shift_messengers_hand_made():
    # B=1, T=3, M=4 tokens (4 groups of one), C=1: value = 10 * t + m
    msg = torch.tensor([[10. * t + m for m in range(4)] for t in range(3)])
    out = shift_messengers(msg[:, :, None], 3, [1, -1, 2, -2])[..., 0]
    # group g of frame t comes from frame (t - shift_g) mod 3
    expected = torch.tensor([[20., 11., 12., 23.],
                             [0., 21., 22., 3.],
                             [10., 1., 2., 13.]])
    torch.testing.assert_close(out, expected)
    # two clips are shifted independently
    two = shift_messengers(
        torch.cat([msg, msg + 100])[:, :, None], 3, [1, -1, 2, -2])[..., 0]
    torch.testing.assert_close(two, torch.cat([expected, expected + 100]))


def test_msg_linear_is_conv_on_constant_patch():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(3, 5, 3, padding=1)
    msg = torch.randn(2, 4, 3)
    const = msg[:, :, :, None, None].expand(2, 4, 3, 6, 6).flatten(0, 1)
    centre = conv(const)[:, :, 3, 3].reshape(2, 4, 5)
    torch.testing.assert_close(_msg_linear(msg, conv), centre)


def test_stage4_keys_exclude_messengers():
    model = tiny_msgshift()
    # stage 2 (sr_ratio=4): image tokens attend to messengers; stage 4
    # (sr_ratio=1): they do not
    for stage, hw, changes in ((1, (8, 8), True), (3, (2, 3), False)):
        attn = model.layers[stage][1][0].attn
        c, num_hw = attn.attn.embed_dim, hw[0] * hw[1]
        x = torch.randn(2, num_hw, c)
        m1, m2 = torch.randn(2, 3, c), torch.randn(2, 3, c)
        out1 = _attention(attn, x, m1, hw, x, m1)[0]
        out2 = _attention(attn, x, m2, hw, x, m1)[0]
        assert (not torch.allclose(out1, out2)) == changes
    # messengers always read the image tokens, also in stage 4
    blk = model.layers[3][1][0]
    c = blk.attn.attn.embed_dim
    m = torch.randn(2, 3, c)
    _, msg1 = _encoder_layer(blk, torch.randn(2, 6, c), m, (2, 3))
    _, msg2 = _encoder_layer(blk, torch.randn(2, 6, c), m, (2, 3))
    assert not torch.allclose(msg1, msg2)


def test_temporal_exchange_only_through_messengers():
    model = tiny_msgshift()
    x = torch.randn(1, 3, 3, 64, 64)
    y = x.clone()
    y[0, 0] = torch.randn(3, 64, 64)  # change frame 0 only
    with torch.no_grad():
        clip_x, clip_y = model(x)[-1], model(y)[-1]
        single_x = model(x.flatten(0, 1))[-1]  # num_frames=None: 1-frame
        single_y = model(y.flatten(0, 1))[-1]
    # in a clip, frames 1 and 2 see frame 0 through the shifted messengers
    assert not torch.allclose(clip_x[1], clip_y[1])
    assert not torch.allclose(clip_x[2], clip_y[2])
    # as independent images they do not
    torch.testing.assert_close(single_x[1:], single_y[1:])


def test_matches_manual_pvtv2_layer_on_image_tokens_without_sr_messengers():
    """In stage 4 (no spatial reduction) image tokens ignore messengers, so
    the image path of one encoder layer equals mmdet's PVTv2 layer."""
    model = tiny_msgshift()
    blk = model.layers[3][1][0]
    c = blk.attn.attn.embed_dim
    x, m = torch.randn(2, 6, c), torch.randn(2, 5, c)
    ours, _ = _encoder_layer(blk, x, m, (2, 3))
    torch.testing.assert_close(ours, blk(x, (2, 3)))
    # and the messenger path of the FFN is the 1x1 conv path of a constant
    # patch (the depth-wise conv reduces to its summed taps)
    fc1 = blk.ffn.layers[0]
    const = F.conv2d(m[0, :, :, None, None], fc1.weight, fc1.bias)
    torch.testing.assert_close(const[:, :, 0, 0], _msg_linear(m, fc1)[0])


def test_shared_drop_path_equals_drop_path_on_concatenation():
    from mmcv.cnn.bricks.drop import DropPath

    from mmvidseg.models.backbones.msgshift import _shared_drop_path
    drop = DropPath(drop_prob=0.5).train()
    x, m = torch.randn(16, 6, 4), torch.randn(16, 3, 4)
    torch.manual_seed(3)
    expected = drop(torch.cat([x, m], 1))
    torch.manual_seed(3)
    out_x, out_m = _shared_drop_path(drop, x, m)
    torch.testing.assert_close(torch.cat([out_x, out_m], 1), expected)
    assert (expected == 0).all(-1).all(-1).any()  # some samples dropped
    out_x, out_m = _shared_drop_path(drop.eval(), x, m)
    assert out_x is x and out_m is m


def test_shared_kv_attention_equals_multihead_attention_calls():
    torch.manual_seed(0)
    mha = torch.nn.MultiheadAttention(16, 4, batch_first=True).eval()
    kv = torch.randn(3, 5, 16)
    queries = (torch.randn(3, 7, 16), torch.randn(3, 2, 16))
    outs = _shared_kv_attention(mha, queries, kv)
    for query, out in zip(queries, outs):
        assert out.shape == query.shape
        torch.testing.assert_close(out, mha(query, kv, kv)[0])
