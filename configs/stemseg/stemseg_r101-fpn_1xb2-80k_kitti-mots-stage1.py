# STEm-Seg KITTI-MOTS stage 1 (sabarim/STEm-Seg:
# stemseg/config/kitti_mots_1.yaml): xyt embeddings (no free dims), semantic
# head for car / pedestrian (+ foreground), 80k steps, exp decay x0.1 over
# 20k steps from 60k, MIN_SEEDINESS_PROB 0.95.
# The reference trains stage 1 on Mapillary pseudo-clips (not ported yet)
# and stage 2 on KITTI-MOTS; both stages use KITTI-MOTS here (train
# sequences split at >= 6 empty frames, class 10 = ignore regions).
# Evaluation: KITTI-MOTS val, txt files written and post-processed as the
# reference (results_nms filters), sMOTSA / HOTA.
_base_ = './stemseg_r101-fpn_1xb2-160k_youtube-vis-2019.py'
num_frames = 8
embedding_mode = 'xyt'

model = dict(
    embedding_head=dict(embedding_mode=embedding_mode),
    embedding_loss=dict(embedding_mode=embedding_mode, free_dim_stds=()),
    semseg_head=dict(num_classes=2, inter_channels=(256, 256, 128, 128)),
    test_cfg=dict(
        clip_overlap=4,
        min_seediness_prob=0.95,
        max_tracks=1000,
        resize_embeddings=False,
        output_format='kitti_mots',
        kitti_class_ids=(1, 2)))

max_iters = 2 * 80000
param_scheduler = [
    dict(
        type='ExponentialLR',
        gamma=0.1**(1.0 / (2 * 20000)),
        begin=2 * 60000,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)

kitti_root = 'data/kitti_mots/'
_train_pipeline = [
    dict(type='VideoClipSample', num_frames=num_frames, mode='consecutive'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='Resize', scale=(1248, 736), keep_ratio=True),
        ]),
    dict(type='PackTrackInputs')
]
_test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(1248, 736), keep_ratio=True),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs', meta_keys=('video_name', ))
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,  # KITTI-MOTS instead of YouTube-VIS
        type='KITTIMOTSDataset',
        data_root=kitti_root,
        ann_file='train.seqmap',
        split_gap=6,
        pipeline=_train_pipeline))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,  # KITTI-MOTS val
        type='KITTIMOTSDataset',
        data_root=kitti_root,
        ann_file='val.seqmap',
        test_mode=True,
        pipeline=_test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,  # sMOTSA / HOTA instead of YouTube-VIS AP
    type='KITTIMOTSMetric',
    class_ids=(1, 2),
    outfile_prefix='./work_dirs/stemseg_kitti_mots/results_nms')
test_evaluator = val_evaluator
