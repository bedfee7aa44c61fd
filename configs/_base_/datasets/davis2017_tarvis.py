# DAVIS-2017 semi-supervised as TarViS tests on it (tarvis.md section 5):
# 480p frames, no resize, first-frame masks (and objects that appear later:
# the model uses each object id's first annotated frame as its exemplar),
# J&F with the official palette PNG writer. test-dev: split='test-dev' and
# DAVISMetric(format_only=True) writes the zip for the server.
data_root = 'data/davis/DAVIS'
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs', meta_keys=('video_name', ))
]
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type='DAVISDataset',
        data_root=data_root,
        task='semi-supervised',
        split='val',
        with_void=False,  # DAVISMetric would paint void as an object
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='DAVISMetric',
    task='semi-supervised',
    outfile_prefix='./work_dirs/tarvis_davis2017_val')
test_evaluator = val_evaluator
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
