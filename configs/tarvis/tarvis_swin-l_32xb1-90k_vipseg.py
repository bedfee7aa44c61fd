# TarViS Swin-L (D2SwinTransformer, window 12 @ 384, 22k, drop path 0.3)
# on VIPSeg: the ResNet-50 config ./tarvis_r50_32xb1-90k_vipseg.py
# with the Swin backbone of the released swin-large_finetune checkpoint
# (converted with tools/model_converters/tarvis_to_mmvidseg.py
# --backbone swin-large).
_base_ = [
    './tarvis_r50_32xb1-90k_vipseg.py',
    '../_base_/models/tarvis_swin_parts.py'
]

model = dict(
    backbone={{_base_.tarvis_swin_l_backbone}},
    neck=dict(in_channels={{_base_.tarvis_swin_l_in_channels}}),
    # finetune_swin-large.yaml: semantic CE weight 1.0 + logit regulariser
    semantic_loss=dict(loss_weight=1.0, logit_regularization=True))
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={{_base_.tarvis_swin_l_norm_keys}}))
load_from = 'checkpoints/tarvis_swin-large_finetune_mmvidseg.pth'
