# YouTube-VIS 2021 as TarViS trains and tests on it (tarvis.md section 4).
_base_ = './youtube_vis_2021.py'

# official training data pipeline (tarvis.md section 4; Ali2500/TarViS:
# tarvis/data/instance_seg_video_dataset.py): 3-frame clips around a reference
# frame within +-round(7.5 * 3) frames, per-clip colour jitter (hue /
# saturation +-12, contrast 0.95-1.05, brightness +-25), flip, the
# mask-containing crop of 0.75 x 0.75 of the frame (one window per clip),
# then min side {448, 512} (max 1024).
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
        transforms=[
            dict(
                type='RandomChoiceResize',
                scales=[(1024, 448), (1024, 512)],
                keep_ratio=True)
        ]),
    dict(type='PackTrackInputs')
]
# inference: whole video, min side 448 (max 1333)
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(1333, 448), keep_ratio=True),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs')
]
train_dataloader = dict(
    batch_size=1, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
