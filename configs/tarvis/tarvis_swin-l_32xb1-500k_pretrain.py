# TarViS Swin-L stage 1: ./tarvis_r50_32xb1-500k_pretrain.py (pseudo-videos
# from COCO / ADE20K / Cityscapes / Mapillary panoptic, 500k steps of 32
# clips) with the Swin backbone from its official ImageNet weights
# (Ali2500/TarViS: configs/pretrain_swin-large.yaml).
_base_ = [
    './tarvis_r50_32xb1-500k_pretrain.py',
    '../_base_/models/tarvis_swin_parts.py'
]

model = dict(
    backbone={{_base_.tarvis_swin_l_backbone_imagenet}},
    neck=dict(in_channels={{_base_.tarvis_swin_l_in_channels}}),
    # pretrain_swin-large.yaml: INSTANCE_ / PANOPTIC_SEMANTIC_WEIGHT_CROSS_
    # ENTROPY 0.75, SEMANTIC_IGNORE_NULL_CLASSES true
    semantic_loss=dict(loss_weight=0.75, ignore_null_classes=True))
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={{_base_.tarvis_swin_l_norm_keys}}))
