# TarViS ResNet-50 stage 1: pre-training on pseudo-videos made from the COCO
# / ADE20K / Cityscapes / Mapillary panoptic training images (tarvis.md
# section 4; Ali2500/TarViS: configs/pretrain_resnet50_swin-tiny.yaml): 500k
# optimiser steps of 32 clips x 3 frames, the task (instance 0.3 / panoptic
# 0.3 / VOS 0.4) redrawn every 8 steps, AdamW 1e-4 (backbone x 0.1),
# full-model grad-norm clip 0.01, no warm-up, lr x 0.1 at 444.5k / 481.5k.
# Runs on 1, 2, 4, 8, 16 or 32 processes (GlobalBatchHook), e.g.
#   tools/dist_train.sh <this config> 32
# The fine-tuning configs (*_joint-finetune.py) load its last checkpoint.
# Deviation: one semantic loss module, so the panoptic semantic CE uses the
# instance task's 12544 points (the reference: 25088).
_base_ = [
    '../_base_/models/tarvis_r50.py',
    '../_base_/datasets/tarvis_pretrain_mix.py',
    '../_base_/schedules/tarvis_adamw-500k.py', '../_base_/default_runtime.py'
]

model = dict(
    dataset_name='COCO',
    # detectron2://ImageNetPretrained/torchvision/R-50.pkl = torchvision's
    backbone=dict(
        init_cfg=dict(
            _delete_=True,  # the base has init_cfg=None (converted weights)
            type='Pretrained', checkpoint='torchvision://resnet50')),
    embedding_container=dict(
        # semantic-query blocks of pre-training (alphabetical: 383 rows)
        num_classes=dict(
            _delete_=True,  # the pre-training datasets only, not fine-tuning's
            ADE20K=150, CITYSCAPES=34, COCO=133, MAPILLARY=65)))

# training only
train_cfg = dict(val_interval=10**9)
val_cfg = None
test_cfg = None
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=10000,
        save_last=True))
