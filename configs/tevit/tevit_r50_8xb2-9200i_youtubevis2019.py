# TeViT with a ResNet-50 backbone (STQI heads only, no messenger shift) on
# YouTube-VIS 2019: 8 GPUs x 2 clips x 5 frames, 9200 iterations.
# Re-implements hustvl/TeViT: configs/tevit/tevit_r50.py (the root of all
# TeViT configs). Official training command:
#   tools/dist_train.sh configs/tevit/tevit_r50_8xb2-9200i_youtubevis2019.py 8
_base_ = [
    '../_base_/models/tevit_r50.py', '../_base_/datasets/youtube_vis_2019.py',
    '../_base_/schedules/tevit_adamw-9200i.py', '../_base_/default_runtime.py'
]

num_frames = 5  # frames per training clip

# data: clips of 5 random, unordered annotated frames sharing one scale/flip;
# multiscale_mode='range' of mmdet 2 = RandomResize with two scales
train_pipeline = [
    dict(
        type='VideoClipSample',
        num_frames=num_frames,
        mode='random_unordered'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(
                type='RandomResize',
                scale=[(640, 360), (960, 480)],
                keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackTrackInputs')
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(640, 360), keep_ratio=True),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs')
]
train_dataloader = dict(
    batch_size=2, num_workers=2, dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
# no validation (the official trains with --no-validate, see the schedule)
val_dataloader = None
val_evaluator = None

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=770))

# COCO QueryInst-R50 (100 proposals); its 80-class layers are re-initialised
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/queryinst/queryinst_r50_fpn_mstrain_480-800_3x_coco/queryinst_r50_fpn_mstrain_480-800_3x_coco_20210901_103643-7837af86.pth'  # noqa
