# BURST point-exemplar tracking as TarViS tests on it (tarvis.md section 5):
# per sequence the 1-fps annotated frames plus 10 interleaved frames per
# second (BurstDatasetParser.sample_images), min side 512 (max 1333), the
# point of each track's first annotated frame as its exemplar
# (first_frame_annotations.json), scored against the full validation ground
# truth (all_classes.json) with exemplar-guided BURST HOTA; results.json in
# the official format under outfile_prefix.
data_root = 'data/burst/'
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(1333, 512), keep_ratio=True),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs', meta_keys=('video_name', 'is_annotated')),
    dict(type='PackExemplarPoints')
]
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type='BURSTDataset',
        data_root=data_root,
        ann_file='annotations/val/all_classes.json',
        exemplar_file='annotations/val/first_frame_annotations.json',
        data_prefix=dict(img_path='frames/val'),
        num_interleaved=10,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='BURSTHOTAMetric',
    exemplar_guided=True,
    # TarViS's result writer keeps the annotation's track_category_ids (the
    # model labels every object 0)
    track_categories='ground_truth',
    split='val',
    outfile_prefix='./work_dirs/tarvis_burst_val')
test_evaluator = val_evaluator
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
