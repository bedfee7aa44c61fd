# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest
import torch
from mmdet.models.roi_heads.bbox_heads import DIIHead

from mmvidseg.models.heads import STQIHead

CFG = dict(
    num_classes=3,
    num_heads=2,
    num_reg_fcs=1,
    feedforward_channels=32,
    in_channels=16,
    loss_cls=dict(
        type='FocalLoss', use_sigmoid=True, gamma=2.0, alpha=0.25,
        loss_weight=2.0),
    dynamic_conv_cfg=dict(
        type='DynamicConv',
        in_channels=16,
        feat_channels=4,
        out_channels=16,
        input_feat_shape=7,
        act_cfg=dict(type='ReLU', inplace=True),
        norm_cfg=dict(type='LN')))


def build_head() -> STQIHead:
    torch.manual_seed(0)
    head = STQIHead(**CFG)
    head.init_weights()
    return head.eval()


def reference_attn_feats(head: STQIHead, feat: torch.Tensor,
                         num_frames: int) -> torch.Tensor:
    """Query attention with explicit loops: per frame, then per query."""

    def attend(tokens):  # (L, C) -> (L, C), one sequence
        return head.attention_norm(head.attention(tokens[:, None]))[:, 0]

    spatial = torch.stack([attend(f) for f in feat])  # (N, P, C)
    out = torch.empty_like(spatial)
    num_imgs, num_props = spatial.shape[:2]
    for start in range(0, num_imgs, num_frames):
        for p in range(num_props):
            out[start:start + num_frames, p] = attend(
                spatial[start:start + num_frames, p])
    return out


def test_same_keys_as_dii_head():
    stqi = STQIHead(**CFG).state_dict()
    dii = DIIHead(**CFG).state_dict()
    assert list(stqi) == list(dii)
    assert all(stqi[k].shape == dii[k].shape for k in dii)


@pytest.mark.parametrize('num_clips,num_frames', [(2, 3), (1, 1)])
def test_spatial_then_temporal_attention(num_clips, num_frames):
    head = build_head()
    num_imgs, num_props = num_clips * num_frames, 4
    feat = torch.randn(num_imgs, num_props, 16)
    roi_feat = torch.randn(num_imgs * num_props, 16, 7, 7)
    with torch.no_grad():
        cls, delta, obj, attn = head(roi_feat, feat, num_frames=num_frames)
        expected = reference_attn_feats(head, feat, num_frames)
    assert cls.shape == (num_imgs, num_props, 3)
    assert delta.shape == (num_imgs, num_props, 4)
    assert obj.shape == attn.shape == (num_imgs, num_props, 16)
    torch.testing.assert_close(attn, expected, rtol=1e-5, atol=1e-5)


def test_frames_interact_only_within_a_clip():
    head = build_head()
    feat = torch.randn(4, 3, 16)  # 2 clips x 2 frames
    roi_feat = torch.randn(12, 16, 7, 7)
    changed = feat.clone()
    changed[0] = torch.randn(3, 16)  # frame 0 of clip 0
    with torch.no_grad():
        a = head(roi_feat, feat, num_frames=2)[3]
        b = head(roi_feat, changed, num_frames=2)[3]
    assert not torch.allclose(a[1], b[1])  # same clip: affected
    torch.testing.assert_close(a[2:], b[2:])  # other clip: not
    with pytest.raises(ValueError, match='num_frames=3'):
        head(roi_feat, feat, num_frames=3)
