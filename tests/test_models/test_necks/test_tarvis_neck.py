# Copyright (c) mmvidseg contributors. All rights reserved.
import math

import pytest
import torch
import torch.nn.functional as F

from mmvidseg.models.layers import PositionEmbeddingSine3D
from mmvidseg.models.necks import (TarViSTemporalAttentionLayer,
                                   TarViSTemporalNeck, pad_to_multiple)
from mmvidseg.models.necks.tarvis_neck_keymap import convert_neck_key
from mmvidseg.models.necks.tarvis_temporal_neck import (window_partition,
                                                        window_reverse)

IN_CHANNELS = [8, 16, 24, 32]


def tiny_neck(**kwargs) -> TarViSTemporalNeck:
    torch.manual_seed(0)
    encoder = dict(
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
                act_cfg=dict(type='ReLU', inplace=True))))
    neck = TarViSTemporalNeck(
        in_channels=IN_CHANNELS,
        feat_channels=32,
        out_channels=16,
        encoder=encoder,
        temporal_layer_cfg=kwargs.pop(
            'temporal_layer_cfg', dict(num_heads=4, feedforward_channels=64)),
        positional_encoding=dict(num_feats=16, normalize=True),
        **kwargs)
    neck.init_weights()
    with torch.no_grad():  # non-trivial sampling (init has zero weights)
        for layer in neck.encoder.layers:
            layer.self_attn.attention_weights.weight.normal_(0, 0.1)
            layer.self_attn.sampling_offsets.weight.normal_(0, 0.1)
    return neck.eval()


