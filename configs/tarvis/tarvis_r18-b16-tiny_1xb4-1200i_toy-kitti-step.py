# TarViS-tiny for video panoptic segmentation on the embedded toy data in the
# KITTI-STEP layout (3 stuff + 3 thing classes): the model of the toy
# YouTube-VIS config (ResNet-18 / 16 base channels, 64-d neck, 3 decoder
# layers, 10 instance queries) with the VPS task: semantic queries trained on
# gt_sem_seg, things from the instance queries, panoptic maps assembled as the
# official KITTI-STEP inference (clips 6 / 3, thresholds 0.5), scored by STQ.
_base_ = ['./tarvis_r18-b16-tiny_1xb4-1200i_toy-ytvis.py']

dataset_name = 'TOY_KITTI_STEP'
model = dict(
    dataset_name=dataset_name,
    task='vps',
    embedding_container=dict(
        num_classes=dict(
            _delete_=True,  # one block: the 6 toy KITTI-STEP classes only
            **{dataset_name: 6})),
    test_cfg=dict(
        clip_length=6,
        overlap=3,
        linker=dict(
            _delete_=True,  # the VPS assembler replaces the VIS linker
            type='TarViSVPSAssembler',
            thing_classes=[3, 4, 5],  # square, circle, triangle
            max_tracks_per_clip=1000,
            track_score_threshold=0.5,
            video_score_threshold=0.5)))

# the toy KITTI-STEP data of configs/_base_/datasets/toy_kitti_step.py
# replaces the toy YouTube-VIS data of the base config (dropped whole: the two
# datasets take different arguments)
data_root = 'data/toy/kitti_step/'
toy_metainfo = dict(
    classes=('sky', 'wall', 'ground', 'square', 'circle', 'triangle'),
    thing_classes=('square', 'circle', 'triangle'))
train_pipeline = [
    dict(type='ReferenceFrameClipSample', num_frames=2, sampling_factor=2.0),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVideoPanopticAnnotations'),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoPanopticInputs')
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVideoPanopticAnnotations', with_panoptic=True),
        ]),
    dict(type='PackVideoPanopticInputs', meta_keys=('video_name', ))
]
train_dataloader = dict(
    _delete_=True,  # KITTI-STEP data, not the toy YouTube-VIS dataset
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='KITTISTEPDataset',
        data_root=data_root,
        split='train',
        metainfo=toy_metainfo,
        pipeline=train_pipeline))
val_dataloader = dict(
    _delete_=True,  # KITTI-STEP data, not the toy YouTube-VIS dataset
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type='KITTISTEPDataset',
        data_root=data_root,
        split='val',
        metainfo=toy_metainfo,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,  # STQ instead of YouTube-VIS AP
    type='STQMetric',
    outfile_prefix='./work_dirs/tarvis_toy_kitti_step_results')
test_evaluator = val_evaluator
