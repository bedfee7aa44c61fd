# TarViS with a detectron2-style ResNet-50 (Ali2500/TarViS:
# tarvis/modelling/tarvis_model_base.py; tarvis.md sections 2-3, 5): temporal
# neck, query tables of the released fine-tuned checkpoints, 9-layer
# hard-masked decoder, losses, clip-wise inference with VIS linking.
# semantic-query blocks of the released checkpoints (alphabetical layout)
finetune_classes = dict(
    CITYSCAPES_VPS=19, KITTI_STEP=19, OVIS=25, VIPSEG=124, YOUTUBE_VIS=40)
dataset_name = 'YOUTUBE_VIS'
model = dict(
    type='TarViS',
    dataset_name=dataset_name,
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_mask=True,
        pad_size_divisor=64),  # filled with 128 (0..255) by TarViS
    # detectron2 R-50: FrozenBN (eps 1e-5), stride in the 3x3, all trainable
    backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        norm_cfg=dict(type='StemSegFrozenBN', eps=1e-5),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=dict(type='TarViSTemporalNeck', in_channels=[256, 512, 1024, 2048]),
    embedding_container=dict(
        type='TarViSEmbeddingContainer',
        num_classes=finetune_classes,
        num_instance_queries=128,
        num_background_queries=1),
    decoder=dict(type='TarViSDecoder', num_layers=9),
    object_encoder=dict(type='TarViSObjectEncoder'),
    instance_loss=dict(
        type='TarViSInstanceLoss',
        num_points=12544,
        oversample_ratio=3.0,
        importance_sample_ratio=0.75,
        bg_weight=0.1),
    # INSTANCE_SEMANTIC_WEIGHT_CROSS_ENTROPY: R-50 / Swin-T 2.0
    semantic_loss=dict(
        type='TarViSSemanticLoss', num_points=12544, loss_weight=2.0),
    test_cfg=dict(
        clip_length=12,
        overlap=6,
        linker=dict(
            type='TarViSVISLinker',
            max_tracks_per_clip=10,
            track_score_threshold=0.0,
            max_tracks_per_video=10)))
