# A tiny Video-TTT Y-model for the embedded toy data on 2 CPU cores:
# ResNet-18 with 16 base channels and 4 input channels (RGB + mask) from
# scratch, GroupNorm (TTT steps in train mode must not move BN statistics
# with masked inputs), 64-d heads, 1 deformable encoder + 3 decoder layers,
# 10 segmentation queries; the reconstruction head keeps 48 queries (3x4x4
# pixel patches). Only what differs from ../_base_/models/video_ttt_swin-s.py.
_base_ = [
    '../_base_/models/video_ttt_swin-s.py', '../_base_/default_runtime.py'
]

num_things_classes = 3  # toy things: square, circle, triangle
num_stuff_classes = 0
feat = 64
tiny_pixel_decoder = dict(
    type='MSDeformAttnPixelDecoder',
    norm_cfg=dict(type='GN', num_groups=16),
    encoder=dict(
        num_layers=1,
        layer_cfg=dict(
            self_attn_cfg=dict(embed_dims=feat, num_heads=4),
            ffn_cfg=dict(embed_dims=feat, feedforward_channels=4 * feat))),
    positional_encoding=dict(num_feats=feat // 2))
tiny_transformer_decoder = dict(
    num_layers=3,
    layer_cfg=dict(
        self_attn_cfg=dict(embed_dims=feat, num_heads=4),
        cross_attn_cfg=dict(embed_dims=feat, num_heads=4),
        ffn_cfg=dict(embed_dims=feat, feedforward_channels=4 * feat)))
model = dict(
    backbone=dict(
        _delete_=True,  # a ResNet replaces the Swin-S (no shared keys)
        type='mmdet.ResNet',
        in_channels=4,  # normalised RGB + mask channel
        depth=18,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='GN', num_groups=8, requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    panoptic_head=dict(
        in_channels=[16, 32, 64, 128],
        feat_channels=feat,
        out_channels=feat,
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes,
        num_queries=10,
        pixel_decoder=tiny_pixel_decoder,
        positional_encoding=dict(num_feats=feat // 2),
        transformer_decoder=tiny_transformer_decoder,
        loss_cls=dict(class_weight=[1.0] * num_things_classes + [0.1])),
    panoptic_fusion_head=dict(
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes),
    recon_head=dict(
        in_channels=[16, 32, 64, 128],
        feat_channels=feat,
        out_channels=feat,
        pixel_decoder=tiny_pixel_decoder,
        positional_encoding=dict(num_feats=feat // 2),
        transformer_decoder=tiny_transformer_decoder),
    train_cfg=dict(num_points=2304),
    test_cfg=dict(max_per_image=10))
