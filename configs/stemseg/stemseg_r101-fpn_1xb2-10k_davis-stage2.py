# STEm-Seg DAVIS stage 2 (sabarim/STEm-Seg: stemseg/config/davis_2.yaml):
# T=16 clips, backbone + FPN frozen (TRAINING.FREEZE_BACKBONE), 10k steps at
# constant lr, initialised from stage 1. Inference: 16-frame clips with 6
# frames overlap, at most 20 tracks; this is the layout of davis.pth.
_base_ = './stemseg_r101-fpn_1xb2-50k_davis-stage1.py'
num_frames = 16

model = dict(
    freeze_backbone=True,
    embedding_head=dict(num_frames=num_frames),
    seediness_head=dict(num_frames=num_frames),
    test_cfg=dict(clip_overlap=6, max_tracks=20))

max_iters = 2 * 10000
param_scheduler = []  # LR_DECAY_TYPE: none
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
# YouTube-VIS / DAVIS FRAME_GAP 16 in stage 2
_train_pipeline = [
    dict(type='VideoClipSample', num_frames=num_frames, mode='consecutive'),
    dict(type='TransformBroadcaster', share_random_params=True,
         transforms=[
             dict(type='LoadImageFromFile'),
             dict(type='LoadTrackAnnotations', with_mask=True),
             dict(type='Resize', scale=(1248, 736), keep_ratio=True),
         ]),
    dict(type='PackTrackInputs')
]
# (lists replace, not merge: both datasets are given in full)
train_dataloader = dict(
    dataset=dict(datasets=[
        dict(
            type='YouTubeVISDataset',
            data_root='data/youtube_vis_2019/',
            dataset_version='2019',
            ann_file='train.json',
            data_prefix=dict(img_path='train/JPEGImages'),
            lazy_init=True,  # ConcatDataset initialises its parts
            pipeline=_train_pipeline),
        dict(
            type='DAVISDataset',
            data_root='data/DAVIS/',
            task='unsupervised',
            split='train',
            lazy_init=True,
            pipeline=_train_pipeline),
    ]))
load_from = None  # the stage-1 checkpoint
