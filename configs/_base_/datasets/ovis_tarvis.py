# OVIS as TarViS trains and tests on it (tarvis.md sections 4-5): per-clip
# colour jitter, flip, the 0.75 x 0.75 mask-containing crop (one window per
# clip), min side 512 in training; 576 at inference.
_base_ = './ovis.py'

train_pipeline = [
    dict(type='ReferenceFrameClipSample', num_frames=3, sampling_factor=7.5),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='ClipColorJitter', hue=12, saturation=12, brightness=25),
    dict(type='MaskContainingClipCrop', crop_ratio=(0.75, 0.75)),  # (h, w)
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[dict(type='Resize', scale=(1024, 512), keep_ratio=True)]),
    dict(type='PackTrackInputs')
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(1333, 576), keep_ratio=True),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs')
]
train_dataloader = dict(batch_size=1, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
