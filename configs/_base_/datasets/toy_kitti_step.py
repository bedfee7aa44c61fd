# The embedded synthetic dataset in the official KITTI-STEP layout, written by
#   python tools/dataset_converters/make_toy_dataset.py --out data/toy
# 6 classes (sky, wall, ground = stuff; square, circle, triangle = things, see
# mmvidseg/datasets/toy/metainfo.py), no void pixel. Small frames: no crop,
# no resize.
_base_ = './kitti_step.py'

data_root = 'data/toy/kitti_step/'
toy_metainfo = dict(
    classes=('sky', 'wall', 'ground', 'square', 'circle', 'triangle'),
    thing_classes=('square', 'circle', 'triangle'))
train_pipeline = [
    dict(type='ReferenceFrameClipSample', num_frames=2, sampling_factor=2.0),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVideoPanopticAnnotations'),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoPanopticInputs')
]
train_dataloader = dict(
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        data_root=data_root, metainfo=toy_metainfo, pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0,
    persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=toy_metainfo))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='STQMetric', outfile_prefix='./work_dirs/toy_kitti_step_results')
test_evaluator = val_evaluator
