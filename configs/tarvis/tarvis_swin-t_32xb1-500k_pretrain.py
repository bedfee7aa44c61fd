# TarViS Swin-T stage 1: ./tarvis_r50_32xb1-500k_pretrain.py (pseudo-videos
# from COCO / ADE20K / Cityscapes / Mapillary panoptic, 500k steps of 32
# clips) with the Swin backbone from its official ImageNet weights
# (Ali2500/TarViS: configs/pretrain_resnet50_swin-tiny.yaml).
_base_ = [
    './tarvis_r50_32xb1-500k_pretrain.py',
    '../_base_/models/tarvis_swin_parts.py'
]

model = dict(
    backbone={{_base_.tarvis_swin_t_backbone_imagenet}},
    neck=dict(in_channels={{_base_.tarvis_swin_t_in_channels}}))
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={{_base_.tarvis_swin_t_norm_keys}}))
