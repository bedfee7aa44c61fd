# The embedded synthetic dataset in the Refer-YouTube-VOS layout, written by
#   python tools/dataset_converters/make_toy_dataset.py --out data/toy
# data/toy/ref_youtube_vos/{train,valid}/JPEGImages, train/Annotations,
# train/meta.json, meta_expressions/{train,valid}/ and the held-out ground
# truth of the valid videos, valid_gt/{Annotations,meta_expressions.json}
# (local scoring). 96 x 96 frames: no resize. Training windows of 4 frames,
# whole 8-frame videos at evaluation, scored with J&F (ReferJFMetric) and the
# A2D-style mAP / overall IoU / P@K (ReferMetric, per annotated frame).
_base_ = './ref_youtube_vos.py'

data_root = 'data/toy/ref_youtube_vos/'
window_size = 4
train_pipeline = [
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='FlipReferringText'),
    dict(type='PackTrackInputs', meta_keys={{_base_.meta_keys}})
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs', meta_keys={{_base_.meta_keys}})
]
train_dataloader = dict(
    batch_size=4,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        data_root=data_root,
        window_size=window_size,
        expected_num_videos=None,
        pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root,
        ann_file='valid_gt/meta_expressions.json',  # valid + obj_id
        data_prefix=dict(
            img_path='valid/JPEGImages', ann_path='valid_gt/Annotations'),
        exclude_ann_file=None,
        expected_num_videos=None,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = [
    dict(
        type='ReferJFMetric',
        protocol='ref_youtube_vos',
        outfile_prefix='./work_dirs/toy_ref_youtube_vos_submission',
        format_only=False),
    dict(type='ReferMetric', prefix='refer_a2d'),
]
test_evaluator = val_evaluator
