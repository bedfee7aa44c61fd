# VIPSeg (720p release after change2_720p.py, create_panoptic_video_labels.py
# and splitjson.py), official layout, no further conversion:
#   data/vipseg/VIPSeg_720P/images/<video>/<frame>.jpg
#   data/vipseg/VIPSeg_720P/panomasksRGB/<video>/<frame>.png
#   data/vipseg/VIPSeg_720P/panoptic_gt_VIPSeg_{train,val}.json
# TarViS settings: 3 frames (reference frame with a thing + 2 within
# +-round(5 * 3)), per-clip colour jitter (+-10 / 0.95-1.05 / +-20), flip, the
# mask-containing crop of 0.75 x 0.5 (h x w, one window per clip), min side
# 512 / max 1333; inference min side 576 / max 1333, scored at 720p (VPQ
# windows 1, 2, 4, 6, 8) (Ali2500/TarViS: tarvis/data/vipseg_dataset.py).
dataset_type = 'VIPSegDataset'
data_root = 'data/vipseg/VIPSeg_720P/'

train_pipeline = [
    dict(type='ReferenceFrameClipSample', num_frames=3, sampling_factor=5.0),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVideoPanopticAnnotations'),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='ClipColorJitter', hue=10, saturation=10, brightness=20),
    dict(type='MaskContainingClipCrop', crop_ratio=(0.75, 0.5)),  # (h, w)
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[dict(type='Resize', scale=(1333, 512), keep_ratio=True)]),
    dict(type='PackVideoPanopticInputs')
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            # gt_panoptic_seg (for the metric) stays at the original size
            dict(type='LoadVideoPanopticAnnotations', with_panoptic=True),
            dict(type='Resize', scale=(1333, 576), keep_ratio=True),
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
        ann_file='panoptic_gt_VIPSeg_train.json',
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
        ann_file='panoptic_gt_VIPSeg_val.json',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    type='VPQMetric',
    window_convention='vipseg',
    outfile_prefix='./work_dirs/vipseg_results')
test_evaluator = val_evaluator
