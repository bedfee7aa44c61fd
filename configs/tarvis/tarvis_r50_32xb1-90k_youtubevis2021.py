# TarViS ResNet-50 on YouTube-VIS 2021 (tarvis.md sections 2, 4, 5).
# The official model is ONE checkpoint fine-tuned jointly on YouTube-VIS,
# OVIS, KITTI-STEP, Cityscapes-VPS, VIPSeg, BURST and DAVIS (90k iterations,
# 32 GPUs x 1 clip of 3 frames); its semantic-query table therefore has the
# five VIS/VPS datasets below, and this config evaluates it on YouTube-VIS
# 2021 after tools/model_converters/tarvis_to_mmvidseg.py. Training with this
# file fine-tunes on YouTube-VIS alone (not the official joint recipe) with
# the official optimiser and schedule.
_base_ = [
    '../_base_/models/tarvis_r50.py',
    '../_base_/datasets/youtube_vis_2021_tarvis.py',
    '../_base_/schedules/tarvis_adamw-90k.py', '../_base_/default_runtime.py'
]

# a checkpoint every 10k iterations and the last one
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=10000,
        save_last=True))
load_from = 'checkpoints/tarvis_r50_finetune_mmvidseg.pth'
