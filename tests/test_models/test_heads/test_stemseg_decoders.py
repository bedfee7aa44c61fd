# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest
import torch
import torch.nn as nn

from mmvidseg.models.heads.stemseg_decoders import (POOLING_SCHEDULE,
                                                    StemSegEmbeddingHead,
                                                    StemSegSeedinessHead,
                                                    StemSegSemsegHead)

TINY = dict(in_channels=16, inter_channels=(16, 16, 8, 8),
            norm_cfg=dict(type='GN', num_groups=4))


def _feats(t, h4=24, w4=32, c=16, n=1):
    # strides 32, 16, 8, 4
    return [torch.randn(n, c, t, h4 // s, w4 // s) for s in (8, 4, 2, 1)]


@pytest.mark.parametrize('t', sorted(POOLING_SCHEDULE))
def test_pooling_schedule_keeps_clip_length(t):
    head = StemSegEmbeddingHead(num_frames=t, **TINY)
    pools = [type(m) for m in head.block_32x if not isinstance(
        m, (nn.Conv3d, nn.GroupNorm, nn.ReLU))]
    expected = {2: 0, 4: 1, 8: 2, 16: 3, 24: 3, 32: 3}[t]
    assert sum(p is nn.AvgPool3d for p in pools) == expected
    out = head(_feats(t))
    assert out.shape == (1, 4 + 2 + 1, t, 24, 32)


def test_state_dict_layout_matches_reference():
    head = StemSegEmbeddingHead(num_frames=8, **TINY)
    keys = {k.rsplit('.', 1)[0] for k in head.state_dict()}
    assert {'block_32x.0', 'block_32x.1', 'block_32x.4', 'block_32x.5',
            'block_32x.8', 'block_32x.9', 'block_16x.0', 'block_16x.5',
            'block_8x.1', 'block_4x.1', 'conv_16', 'conv_8', 'conv_4',
            'conv_embedding', 'conv_variance', 'conv_seediness'} <= keys
    assert 'time_scale' in head.state_dict()
    assert head.conv_variance.bias is not None
    assert head.conv_embedding.bias is None
    semseg = StemSegSemsegHead(num_classes=40, num_frames=8, **TINY)
    assert semseg.conv_out.weight.shape[0] == 42
    assert semseg(_feats(8)).shape == (1, 42, 8, 24, 32)
    seed = StemSegSeedinessHead(num_frames=16, **TINY)
    out = seed(_feats(16))
    assert out.shape == (1, 1, 16, 24, 32) and out.min() >= 0


@pytest.mark.parametrize('mode', ['xyff', 'xyt'])
def test_coordinate_offsets(mode):
    head = StemSegEmbeddingHead(embedding_mode=mode, num_frames=4, **TINY)
    nn.init.zeros_(head.conv_embedding.weight)  # tanh(0) = 0 -> pure grid
    emb = head(_feats(4, h4=24, w4=48))[0, :len(mode)]  # (E, T, H, W)
    x = torch.linspace(-2, 2, 48)  # W / H = 2
    y = torch.linspace(-1, 1, 24)
    t = torch.linspace(-1, 1, 4)  # time_scale buffer = 1.0
    if mode == 'xyff':
        assert torch.allclose(emb[0, 0, :, 0], y)
        assert torch.allclose(emb[1, 0, 0], x)
        assert emb[2:].abs().max() == 0
        assert head(_feats(4)).shape[1] == 4 + 2 + 1
    else:
        assert torch.allclose(emb[0, :, 0, 0], t)
        assert torch.allclose(emb[1, 0, :, 0], y)
        assert torch.allclose(emb[2, 0, 0], x)
        assert head(_feats(4)).shape[1] == 3 + 3 + 1


def test_bad_inputs():
    with pytest.raises(ValueError, match='num_frames'):
        StemSegEmbeddingHead(num_frames=6, **TINY)
    head = StemSegEmbeddingHead(num_frames=8, **TINY)
    with pytest.raises(ValueError, match='T=4'):
        head(_feats(4))
    with pytest.raises(ValueError, match='96x96'):
        head(_feats(8, h4=8, w4=16))
    with pytest.raises(ValueError, match='embedding mode'):
        StemSegEmbeddingHead(embedding_mode='xyzz', **TINY)


def test_checkpoint_embedding_mode_mismatch():
    xyt = StemSegEmbeddingHead(embedding_mode='xyt', num_frames=8, **TINY)
    xyff = StemSegEmbeddingHead(embedding_mode='xyff', num_frames=8, **TINY)
    with pytest.raises(ValueError, match="'xyt'.*'xyff'"):
        xyff.load_state_dict(xyt.state_dict())
