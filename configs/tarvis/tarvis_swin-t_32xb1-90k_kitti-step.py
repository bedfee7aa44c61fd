# TarViS Swin-T (D2SwinTransformer, window 7 @ 224, drop path 0.3)
# on KITTI-STEP: the ResNet-50 config ./tarvis_r50_32xb1-90k_kitti-step.py
# with the Swin backbone of the released swin-tiny_finetune checkpoint
# (converted with tools/model_converters/tarvis_to_mmvidseg.py
# --backbone swin-tiny).
_base_ = [
    './tarvis_r50_32xb1-90k_kitti-step.py',
    '../_base_/models/tarvis_swin_parts.py'
]

model = dict(
    backbone={{_base_.tarvis_swin_t_backbone}},
    neck=dict(in_channels={{_base_.tarvis_swin_t_in_channels}}))
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={{_base_.tarvis_swin_t_norm_keys}}))
load_from = 'checkpoints/tarvis_swin-tiny_finetune_mmvidseg.pth'
