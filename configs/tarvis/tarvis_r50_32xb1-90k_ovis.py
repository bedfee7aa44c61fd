# TarViS ResNet-50 on OVIS: the same jointly fine-tuned checkpoint as
# ./tarvis_r50_32xb1-90k_youtubevis2021.py, OVIS semantic queries, min side
# 512 in training and 576 at inference, top 20 tracks per video.
_base_ = './tarvis_r50_32xb1-90k_youtubevis2021.py'

data_root = 'data/ovis/'
model = dict(
    dataset_name='OVIS',
    test_cfg=dict(linker=dict(max_tracks_per_video=20)))
train_pipeline = [
    dict(type='ReferenceFrameClipSample', num_frames=3, sampling_factor=7.5),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='Resize', scale=(1024, 512), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
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
train_dataloader = dict(
    dataset=dict(
        type='OVISDataset',
        data_root=data_root,
        dataset_version='ovis',
        ann_file='annotations_train.json',
        data_prefix=dict(img_path='train'),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type='OVISDataset',
        data_root=data_root,
        dataset_version='ovis',
        ann_file='annotations_valid.json',
        data_prefix=dict(img_path='valid'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    outfile_prefix='./work_dirs/ovis_results', dataset_version='ovis')
test_evaluator = val_evaluator
