# Ref-DAVIS-17 (evaluation only) in the layout ReferFormer prepares
# (ref-davis/{train,valid}/{JPEGImages,Annotations},
# meta_expressions/{train,valid}/meta_expressions.json): one sample per
# expression over the whole video, short side 360 / long side <= 640 as
# MTTR's Ref-YouTube-VOS evaluation, scored with ReferFormer's protocol (per
# annotator unsupervised DAVIS-2017 J&F, averaged over the 4 annotators).
dataset_type = 'RefDAVISDataset'
data_root = 'data/ref-davis/'
meta_keys = ('text', 'exp_id', 'referred_instance_id', 'is_annotated',
             'video_name', 'obj_id')
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='Resize', scale=(640, 360), keep_ratio=True),
        ]),
    dict(type='PackTrackInputs', meta_keys=meta_keys)
]
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='meta_expressions/valid/meta_expressions.json',
        data_prefix=dict(
            img_path='valid/JPEGImages', ann_path='valid/Annotations'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='ReferJFMetric',
    protocol='ref_davis',
    outfile_prefix='./work_dirs/ref_davis_results')
test_evaluator = val_evaluator
