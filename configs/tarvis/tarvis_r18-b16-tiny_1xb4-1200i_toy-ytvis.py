# TarViS-tiny: a from-scratch TarViS (ResNet-18 with 16 base channels, 64-d
# temporal neck with 1 encoder layer, 3 decoder layers, 10 instance queries)
# that learns the embedded toy data on a CPU. Same data and clip batch (4 clips
# x 2 frames) as the Mask2Former toy baseline of the main job
# (configs/mask2former_vis/mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py),
# 1200 iterations to fit a ~12-minute CPU budget; lr 1e-3 (official 1e-4 for
# the pretrained models). Results: configs/tarvis/README.md. States only
# what differs from the full model (../_base_/models/tarvis_r50.py).
_base_ = [
    '../_base_/models/tarvis_r50.py', '../_base_/datasets/toy_youtube_vis.py',
    '../_base_/default_runtime.py'
]

dataset_name = 'TOY_YTVIS'
num_classes = 3
feat = 64
num_points = 2304
model = dict(
    type='TarViS',
    dataset_name=dataset_name,
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_mask=True,
        pad_size_divisor=32),  # toy: 32-pixel temporal windows
    backbone=dict(
        type='mmdet.ResNet',
        depth=18,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(
            _delete_=True,  # trainable BN, not the full model's frozen BN
            type='BN',
            requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=dict(
        type='TarViSTemporalNeck',
        in_channels=[16, 32, 64, 128],
        strides=[4, 8, 16, 32],
        feat_channels=feat,
        out_channels=feat,
        norm_cfg=dict(type='GN', num_groups=16),
        encoder=dict(
            num_layers=1,
            layer_cfg=dict(
                self_attn_cfg=dict(
                    embed_dims=feat,
                    num_heads=4,
                    num_levels=3,
                    num_points=4,
                    im2col_step=128,
                    dropout=0.0,
                    batch_first=True),
                ffn_cfg=dict(
                    embed_dims=feat,
                    feedforward_channels=4 * feat,
                    num_fcs=2,
                    ffn_drop=0.0,
                    act_cfg=dict(type='ReLU', inplace=True)))),
        temporal_layer_cfg=dict(
            num_heads=4, feedforward_channels=4 * feat, dropout=0.0),
        positional_encoding=dict(num_feats=feat // 2, normalize=True),
        # toy deviation: windows of 32 x 32 input pixels (1x1 / 2x2 / 4x4
        # cells at 1/32 / 1/16 / 1/8; official 64), so 96 x 96 frames need
        # no padding to 128 x 128 (1.4x the CPU)
        temporal_window_size=32),
    object_encoder=None,  # no VOS / PET in this toy
    embedding_container=dict(
        type='TarViSEmbeddingContainer',
        num_classes=dict(
            _delete_=True,  # one toy block, not the released 5-dataset table
            **{dataset_name: num_classes}),
        num_instance_queries=10,
        num_background_queries=1,
        embed_dims=feat),
    decoder=dict(
        type='TarViSDecoder',
        embed_dims=feat,
        num_heads=4,
        feedforward_channels=4 * feat,
        num_layers=3,
        group_names=('instance', 'background', 'semantic')),
    instance_loss=dict(type='TarViSInstanceLoss', num_points=num_points),
    semantic_loss=dict(
        type='TarViSSemanticLoss', num_points=num_points, loss_weight=2.0),
    test_cfg=dict(
        clip_length=8,  # toy videos have 8 frames: one clip each
        overlap=4,
        linker=dict(
            type='TarViSVISLinker',
            max_tracks_per_clip=10,
            max_tracks_per_video=10)),
    init_cfg=None)

# official optimiser (AdamW, wd 0.05 except norms / queries / embeddings,
# full-model grad-norm clip 0.01) with a toy learning rate
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys={
            'embedding_container': dict(decay_mult=0.0),
            'scale_embed': dict(decay_mult=0.0),
            'level_encoding': dict(decay_mult=0.0),
        },
        norm_decay_mult=0.0),
    clip_grad=dict(max_norm=0.01, norm_type=2))

max_iters = 1200
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[1000],
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
