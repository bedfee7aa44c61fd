# TarViS Swin-L (D2SwinTransformer, window 12 @ 384, 22k, drop path 0.3)
# on OVIS: ./tarvis_r50_32xb1-90k_ovis.py with the Swin backbone of
# the released swin-large_finetune checkpoint (converted with
# tools/model_converters/tarvis_to_mmvidseg.py --backbone swin-large). The
# bases side by side (the R-50 config already has 3 _base_ hops).
_base_ = [
    '../_base_/models/tarvis_r50.py',
    '../_base_/models/tarvis_swin_parts.py',
    '../_base_/datasets/ovis_tarvis.py',
    '../_base_/schedules/tarvis_adamw-90k.py',
    '../_base_/default_runtime.py'
]

model = dict(
    dataset_name='OVIS',
    test_cfg=dict(linker=dict(max_tracks_per_video=20)),
    backbone={{_base_.tarvis_swin_l_backbone}},
    neck=dict(in_channels={{_base_.tarvis_swin_l_in_channels}}),
    # finetune_swin-large.yaml: semantic CE weight 1.0 + logit regulariser
    semantic_loss=dict(loss_weight=1.0, logit_regularization=True))
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={{_base_.tarvis_swin_l_norm_keys}}))
# a checkpoint every 10k iterations and the last one
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=10000,
        save_last=True))
load_from = 'checkpoints/tarvis_swin-large_finetune_mmvidseg.pth'
