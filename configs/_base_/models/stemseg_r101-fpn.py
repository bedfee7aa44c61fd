# STEm-Seg (Athar et al., ECCV 2020): ResNet-101 (caffe style, frozen BN)
# with FPN, a spatio-temporal embedding head with seediness output (xyff
# embeddings: x, y + 2 free dims) and a semantic head over T=8 clips,
# YouTube-VIS 2019 classes. Re-implements the model of sabarim/STEm-Seg:
# stemseg/config/youtube_vis.yaml. Systems: configs/stemseg/.
num_frames = 8
embedding_mode = 'xyff'

model = dict(
    type='STEmSeg',
    data_preprocessor=dict(
        type='TrackDataPreprocessor',
        # caffe-style BGR mean, no std, no /255 (INPUT.IMAGE_MEAN)
        mean=[102.9801, 115.9465, 122.7717],
        std=[1.0, 1.0, 1.0],
        bgr_to_rgb=False,
        pad_size_divisor=32,
        pad_mask=True),
    backbone=dict(
        type='ResNet',
        depth=101,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        style='caffe',  # stride in the 1x1 conv (STRIDE_IN_1X1)
        frozen_stages=1,  # stem + layer1 frozen (FREEZE_AT_STAGE: 2)
        norm_cfg=dict(type='StemSegFrozenBN', eps=0.0),
        norm_eval=True,
        zero_init_residual=False,
        init_cfg=None),
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        num_outs=4,
        upsample_cfg=dict(mode='bilinear', align_corners=False)),
    embedding_head=dict(
        type='StemSegEmbeddingHead',
        embedding_mode=embedding_mode,
        seediness_output=True,
        in_channels=256,
        inter_channels=(256, 256, 128, 128),
        num_frames=num_frames,
        norm_cfg=dict(type='GN', num_groups=32)),
    embedding_loss=dict(
        type='StemSegEmbeddingLoss',
        embedding_mode=embedding_mode,
        free_dim_stds=(0.3, 0.3),
        loss_weight_lovasz=1.0,
        loss_weight_smoothness=10.0,
        loss_weight_seediness=1.0,
        loss_weight=1.0),
    semseg_head=dict(
        type='StemSegSemsegHead',
        num_classes=40,  # YouTube-VIS 2019
        foreground_channel=True,
        in_channels=256,
        inter_channels=(256, 256, 256, 256),
        num_frames=num_frames,
        norm_cfg=dict(type='GN', num_groups=32)),
    semseg_loss=dict(
        type='StemSegSemsegLoss', loss_weight=1.0, loss_weight_fg=1.0),
    test_cfg=dict(
        clip_overlap=4,
        primary_prob_thr=0.5,
        secondary_prob_thr=0.3,
        min_seediness_prob=0.8,
        max_instances=20,
        max_tracks=10,
        resize_embeddings=True,  # --resize_embeddings (README, ytvis)
        clustering='fast'),
    # backbone init of the reference: mask_rcnn_R_101_FPN_backbone.pth
    # converted with tools/model_converters/stemseg_to_mmvidseg.py
    init_cfg=None)
