# Cityscapes-VPS, official layout (mcahny/vps docs/DATASET.md), no conversion:
#   data/cityscapes_vps/panoptic_gt_train_city_vps.json, train/img/,
#   train/panoptic_video/, panoptic_gt_val_city_vps.json, val/img_all/,
#   val/panoptic_video/
# train/panoptic_video/ + panoptic_gt_train_city_vps.json are written together
# by mcahny/vps prepare_city_vps/create_panoptic_labels.py and
# create_panoptic_video_labels.py --mode train (as the val ones with --mode
# val): the PNG colours come from panopticapi's IdGenerator (random colours),
# so only the JSON of the same run maps them to segments. The shipped
# panoptic_im_train_city_vps.json is the image-level panoptic file of
# VPSNet's image training and does not describe these PNGs.
# TarViS settings (tarvis/data/panoptic_seg_dataset.py): 3 consecutive frames,
# per-clip colour jitter (panoptic: +-10 / 0.95-1.05 / +-20), flip, the
# mask-containing crop of 0.5 x 0.5 (one window per clip), min side 448 / max
# 1333; inference on the 6 annotated frames per video at the native size; VPQ
# over k = 0, 5, 10, 15.
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
        ]),
    dict(type='ClipColorJitter', hue=10, saturation=10, brightness=20),
    dict(type='MaskContainingClipCrop', crop_ratio=(0.5, 0.5)),  # (h, w)
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[dict(type='Resize', scale=(1333, 448), keep_ratio=True)]),
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
        ann_file='panoptic_gt_train_city_vps.json',
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
