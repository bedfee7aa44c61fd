# KITTI-STEP, official layout (google-research/deeplab2 kitti_step.md), no
# conversion step:
#   data/kitti_step/images/{train,val}/<seq>/<frame %06d>.png
#   data/kitti_step/panoptic_maps/{train,val}/<seq>/<frame %06d>.png
# TarViS settings (Ali2500/TarViS: tarvis/data/panoptic_seg_dataset.py): clips
# of 3 frames (reference frame with a thing + 2 frames within +-round(2 * 3)),
# per-clip colour jitter (hue / saturation +-10, contrast 0.95-1.05,
# brightness +-20), horizontal flip, the mask-containing crop of 0.75 x 0.5
# (h x w) of the frame (one window per clip), then min side 320 / max 1333;
# inference on the native 375x1242 frames; STQ with things person (11) and
# car (13).
dataset_type = 'KITTISTEPDataset'
data_root = 'data/kitti_step/'
backend_args = None

train_pipeline = [
    dict(type='ReferenceFrameClipSample', num_frames=3, sampling_factor=2.0),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(type='LoadVideoPanopticAnnotations'),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='ClipColorJitter', hue=10, saturation=10, brightness=20),
    dict(type='MaskContainingClipCrop', crop_ratio=(0.75, 0.5)),  # (h, w)
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[dict(type='Resize', scale=(1333, 320), keep_ratio=True)]),
    dict(type='PackVideoPanopticInputs')
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile', backend_args=backend_args),
            dict(type='LoadVideoPanopticAnnotations', with_panoptic=True),
        ]),
    dict(type='PackVideoPanopticInputs', meta_keys=('video_name', ))
]
train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='val',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='STQMetric', outfile_prefix='./work_dirs/kitti_step_results')
test_evaluator = val_evaluator
