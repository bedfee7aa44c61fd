# Copyright (c) mmvidseg contributors. All rights reserved.
import os.path as osp

import pytest
import torch

from mmvidseg.models.backbones.mttr_video_swin import (
    MTTRVideoSwin, WindowAttention3D, compute_shift_mask,
    convert_kinetics_video_swin, get_window_size, relative_position_index_3d)
from mmvidseg.registry import MODELS

KEYS = osp.join(
    osp.dirname(__file__), '..', '..', 'data', 'checkpoint_keys',
    'mttr_refer_youtube_vos.txt')


def _tiny(**kwargs):
    cfg = dict(embed_dim=12, depths=(2, 2, 2), num_heads=(3, 6, 12),
               window_size=(2, 3, 3), dpr_depths=(2, 2, 2, 2))
    cfg.update(kwargs)
    return MTTRVideoSwin(**cfg).eval()


def test_shapes_batch_major_and_time_major():
    torch.manual_seed(0)
    model = _tiny()
    x = torch.randn(2, 3, 3, 36, 20)  # (B, T, C, H, W)
    with torch.no_grad():
        outs = model(x)
        outs_t = model(x.transpose(0, 1).contiguous().transpose(0, 1))
    assert [tuple(o.shape) for o in outs] == [(2, 3, 12, 9, 5),
                                              (2, 3, 24, 5, 3),
                                              (2, 3, 48, 3, 2)]
    assert model.out_channels == [12, 24, 48]
    for a, b in zip(outs, outs_t):
        torch.testing.assert_close(a, b)
    # batch items are independent
    with torch.no_grad():
        single = model(x[1:])
    for a, b in zip(outs, single):
        torch.testing.assert_close(a[1:], b, atol=1e-5, rtol=1e-5)


def test_frames_in_one_window_interact():
    torch.manual_seed(0)
    model = _tiny()
    x = torch.randn(1, 2, 3, 12, 12)
    y = x.clone()
    y[:, 1] += 1.0
    with torch.no_grad():
        a, b = model(x)[0], model(y)[0]
    # frame 0 changes because frame 1 shares its temporal window
    assert (a[:, 0] - b[:, 0]).abs().max() > 1e-4


def test_window_shrinks_and_shift_zeroed():
    assert get_window_size((3, 20, 5), (8, 7, 7), (4, 3, 3)) == ((3, 7, 5),
                                                                (0, 3, 0))
    mask = compute_shift_mask(2, 6, 6, (2, 3, 3), (1, 1, 1), 'cpu')
    assert mask.shape == (4, 18, 18)  # 1 x 2 x 2 windows
    assert set(mask.unique().tolist()) == {0.0, -100.0}
    assert (mask.diagonal(dim1=1, dim2=2) == 0).all()


def test_truncated_window_uses_full_index_prefix():
    torch.manual_seed(0)
    attn = WindowAttention3D(6, (2, 3, 3), 2)
    full = relative_position_index_3d((2, 3, 3))
    assert torch.equal(attn.relative_position_index, full)
    # a window truncated to (1, 3, 2) has 6 tokens; the official code reads
    # full[:6, :6], laid out for rows of 3: token 2 of the small window is
    # (0, 1, 0) (full-window token 3) but is given the bias of (0, 0, 2).
    assert full[0, 2] != full[0, 3]
    x = torch.randn(4, 6, 6)
    out = attn(x)
    table = attn.relative_position_bias_table
    qkv = attn.qkv(x).reshape(4, 6, 3, 2, 3).permute(2, 0, 3, 1, 4)
    logits = (qkv[0] * attn.scale) @ qkv[1].transpose(-2, -1)
    logits = logits + table[full[:6, :6].reshape(-1)].reshape(6, 6, 2).permute(
        2, 0, 1)
    ref = attn.proj((logits.softmax(-1) @ qkv[2]).transpose(1, 2).reshape(
        4, 6, 6))
    torch.testing.assert_close(out, ref)


def test_drop_path_schedule_spans_four_stages():
    model = MTTRVideoSwin(drop_path_rate=0.1)
    last = model.layers[2].blocks[5].drop_path
    assert last.drop_prob == pytest.approx(0.1 * 9 / 11)
    assert not hasattr(model.layers[0].blocks[0].drop_path, 'drop_prob')
    assert len(model.downsamples) == 2


def test_registered_and_matches_checkpoint_keys():
    model = MODELS.build(dict(type='MTTRVideoSwin'))
    ours = {f'backbone.{k}': tuple(v.shape)
            for k, v in model.state_dict().items()}
    ref = {}
    with open(KEYS) as f:
        for line in f:
            if line.startswith('backbone.'):
                name, shape = line.split(' ', 1)
                ref[name] = tuple(int(s) for s in shape.strip('()\n ').split(',')
                                  if s.strip())
    assert ours == ref
    assert sum(p.numel() for p in model.parameters()) == 13_524_982 - sum(
        v.numel() for k, v in model.state_dict().items()
        if 'relative_position_index' in k) + 4_896 + 370_944


def test_convert_kinetics_video_swin(tmp_path):
    torch.manual_seed(0)
    model = _tiny()
    k400 = {}
    for k, v in model.state_dict().items():
        if k.startswith('downsamples.'):
            k = k.replace('downsamples.', 'layers.', 1).replace(
                f'layers.{k.split(".")[1]}.', f'layers.{k.split(".")[1]}.'
                'downsample.', 1)
        k400[f'backbone.{k}'] = torch.randn_like(v.float()).to(v.dtype) \
            if v.is_floating_point() else v
    w = k400['backbone.patch_embed.proj.weight']
    k400['backbone.patch_embed.proj.weight'] = torch.cat([w, 2 * w], dim=2)
    k400['backbone.layers.2.downsample.reduction.weight'] = torch.zeros(1)
    k400['backbone.layers.3.blocks.0.norm1.weight'] = torch.zeros(1)
    k400['backbone.norm.weight'] = torch.zeros(1)
    k400['cls_head.fc_cls.weight'] = torch.zeros(1)
    converted = convert_kinetics_video_swin(k400)
    model.load_state_dict(converted, strict=True)
    torch.testing.assert_close(model.patch_embed.proj.weight, 3 * w)
    torch.testing.assert_close(
        model.downsamples[1].norm.weight,
        k400['backbone.layers.1.downsample.norm.weight'])
    with pytest.raises(KeyError, match='patch_embed'):
        convert_kinetics_video_swin({'backbone.norm.weight': w})
    # the same file through init_weights (relative_position_index optional)
    k400 = {k: v for k, v in k400.items()
            if not k.endswith('relative_position_index')}
    torch.save(dict(state_dict=k400, meta={}), tmp_path / 'k400.pth')
    fresh = _tiny(pretrained=str(tmp_path / 'k400.pth'))
    fresh.init_weights()
    torch.testing.assert_close(fresh.patch_embed.proj.weight, 3 * w)
    del k400['backbone.layers.0.blocks.0.mlp.fc1.weight']
    torch.save(dict(state_dict=k400), tmp_path / 'bad.pth')
    with pytest.raises(KeyError, match='mlp.fc1.weight'):
        _tiny(pretrained=str(tmp_path / 'bad.pth')).init_weights()
