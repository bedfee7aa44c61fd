# MTTR (Botach et al., CVPR 2022): Video Swin-T (temporal patch 1, stages
# 1-3) + RoBERTa-base (frozen) + multimodal transformer (3 + 3 layers, 50
# queries) + dynamic 8-dim kernels on an FPN spatial decoder. Re-implements
# mttr2021/MTTR: models/mttr.py with configs/refer_youtube_vos.yaml
# (146,489,864 parameters, 22,434,824 trainable).
#
# Weights: the released *.pth.tar converted by
# tools/model_converters/mttr_to_mmvidseg.py (load_from), or for training the
# Kinetics-400 Video-Swin-T (backbone.pretrained) and a local roberta-base
# folder (head.transformer.text_encoder.pretrained). The tokenizer reads
# vocab.json + merges.txt from a local roberta-base folder (no download).
roberta_base = 'checkpoints/roberta-base'

model = dict(
    type='MTTR',
    data_preprocessor=dict(
        type='VideoDataPreprocessor',
        mean=[123.675, 116.28, 103.53],  # ImageNet, on the 0-255 scale
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_mask=True,
        pad_size_divisor=1),  # official: pad to the batch max, no divisor
    backbone=dict(
        type='MTTRVideoSwin',
        patch_size=(1, 4, 4),
        embed_dim=96,
        depths=(2, 2, 6),
        num_heads=(3, 6, 12),
        window_size=(8, 7, 7),
        drop_path_rate=0.1,
        dpr_depths=(2, 2, 6, 2),
        pretrained=None),
    head=dict(
        type='MTTRHead',
        in_channels=(96, 192, 384),
        num_queries=50,
        mask_kernels_dim=8,
        transformer=dict(
            d_model=256,
            nheads=8,
            num_encoder_layers=3,
            num_decoder_layers=3,
            dim_feedforward=2048,
            dropout=0.1,
            text_encoder=dict(
                roberta_config=None,  # None: roberta-base sizes
                tokenizer=roberta_base,
                freeze=True))),
    criterion=dict(
        type='MTTRCriterion',
        cost_is_referred=2.,
        cost_dice=5.,
        loss_is_referred=2.,
        loss_sigmoid_focal=2.,
        loss_dice=5.,
        eos_coef=0.1),
    test_cfg=dict(mode='rvos', mask_thr=0.5))
