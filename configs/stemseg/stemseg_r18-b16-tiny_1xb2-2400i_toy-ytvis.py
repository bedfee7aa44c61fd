# A tiny STEm-Seg that learns the embedded toy data on 2 CPU cores:
# ResNet-18 with 16 base channels from scratch (trainable BN instead of the
# frozen, pretrained one), 32-channel FPN and decoders, 4-frame clips,
# AdamW instead of the reference's SGD (faster from scratch). Same losses,
# clustering and stitching as the full model. 2400 iterations: about 3 min
# on one free CPU core (run with OMP_NUM_THREADS=1 on a shared machine: torch's
# thread pool is 10-30x slower when the cores are contended); results in
# configs/stemseg/README.md ("Toy model").
_base_ = [
    '../_base_/models/stemseg_r101-fpn.py',
    '../_base_/datasets/toy_youtube_vis.py', '../_base_/default_runtime.py'
]
num_frames = 4
num_classes = 3
ch = 32
decoder = dict(
    in_channels=ch,
    inter_channels=(ch, ch, ch, ch),
    num_frames=num_frames,
    norm_cfg=dict(type='GN', num_groups=8))
# only what differs from the full model (../_base_/models/stemseg_r101-fpn.py)
model = dict(
    data_preprocessor=dict(
        type='TrackDataPreprocessor',
        mean=[103.53, 116.28, 123.675],
        std=[57.375, 57.12, 58.395]),
    backbone=dict(
        _delete_=True,  # not the R101's frozen BN (eps 0), zero_init_residual
        type='ResNet',
        depth=18,
        base_channels=16,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='caffe',
        init_cfg=None),
    neck=dict(type='FPN', in_channels=[16, 32, 64, 128], out_channels=ch),
    embedding_head=dict(type='StemSegEmbeddingHead', **decoder),
    semseg_head=dict(
        type='StemSegSemsegHead', num_classes=num_classes, **decoder),
    test_cfg=dict(
        clip_overlap=2,
        min_seediness_prob=0.5,
        max_instances=10,
        resize_embeddings=False))

train_pipeline = [
    dict(type='VideoClipSample', num_frames=num_frames, mode='consecutive'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackTrackInputs')
]
train_dataloader = dict(
    batch_size=2, dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
    clip_grad=dict(max_norm=10.0, norm_type=2))
max_iters = 2400
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
