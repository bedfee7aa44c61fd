# STEm-Seg, ResNet-101-FPN, YouTube-VIS 2019 (sabarim/STEm-Seg:
# stemseg/config/youtube_vis.yaml). One clip of 8 frames per iteration and
# gradient accumulation over 2 clips = the reference's BATCH_SIZE 2 with
# MAX_SAMPLES_PER_GPU 1; 160k optimiser steps = 320k iterations.
# Training data as the reference (DATA.YOUTUBE_VIS weights): a fixed mix of
# max_iters samples, YouTube-VIS .6 / COCO .3 / VOC .1, the images as
# pseudo-clips (stemseg/training/utils.py, coco_data_loader.py).
_base_ = [
    '../_base_/models/stemseg_r101-fpn.py',
    '../_base_/datasets/youtube_vis_2019.py',
    '../_base_/schedules/stemseg_sgd-160k.py', '../_base_/default_runtime.py'
]
num_frames = 8  # clip length, as the model's (its heads are built for it)

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

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=20000))
