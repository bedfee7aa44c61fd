# STEm-Seg, ResNet-101-FPN, YouTube-VIS 2019 (sabarim/STEm-Seg:
# stemseg/config/youtube_vis.yaml). One clip of 8 frames per iteration and
# gradient accumulation over 2 clips = the reference's BATCH_SIZE 2 with
# MAX_SAMPLES_PER_GPU 1; 160k optimiser steps = 320k iterations.
# Training data as the reference (DATA.YOUTUBE_VIS weights): a fixed mix of
# max_iters samples, YouTube-VIS .6 / COCO .3 / VOC .1, the images as
# pseudo-clips (stemseg/training/utils.py, coco_data_loader.py).
_base_ = [
    '../_base_/datasets/youtube_vis_2019.py', '../_base_/default_runtime.py'
]
num_frames = 8
embedding_mode = 'xyff'

model = dict(
    type='STEmSeg',
    data_preprocessor=dict(
        type='TrackDataPreprocessor',
        # caffe-style BGR mean, no std, no /255 (INPUT.IMAGE_MEAN)
        mean=[102.9801, 115.9465, 122.7717],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False,
        pad_size_divisor=32,
        pad_mask=True),
    backbone=dict(
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        style='caffe',  # stride in the 1x1 conv (STRIDE_IN_1X1)
        frozen_stages=1,  # stem + layer1 frozen (FREEZE_AT_STAGE: 2)
        norm_cfg=dict(type='StemSegFrozenBN', eps=0.0),
        norm_eval=True,
        zero_init_residual=False,
        init_cfg=None),
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        num_outs=4,
        upsample_cfg=dict(mode='bilinear', align_corners=False)),
    embedding_head=dict(
        type='StemSegEmbeddingHead',
        embedding_mode=embedding_mode,
        seediness_output=True,
        in_channels=256,
        inter_channels=(256, 256, 128, 128),
        num_frames=num_frames,
        norm_cfg=dict(type='GN', num_groups=32)),
    embedding_loss=dict(
        type='StemSegEmbeddingLoss',
        embedding_mode=embedding_mode,
        free_dim_stds=(0.3, 0.3),
        loss_weight_lovasz=1.0,
        loss_weight_smoothness=10.0,
        loss_weight_seediness=1.0,
        loss_weight=1.0),
    semseg_head=dict(
        type='StemSegSemsegHead',
        num_classes=40,
        foreground_channel=True,
        in_channels=256,
        inter_channels=(256, 256, 256, 256),
        num_frames=num_frames,
        norm_cfg=dict(type='GN', num_groups=32)),
    semseg_loss=dict(
        type='StemSegSemsegLoss', loss_weight=1.0, loss_weight_fg=1.0),
    test_cfg=dict(
        clip_overlap=4,
        primary_prob_thr=0.5,
        secondary_prob_thr=0.3,
        min_seediness_prob=0.8,
        max_instances=20,
        max_tracks=10,
        resize_embeddings=True,  # --resize_embeddings (README, ytvis)
        clustering='fast'),
    # backbone init of the reference: mask_rcnn_R_101_FPN_backbone.pth
    # converted with tools/model_converters/stemseg_to_mmvidseg.py
    init_cfg=None)

# INPUT.MIN_DIM 640 / MAX_DIM 1196; clips of T frames from a window of
# FRAME_GAP 8; no flip on real video (apply_augmentation=False upstream);
# DATA.YOUTUBE_VIS.SINGLE_INSTANCE_DUPLICATION: clips with one object get a
# shifted copy of it, at full resolution (instance_duplicator.py)
train_pipeline = [
    dict(type='VideoClipSample', num_frames=num_frames, mode='consecutive'),
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='SingleInstanceDuplicate'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='InterpolateResize', scale=(1196, 640),
                 keep_ratio=True)]),
    dict(type='PackTrackInputs')
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='InterpolateResize', scale=(1196, 640), keep_ratio=True),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs')
]
# Image datasets -> clips of T frames: load the image once, synthesise T - 1
# warped copies (ImageToSeqAugmenter), then resize as the video clips.
# Pixels warped in from outside the image get the mean colour (upstream
# zeroes them after normalisation).
caffe_mean = [102.9801, 115.9465, 122.7717]


