# TarViS Swin-L: the official video fine-tuning (tarvis.md section 4), ONE
# model trained jointly on YouTube-VIS 2021, OVIS, KITTI-STEP, Cityscapes-VPS,
# VIPSeg (VIS / VPS: instance + semantic queries) and BURST, DAVIS (VOS / PET:
# object-encoder queries): 90k optimiser steps of 32 clips x 3 frames, AdamW
# 1e-4 (backbone x 0.1), full-model grad-norm clip 0.01, warm-up 10k, lr x 0.1
# at 50k / 84k. Runs on 1, 2, 4, 8, 16 or 32 processes (GlobalBatchHook
# accumulates 32 / processes loader batches per step; other counts are
# refused), e.g.  tools/dist_train.sh <this config> 8
# Starts from the stage-1 (pseudo-video) weights: load_from below, written by
# tools/model_converters/tarvis_to_mmvidseg.py --finetune-from-pretrain from
# the official *_pretrain.zip (Cityscapes queries -> KITTI-STEP /
# Cityscapes-VPS as the official --finetune_from; configs/tarvis/README.md).
_base_ = [
    '../_base_/models/tarvis_r50.py',
    '../_base_/models/tarvis_swin_parts.py',
    '../_base_/datasets/tarvis_finetune_mix.py',
    '../_base_/schedules/tarvis_adamw-90k.py', '../_base_/default_runtime.py'
]

# training only: each dataset is evaluated by its own config
train_cfg = dict(val_interval=10**9)
val_cfg = None
test_cfg = None
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=10000,
        save_last=True))
load_from = 'checkpoints/tarvis_swin-large_pretrain_mmvidseg.pth'
model = dict(
    backbone={{_base_.tarvis_swin_l_backbone}},
    neck=dict(in_channels={{_base_.tarvis_swin_l_in_channels}}),
    # finetune_swin-large.yaml: semantic CE weight 1.0 + logit regulariser
    semantic_loss=dict(loss_weight=1.0, logit_regularization=True))
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={{_base_.tarvis_swin_l_norm_keys}}))
