# STEm-Seg KITTI-MOTS stage 2 (sabarim/STEm-Seg:
# stemseg/config/kitti_mots_2.yaml): 20k steps at constant lr, MIN_DIM 736 /
# MAX_DIM 1792 (inference: --max_dim 1948); this is the layout of
# kitti_mots.pth.
_base_ = './stemseg_r101-fpn_1xb2-80k_kitti-mots-stage1.py'
max_iters = 2 * 20000
param_scheduler = []  # LR_DECAY_TYPE: none
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
load_from = None  # the stage-1 checkpoint
# KITTI-MOTS only (DATA.KITTI_MOTS defaults: KITTI_MOTS_WEIGHT 1.0,
# MAPILLARY_WEIGHT 0.0): train sequences split at >= 6 empty frames, class
# 10 = ignore regions
train_dataloader = dict(
    dataset=dict(
        _delete_=True,  # KITTI-MOTS instead of stage 1's Mapillary mix
        type='KITTIMOTSDataset',
        data_root='data/kitti_mots/',
        ann_file='train.seqmap',
        split_gap=6,
        pipeline=[
            dict(type='VideoClipSample', num_frames=8, mode='consecutive'),
            dict(
                type='TransformBroadcaster',
                share_random_params=True,
                transforms=[
                    dict(type='LoadImageFromFile'),
                    dict(type='LoadTrackAnnotations', with_mask=True),
                    dict(type='InterpolateResize', scale=(1792, 736),
                         keep_ratio=True),
                ]),
            dict(type='PackTrackInputs')
        ]))