def _image_pipeline(rotation, blur_prob, scale):
    return [
        dict(type='VideoClipSample', num_frames=1, mode='consecutive'),
        dict(
            type='TransformBroadcaster',
            transforms=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadTrackAnnotations', with_mask=True),
            ]),
        # other parameters: the transform's defaults (ImageToSeqAugmenter's)
        dict(
            type='PseudoClipAugment',
            num_frames=num_frames,
            rotation_range=rotation,
            motion_blur_prob=blur_prob,
            pad_val=caffe_mean),
        dict(
            type='TransformBroadcaster',
            share_random_params=True,
            transforms=[
                dict(type='InterpolateResize', scale=scale,
                     keep_ratio=True)]),
        dict(type='PackTrackInputs')
    ]


# sabarim/STEm-Seg: stemseg/data/metainfo/{coco,pascal_voc}.yaml,
# category id -> YouTube-VIS 2019 id (keep_ytvis); labels are id - 1
coco_to_ytvis = {
    1: 1, 2: 21, 3: 6, 4: 21, 5: 28, 7: 17, 8: 29, 9: 34, 17: 14, 18: 8,
    19: 18, 21: 15, 22: 32, 23: 20, 24: 30, 25: 22, 36: 33, 41: 5, 42: 27,
    43: 40
}
voc_to_ytvis = {
    1: 28, 4: 34, 7: 6, 8: 14, 10: 15, 12: 8, 13: 18, 14: 21, 15: 1, 19: 17
}
train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    batch_sampler=None,
    dataset=dict(
        _delete_=True,  # the weighted mix instead of YouTube-VIS only
        type='WeightedConcatDataset',
        # YouTube-VIS first: the mix reports its classes
        weights=[0.6, 0.3, 0.1],
        total_samples=2 * 160000,  # iterations x 1 clip
        ignore_keys=['classes'],
        datasets=[
            dict(
                type='YouTubeVISDataset',
                data_root='data/youtube_vis_2019/',
                dataset_version='2019',
                ann_file='train.json',
                data_prefix=dict(img_path='train/JPEGImages'),
                lazy_init=True,  # the mix initialises its parts
                pipeline=train_pipeline),
            dict(
                type='ImagePseudoClipDataset',
                data_root='data/coco/',
                ann_file='annotations/instances_train2017.json',
                data_prefix=dict(img_path='train2017/'),
                num_frames=1,  # one copy; PseudoClipAugment makes T frames
                category_map={k: v - 1
                              for k, v in coco_to_ytvis.items()},
                lazy_init=True,
                pipeline=_image_pipeline((-12, 12), 0.25, (1196, 640))),
            dict(
                type='ImagePseudoClipDataset',
                data_root='data/VOCdevkit/VOC2012/',
                # STEm-Seg's pascal_voc.json (generic image JSON)
                ann_file='stemseg/pascal_voc.json',
                data_prefix=dict(img_path='JPEGImages/'),
                num_frames=1,
                category_map={k: v - 1
                              for k, v in voc_to_ytvis.items()},
                min_instance_area=50,
                lazy_init=True,
                pipeline=_image_pipeline((-10, 10), 0.25, (1196, 640))),
        ]))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader

# SGD Nesterov, lr 1e-3, wd 1e-4; accumulate 2 clips per step
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='SGD', lr=1e-3, momentum=0.9, weight_decay=1e-4, nesterov=True),
    accumulative_counts=2)
max_iters = 2 * 160000
# ExponentialLR: constant until 60k steps, then x0.01 over 100k steps
param_scheduler = [
    dict(
        type='ExponentialLR',
        gamma=0.01**(1.0 / (2 * 100000)),
        begin=2 * 60000,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=20000))
