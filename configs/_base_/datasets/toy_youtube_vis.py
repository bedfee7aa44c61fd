# The embedded synthetic dataset in the official YouTube-VIS layout, written by
#   python tools/dataset_converters/make_toy_dataset.py --out data/toy
# data/toy/youtube_vis/{train,valid}/JPEGImages, train.json, valid.json and the
# held-out ground truth of the valid videos, valid_gt.json (local scoring).
_base_ = './youtube_vis_2019.py'

data_root = 'data/toy/youtube_vis/'
train_pipeline = [
    dict(type='VideoClipSample', num_frames=2, mode='random_ordered'),
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
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    batch_sampler=None,
    dataset=dict(
        data_root=data_root,
        dataset_version=None,  # classes from the file's categories
        ann_file='train.json',
        data_prefix=dict(img_path='train/JPEGImages'),
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        dataset_version=None,
        ann_file='valid.json',
        data_prefix=dict(img_path='valid/JPEGImages'),
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='YouTubeVISMetric',
    metric='youtube_vis_ap',
    ann_file=data_root + 'valid_gt.json',
    outfile_prefix='./work_dirs/toy_youtube_vis_results',
    format_only=False,
    dataset_version='2019')  # only '2022' changes the scoring (short/long)
test_evaluator = val_evaluator
