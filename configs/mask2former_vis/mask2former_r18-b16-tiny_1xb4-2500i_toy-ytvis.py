# The main job's first model: mmdet 3.3's own Mask2FormerVideo, shrunk to
# learn the embedded toy data on 2 CPU cores in about 5 minutes
# (ResNet-18 with 16 base channels from scratch, 64-d features, 10 queries,
# 1 deformable encoder + 3 decoder layers; ../../../shared STACK_NOTES).
_base_ = [
    '../_base_/models/mask2former_vis_r50.py',
    '../_base_/datasets/toy_youtube_vis.py', '../_base_/default_runtime.py'
]

num_classes = 3
feat = 64
# only what differs from the full model
# (../_base_/models/mask2former_vis_r50.py)
model = dict(
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=16,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    track_head=dict(
        type='Mask2FormerTrackHead',
        in_channels=[16, 32, 64, 128],
        feat_channels=feat,
        out_channels=feat,
        num_classes=num_classes,
        num_queries=10,
        pixel_decoder=dict(
            type='MSDeformAttnPixelDecoder',
            norm_cfg=dict(type='GN', num_groups=16),
            encoder=dict(
                num_layers=1,
                layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=feat, num_heads=4),
                    ffn_cfg=dict(
                        embed_dims=feat, feedforward_channels=4 * feat))),
            positional_encoding=dict(num_feats=feat // 2)),
        positional_encoding=dict(
            type='SinePositionalEncoding3D', num_feats=feat // 2),
        transformer_decoder=dict(
            num_layers=3,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=feat, num_heads=4),
                cross_attn_cfg=dict(embed_dims=feat, num_heads=4),
                ffn_cfg=dict(embed_dims=feat,
                             feedforward_channels=4 * feat))),
        loss_cls=dict(
            type='CrossEntropyLoss',
            class_weight=[1.0] * num_classes + [0.1]),
        train_cfg=dict(num_points=2304)),
    init_cfg=None)

embed_multi = dict(lr_mult=1.0, decay_mult=0.0)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='AdamW', lr=5e-4, weight_decay=0.05, eps=1e-8,
        betas=(0.9, 0.999)),
    paramwise_cfg=dict(
        custom_keys={
            'query_embed': embed_multi,
            'query_feat': embed_multi,
            'level_embed': embed_multi,
        },
        norm_decay_mult=0.0),
    clip_grad=dict(max_norm=1.0, norm_type=2))

max_iters = 2500
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[2000],
        gamma=0.1)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=100),
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, save_last=True,
        interval=max_iters))
randomness = dict(seed=0)
