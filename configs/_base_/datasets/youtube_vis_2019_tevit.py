# YouTube-VIS 2019 as TeViT trains and tests on it (hustvl/TeViT:
# configs/tevit/tevit_r50.py, shared by every official TeViT config).
_base_ = './youtube_vis_2019.py'

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
