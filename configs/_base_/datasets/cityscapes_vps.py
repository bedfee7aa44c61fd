# Cityscapes-VPS, official layout (mcahny/vps docs/DATASET.md), no conversion:
#   data/cityscapes_vps/panoptic_im_train_city_vps.json, train/img/,
#   train/panoptic_video/ (panoptic RGB PNGs of the labelled frames),
#   panoptic_gt_val_city_vps.json, val/img_all/, val/panoptic_video/
# TarViS settings: 3 consecutive frames, flip, clip-consistent crop 0.5 x 0.5,
# min side 448 / max 1333; inference on the 6 annotated frames per video at the
# native size; VPQ over k = 0, 5, 10, 15.
# Deviations: mmdet's RandomCrop (not TarViS's mask-containing crop), no
# colour jitter.
dataset_type = 'CityscapesVPSDataset'
data_root = 'data/cityscapes_vps/'

train_pipeline = [
    dict(type='ReferenceFrameClipSample', num_frames=3, consecutive=True),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVideoPanopticAnnotations'),
            dict(type='RandomFlip', prob=0.5),
            dict(
                type='RandomCrop',
                crop_type='relative',
                crop_size=(0.5, 0.5),
                allow_negative_crop=True),
            dict(type='Resize', scale=(1333, 448), keep_ratio=True),
        ]),
    dict(type='PackVideoPanopticInputs')
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
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
        ann_file='panoptic_im_train_city_vps.json',
        img_dir='train/img',
        seg_dir='train/panoptic_video',
        sparse_frames=False,
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
        ann_file='panoptic_gt_val_city_vps.json',
        img_dir='val/img_all',
        seg_dir='val/panoptic_video',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='VPQMetric', window_convention='cityscapes_vps')
test_evaluator = val_evaluator
