# TeViT (MsgShifT = PVTv2-b1 + messenger shift, STQI heads) on YouTube-VIS
# 2019: 8 GPUs x 2 clips x 5 frames, 9200 iterations, single-scale 'range'
# resize. Re-implements hustvl/TeViT: configs/tevit/tevit_msgshift.py
# (README: 46.3 AP with the official checkpoint, 161.83 M parameters).
_base_ = [
    '../_base_/models/tevit_msgshift.py',
    '../_base_/datasets/youtube_vis_2019_tevit.py',
    '../_base_/schedules/tevit_adamw-9200i.py', '../_base_/default_runtime.py'
]

# a checkpoint every 770 iterations, as the official
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=770))

# COCO QueryInst with a PVTv2-b1 backbone (hustvl/Storage release v1.1.0);
# `backbone.msg_tokens` is not in it and keeps its trunc-normal init
load_from = 'https://github.com/hustvl/Storage/releases/download/v1.1.0/queryinst_pvtv2-b1_fpn_mstrain_480-800_3x_coco.pth'  # noqa
