# Video-TTT (Wang et al., "Test-Time Training on Video Streams", arXiv
# 2307.05014): the Y-shaped Mask2Former of renwang435/video-ttt-release
# (mask2former/maskformer_ttt_model.py::MaskFormerTTT, configs/coco_videos/
# instance-segmentation/swin/maskformer2_swin_small_bs16_50ep_ttt_mae.yaml).
# A 4-channel Swin-S (normalised RGB + mask channel) shared by a Mask2Former
# segmentation head (COCO-Videos instance: 80 classes) and a separate
# reconstruction head (48 queries read as 4x4x3 pixel patches, no classes).
# Masked reconstruction: 16x16-pixel patches, 85 % masked ("const").
num_things_classes = 80
num_stuff_classes = 0
num_classes = num_things_classes + num_stuff_classes
feat = 256

swin_s = dict(
    type='mmdet.SwinTransformer',
    in_channels=4,  # normalised RGB + mask channel
    pretrain_img_size=224,
    embed_dims=96,
    depths=[2, 2, 18, 2],
    num_heads=[3, 6, 12, 24],
    window_size=7,
    mlp_ratio=4,
    qkv_bias=True,
    qk_scale=None,
    drop_rate=0.,
    attn_drop_rate=0.,
    drop_path_rate=0.3,
    patch_norm=True,
    out_indices=(0, 1, 2, 3),
    with_cp=False,
    convert_weights=False,
    init_cfg=None)
# the deformable-attention pixel decoder of both heads (mmvidseg's
# MSDeformAttnPixelDecoder: mmdet's module on mmvidseg.ops kernels)
pixel_decoder = dict(
    type='MSDeformAttnPixelDecoder',
    num_outs=3,
    norm_cfg=dict(type='GN', num_groups=32),
    act_cfg=dict(type='ReLU'),
    # keyword arguments of fixed classes (no registry, no type=)
    encoder=dict(  # Mask2FormerTransformerEncoder
        num_layers=6,
        layer_cfg=dict(  # DeformableDetrTransformerEncoderLayer
            self_attn_cfg=dict(  # MultiScaleDeformableAttention
                embed_dims=feat,
                num_heads=8,
                num_levels=3,
                num_points=4,
                im2col_step=64,
                dropout=0.0,
                batch_first=True),
            ffn_cfg=dict(  # FFN
                embed_dims=feat,
                feedforward_channels=1024,
                num_fcs=2,
                ffn_drop=0.0,
                act_cfg=dict(type='ReLU', inplace=True)))),
    positional_encoding=dict(  # SinePositionalEncoding
        num_feats=feat // 2, normalize=True))
transformer_decoder = dict(  # Mask2FormerTransformerDecoder
    return_intermediate=True,
    num_layers=9,  # DEC_LAYERS 10 = 9 layers + the query-init prediction
    layer_cfg=dict(  # Mask2FormerTransformerDecoderLayer
        self_attn_cfg=dict(  # MultiheadAttention
            embed_dims=feat, num_heads=8, dropout=0.0, batch_first=True),
        cross_attn_cfg=dict(  # MultiheadAttention
            embed_dims=feat, num_heads=8, dropout=0.0, batch_first=True),
        ffn_cfg=dict(  # FFN
            embed_dims=feat,
            feedforward_channels=2048,
            num_fcs=2,
            ffn_drop=0.0,
            act_cfg=dict(type='ReLU', inplace=True))),
    init_cfg=None)

model = dict(
    type='Mask2FormerTTT',
    data_preprocessor=dict(
        type='mmdet.DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_size_divisor=32,  # MASK_FORMER.SIZE_DIVISIBILITY; pad value 0
        pad_mask=True,
        mask_pad_value=0,
        pad_seg=True,
        seg_pad_value=255),
    backbone=swin_s,
    panoptic_head=dict(
        type='mmdet.Mask2FormerHead',
        in_channels=[96, 192, 384, 768],  # to the pixel decoder
        feat_channels=feat,
        out_channels=feat,
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes,
        num_queries=100,
        num_transformer_feat_level=3,
        pixel_decoder=pixel_decoder,
        enforce_decoder_input_project=False,
        positional_encoding=dict(num_feats=feat // 2, normalize=True),
        transformer_decoder=transformer_decoder,
        loss_cls=dict(
            type='mmdet.CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=2.0,
            reduction='mean',
            class_weight=[1.0] * num_classes + [0.1]),  # no-object 0.1
        loss_mask=dict(
            type='mmdet.CrossEntropyLoss',
            use_sigmoid=True,
            reduction='mean',
            loss_weight=5.0),
        loss_dice=dict(
            type='mmdet.DiceLoss',
            use_sigmoid=True,
            activate=True,
            reduction='mean',
            naive_dice=True,
            eps=1.0,
            loss_weight=5.0)),
    panoptic_fusion_head=dict(
        type='Mask2FormerTTTFusionHead',
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes,
        loss_panoptic=None,
        init_cfg=None),
    recon_head=dict(
        type='Mask2FormerReconHead',
        in_channels=[96, 192, 384, 768],
        feat_channels=feat,
        out_channels=feat,
        num_queries=48,  # 3 * 4 * 4: one query per (channel, row, column)
        num_transformer_feat_level=3,
        pixel_decoder=pixel_decoder,
        enforce_decoder_input_project=False,
        positional_encoding=dict(num_feats=feat // 2, normalize=True),
        transformer_decoder=transformer_decoder),
    ttt_cfg=dict(
        mask_ratio=0.85,  # PRETRAIN.MASK_RATIO, MASK_TYPE "const"
        mask_patch_size=16,
        recon_patch_size=4,  # MODEL.SWIN.PATCH_SIZE: mask-feature stride
        recon_loss_weight=1.0,  # TTT.RECON_LOSS_WEIGHT
        recon_masked_only=False,  # official: MSE over all pixels
        joint_recon_loss=True),  # loss(): seg + recon (offline joint)
    train_cfg=dict(  # keyword arguments of the head's training step
        num_points=12544,
        oversample_ratio=3.0,
        importance_sample_ratio=0.75,
        assigner=dict(
            type='mmdet.HungarianAssigner',
            match_costs=[
                dict(type='mmdet.ClassificationCost', weight=2.0),
                dict(
                    type='mmdet.CrossEntropyLossCost',
                    weight=5.0,
                    use_sigmoid=True),
                dict(type='mmdet.DiceCost', weight=5.0, pred_act=True,
                     eps=1.0)
            ]),
        sampler=dict(type='mmdet.MaskPseudoSampler')),
    test_cfg=dict(
        panoptic_on=False,
        semantic_on=False,
        instance_on=True,
        max_per_image=100,  # TEST.DETECTIONS_PER_IMAGE
        iou_thr=0.8,  # OVERLAP_THRESHOLD
        object_mask_thr=0.8,  # OBJECT_MASK_THRESHOLD
        filter_low_score=True),  # official panoptic_inference
    init_cfg=None)
