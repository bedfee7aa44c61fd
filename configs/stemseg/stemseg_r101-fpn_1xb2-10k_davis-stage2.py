# STEm-Seg DAVIS stage 2 (sabarim/STEm-Seg: stemseg/config/davis_2.yaml):
# T=16 clips, backbone + FPN frozen (TRAINING.FREEZE_BACKBONE), 10k steps at
# constant lr, initialised from stage 1. Inference: 16-frame clips with 6
# frames overlap, at most 20 tracks; this is the layout of davis.pth.
_base_ = './stemseg_r101-fpn_1xb2-50k_davis-stage1.py'
num_frames = 16

model = dict(
    freeze_backbone=True,
    embedding_head=dict(num_frames=num_frames),
    seediness_head=dict(num_frames=num_frames),
    test_cfg=dict(clip_overlap=6, max_tracks=20))

max_iters = 2 * 10000
param_scheduler = []  # LR_DECAY_TYPE: none
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
# YouTube-VIS / DAVIS FRAME_GAP 16 in stage 2; single-instance duplication
# on both, DAVIS with the background as ignore region (see stage 1)
_train_pipeline = [
    dict(type='VideoClipSample', num_frames=num_frames, mode='consecutive'),
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='SingleInstanceDuplicate', background_as_ignore=False),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='InterpolateResize', scale=(1248, 736),
                 keep_ratio=True)]),
    dict(type='PackTrackInputs')
]
_davis_train_pipeline = [
    dict(t, background_as_ignore=True)
    if t['type'] == 'SingleInstanceDuplicate' else t for t in _train_pipeline
]
caffe_mean = [102.9801, 115.9465, 122.7717]
# as stage 1 (metainfo/{coco,pascal_voc}.yaml, keep_davis)
coco_davis_ids = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27,
    34, 35, 36, 37, 38, 39, 41, 42, 43
]
voc_davis_ids = [1, 2, 3, 4, 6, 7, 8, 10, 12, 13, 14, 15, 17, 19]
# COCO / VOC pseudo-clips of T=16 frames (see the stage-1 config)
_image_pipeline = [
    dict(type='VideoClipSample', num_frames=1, mode='consecutive'),
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PseudoClipAugment', num_frames=num_frames, pad_val=caffe_mean),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='InterpolateResize', scale=(1248, 736),
                 keep_ratio=True)]),
    dict(type='PackTrackInputs')
]
# the stage-1 mix with T=16 (lists replace, not merge: all parts in full)
train_dataloader = dict(
    dataset=dict(
        total_samples=max_iters,
        datasets=[
            dict(
                type='ImagePseudoClipDataset',
                data_root='data/coco/',
                ann_file='annotations/instances_train2017.json',
                data_prefix=dict(img_path='train2017/'),
                num_frames=1,
                category_map={k: 0
                              for k in coco_davis_ids},
                class_agnostic=True,
                lazy_init=True,
                pipeline=_image_pipeline),
            dict(
                type='YouTubeVISDataset',
                data_root='data/youtube_vis_2019/',
                dataset_version='2019',
                ann_file='train.json',
                data_prefix=dict(img_path='train/JPEGImages'),
                lazy_init=True,  # the mix initialises its parts
                pipeline=_train_pipeline),
            dict(
                type='DAVISDataset',
                data_root='data/DAVIS/',
                task='unsupervised',
                split='train',
                lazy_init=True,
                pipeline=_davis_train_pipeline),
            dict(
                type='ImagePseudoClipDataset',
                data_root='data/VOCdevkit/VOC2012/',
                ann_file='stemseg/pascal_voc.json',
                data_prefix=dict(img_path='JPEGImages/'),
                num_frames=1,
                category_map={k: 0
                              for k in voc_davis_ids},
                class_agnostic=True,
                min_instance_area=50,
                lazy_init=True,
                pipeline=[
                    dict(t, rotation_range=(-10, 10))
                    if t['type'] == 'PseudoClipAugment' else t
                    for t in _image_pipeline
                ]),
        ]))
load_from = None  # the stage-1 checkpoint