def feats_for(batch_frames: int, height: int, width: int, seed: int = 1):
    g = torch.Generator().manual_seed(seed)
    return [
        torch.randn(batch_frames, c, height // s, width // s, generator=g)
        for c, s in zip(IN_CHANNELS, [4, 8, 16, 32])
    ]


def test_output_shapes():
    neck = tiny_neck()
    multi_scale, mask_features = neck(feats_for(6, 64, 128), num_frames=3)
    assert [tuple(m.shape) for m in multi_scale] == [(2, 32, 3, 2, 4),
                                                     (2, 32, 3, 4, 8),
                                                     (2, 32, 3, 8, 16)]
    assert tuple(mask_features.shape) == (2, 16, 3, 16, 32)
    assert all(m.is_contiguous() for m in multi_scale)
    assert torch.isfinite(mask_features).all()


def test_batched_equals_per_sample_and_frames_interact():
    neck = tiny_neck()
    feats = feats_for(4, 64, 64)
    with torch.no_grad():
        ms, mf = neck(feats, num_frames=2)
        for b in range(2):
            ms_b, mf_b = neck([f[2 * b:2 * b + 2] for f in feats], 2)
            torch.testing.assert_close(mf_b, mf[b:b + 1], atol=1e-5, rtol=0)
            for x, y in zip(ms_b, ms):
                torch.testing.assert_close(x, y[b:b + 1], atol=1e-5, rtol=0)
        # the temporal layers mix frames: frame 1 changes frame 0's output
        changed = [f.clone() for f in feats]
        for f in changed:
            f[1] = torch.randn_like(f[1])
        _, mf2 = neck(changed, num_frames=2)
        assert (mf2[0, :, 0] - mf[0, :, 0]).abs().max() > 1e-3
        # ... but not another clip's
        torch.testing.assert_close(mf2[1], mf[1])


def test_one_frame_clip():
    neck = tiny_neck()
    ms, mf = neck(feats_for(2, 64, 64), num_frames=1)
    assert tuple(mf.shape) == (2, 16, 1, 16, 16)
    assert tuple(ms[0].shape) == (2, 32, 1, 2, 2)


def test_odd_coarse_side_needs_padding():
    neck = tiny_neck()
    images = torch.rand(2, 3, 96, 100)  # 1/32 map would be 3 x 3
    with pytest.raises(ValueError, match='pad_to_multiple'):
        neck(feats_for(2, 96, 96), num_frames=2)
    padded = pad_to_multiple(images, 64, value=128.)
    assert tuple(padded.shape) == (2, 3, 128, 128)
    assert (padded[..., 96:, :] == 128).all()
    assert (padded[..., :, 100:] == 128).all()
    torch.testing.assert_close(padded[..., :96, :100], images)
    assert pad_to_multiple(padded, 64) is padded
    _, mf = neck(feats_for(2, 128, 128), num_frames=2)
    assert tuple(mf.shape) == (1, 16, 2, 32, 32)
    with pytest.raises(ValueError, match='num_frames=4'):
        neck(feats_for(6, 64, 64), num_frames=4)


def _official_patch_indices(shapes):
    """``get_patch_mask_indices(ksize_offset=1)`` of the official code."""
    out, offset = [], 0
    for lvl, (h, w) in enumerate(shapes):
        coords = torch.stack(
            torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij'))
        ks = 2**(lvl + 1)
        idx = F.unfold(coords[None].float(), ks, stride=ks)[0].long()
        idx = idx.view(2, ks * ks, -1)
        out.append((idx[0] * w + idx[1] + offset).t())
        offset += h * w
    return torch.cat(out, 1)  # (P, N)


def test_windows_follow_official_token_order():
    b, t, c = 2, 3, 5
    shapes = [(2, 4), (4, 8), (8, 16)]
    maps = [torch.randn(b, t, h, w, c) for h, w in shapes]
    windows = window_partition(maps, [2, 4, 8])
    # official: src (B T, LHW, C) gathered by patch indices,
    # "(P N) T B C -> (B P) (N T) C"
    flat = torch.cat([m.flatten(2, 3) for m in maps], 2)  # (B, T, LHW, C)
    idx = _official_patch_indices(shapes)
    p, n = idx.shape
    ref = flat.permute(2, 1, 0, 3)[idx.flatten()]  # (P N, T, B, C)
    ref = ref.view(p, n, t, b, c).permute(3, 0, 1, 2, 4).reshape(
        b * p, n * t, c)
    assert windows.shape == (2 * 2, 84 * 3, c)
    torch.testing.assert_close(windows, ref, rtol=0, atol=0)
    back = window_reverse(windows, shapes, [2, 4, 8], b, t)
    torch.testing.assert_close(back, flat.flatten(0, 1), rtol=0, atol=0)


def test_temporal_layer_matches_multihead_attention_and_chunks():
    torch.manual_seed(0)
    layer = TarViSTemporalAttentionLayer(
        embed_dims=16, num_heads=4, feedforward_channels=32,
        chunk_threshold=10, num_chunks=3).eval()
    x, pos = torch.randn(6, 12, 16), torch.randn(3, 12, 16)
    kq = (x.view(2, 3, 12, 16) + pos).view(6, 12, 16)
    attn = layer.self_attn(kq, kq, x)[0]  # official: need_weights=True
    ref = layer.norms[0](x + attn)
    ref = layer.norms[1](layer.ffn(ref))
    with torch.no_grad():
        chunked = layer(x, pos)  # 12 tokens > 10: 3 chunks
        layer.chunk_threshold = 100
        full = layer(x, pos)
    torch.testing.assert_close(full, ref, atol=1e-5, rtol=0)
    torch.testing.assert_close(chunked, full, atol=1e-6, rtol=0)


def test_position_embedding_3d():
    pe = PositionEmbeddingSine3D(8, normalize=True)
    x = torch.zeros(2, 5, 3, 4, 6)  # (B, C, T, H, W)
    pos = pe(x)
    assert pos.shape == (2, 16, 3, 4, 6) and not pos.requires_grad
    torch.testing.assert_close(
        pe(x.transpose(1, 2), fmt='btchw'), pos.transpose(1, 2))
    torch.testing.assert_close(pe(None, dims=(2, 3, 4, 6), device='cpu'), pos)
    # channel 0: sin(y) + sin(z); channel 8: sin(x) + sin(z / 10000 ** (8 /
    # 16)) (the z term spans all 16 channels with its own frequencies)
    scale = 2 * math.pi
    y = (torch.arange(4) + 1) / (4 + 1e-6) * scale
    z = (torch.arange(3) + 1) / (3 + 1e-6) * scale
    xx = (torch.arange(6) + 1) / (6 + 1e-6) * scale
    torch.testing.assert_close(pos[0, 0],
                               y.sin()[None, :, None].expand(3, 4, 6) +
                               z.sin()[:, None, None])
    torch.testing.assert_close(pos[1, 8],
                               xx.sin()[None, None, :].expand(3, 4, 6) +
                               (z / 100).sin()[:, None, None])
    # channel 15 (last x channel, cos): x / 10000 ** (14 / 8); the z term of
    # channel 15 uses 10000 ** (14 / 16)
    torch.testing.assert_close(
        pos[0, 15, :, 0, 2],
        (xx[2] / 10000**(14 / 8)).cos() + (z / 10000**(14 / 16)).cos())
    # one frame: z = scale everywhere
    one = pe(None, dims=(1, 1, 2, 2), device='cpu')
    torch.testing.assert_close(
        one[0, 0, 0], ((torch.arange(2) + 1) / (2 + 1e-6) * scale).sin()
        [:, None].expand(2, 2) + math.sin(scale / (1 + 1e-6) * 1))
    with pytest.raises(ValueError, match='fmt'):
        pe(x, fmt='bthwc')


def _official_neck_keys(num_layers: int = 6):
    keys = ['transformer.level_embed', 'transformer.level_embed_3d']
    for i in range(3):
        keys += [f'input_proj.{i}.{j}.{p}' for j in (0, 1)
                 for p in ('weight', 'bias')]
    post_norm = [f'{m}.{p}' for m in ('norm1', 'norm2', 'linear1', 'linear2')
                 for p in ('weight', 'bias')]
    for i in range(num_layers):
        pre = f'transformer.encoder.layers.{i}.'
        keys += [pre + f'self_attn.{m}.{p}' for m in (
            'sampling_offsets', 'attention_weights', 'value_proj',
            'output_proj') for p in ('weight', 'bias')]
        keys += [pre + k for k in post_norm]
        pre = f'transformer.encoder.temporal_layers.{i}.'
        keys += [pre + f'self_attn.{k}' for k in (
            'in_proj_weight', 'in_proj_bias', 'out_proj.weight',
            'out_proj.bias')]
        keys += [pre + k for k in post_norm]
    keys += ['mask_features.weight', 'mask_features.bias',
             'adapter_1.weight', 'adapter_1.norm.weight',
             'adapter_1.norm.bias', 'layer_1.weight', 'layer_1.norm.weight',
             'layer_1.norm.bias']
    return keys


def test_neck_keys_map_one_to_one():
    neck = TarViSTemporalNeck(in_channels=[256, 512, 1024, 2048])
    official = _official_neck_keys()
    assert len(official) == 190  # backbone.fpn.* entries of tarvis_r50
    mapped = [convert_neck_key(k) for k in official]
    assert sorted(mapped) == sorted(neck.state_dict())
    assert sum(p.numel() for p in neck.parameters()) == 10_775_232
    with pytest.raises(KeyError, match='tarvis_neck_keymap'):
        convert_neck_key('transformer.foo')


def test_zero_dropouts_removed_others_kept():
    neck = tiny_neck()
    assert len(neck.removed_dropouts) == 2 * 3 + 2 * 3  # 3 per layer
    assert not any(
        isinstance(m, torch.nn.Dropout) for m in neck.modules())
    kept = tiny_neck(temporal_layer_cfg=dict(
        num_heads=4, feedforward_channels=64, dropout=0.1))
    drops = [m for m in kept.modules() if isinstance(m, torch.nn.Dropout)]
    assert len(drops) == 2 * 3 and all(d.p == 0.1 for d in drops)
    assert sorted(kept.state_dict()) == sorted(neck.state_dict())


def test_mismatched_level_sizes_raise():
    neck = tiny_neck()
    feats = feats_for(2, 128, 128)
    feats[1] = feats[1][..., :8, :]  # 1/8 map 8 x 16 instead of 16 x 16
    with pytest.raises(ValueError, match='window grids'):
        neck(feats, num_frames=2)


def test_recompute_ffn_same_outputs_and_grads():
    plain, cp = tiny_neck().train(), tiny_neck(recompute_ffn=True).train()
    ffns = [m for m in cp.modules() if type(m).__name__ == 'RecomputeFFN']
    assert len(ffns) == 2 * 2  # one per deformable and per temporal layer
    assert sorted(cp.state_dict()) == sorted(plain.state_dict())
    grads = []
    for neck in (plain, cp):
        feats = [f.requires_grad_() for f in feats_for(4, 64, 64)]
        multi_scale, mask_features = neck(feats, num_frames=2)
        outs = [*multi_scale, mask_features]
        torch.manual_seed(3)
        sum((o * torch.randn_like(o)).sum() for o in outs).backward()
        grads.append((outs, [f.grad for f in feats],
                      [p.grad for p in neck.parameters()]))
    (o1, f1, p1), (o2, f2, p2) = grads
    for a, b in zip(o1 + f1 + p1, o2 + f2 + p2):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert any(g.abs().sum() > 0 for g in p2)
