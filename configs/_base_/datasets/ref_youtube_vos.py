# Refer-YouTube-VOS as MTTR reads it (mttr2021/MTTR:
# datasets/refer_youtube_vos/refer_youtube_vos_dataset.py,
# configs/refer_youtube_vos.yaml): training samples = every expression x
# non-overlapping windows of `window_size` annotated frames (the referred
# object present), short side 360 / long side <= 640, horizontal flip that
# swaps "left" / "right" (p = 0.5); evaluation = whole videos of the CodaLab
# valid split (valid - test = 202 videos), written as the RVOS submission zip
# (no local ground truth).
dataset_type = 'RefYouTubeVOSDataset'
data_root = 'data/refer_youtube_vos/'
window_size = 12
meta_keys = ('text', 'exp_id', 'referred_instance_id', 'is_annotated',
             'video_name', 'obj_id')
train_pipeline = [
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='Resize', scale=(640, 360), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='FlipReferringText'),
    dict(type='PackTrackInputs', meta_keys=meta_keys)
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(640, 360), keep_ratio=True),
        ]),
    dict(type='PackTrackInputs', meta_keys=meta_keys)
]
train_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='meta_expressions/train/meta_expressions.json',
        data_prefix=dict(
            img_path='train/JPEGImages', ann_path='train/Annotations'),
        meta_file='train/meta.json',
        window_size=window_size,
        expected_num_videos=3471,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='meta_expressions/valid/meta_expressions.json',
        data_prefix=dict(img_path='valid/JPEGImages', ann_path=None),
        exclude_ann_file='meta_expressions/test/meta_expressions.json',
        expected_num_videos=202,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='ReferJFMetric',
    protocol='ref_youtube_vos',
    outfile_prefix='./work_dirs/ref_youtube_vos_submission',
    format_only=True)  # no public ground truth: CodaLab RVOS server
test_evaluator = val_evaluator
