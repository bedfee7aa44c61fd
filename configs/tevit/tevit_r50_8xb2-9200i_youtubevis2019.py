# TeViT with a ResNet-50 backbone (STQI heads only, no messenger shift) on
# YouTube-VIS 2019: 8 GPUs x 2 clips x 5 frames, 9200 iterations.
# Re-implements hustvl/TeViT: configs/tevit/tevit_r50.py (the root of all
# TeViT configs). Official training command:
#   tools/dist_train.sh configs/tevit/tevit_r50_8xb2-9200i_youtubevis2019.py 8
_base_ = [
    '../_base_/models/tevit_r50.py',
    '../_base_/datasets/youtube_vis_2019_tevit.py',
    '../_base_/schedules/tevit_adamw-9200i.py', '../_base_/default_runtime.py'
]

# a checkpoint every 770 iterations, as the official
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=770))

# COCO QueryInst-R50 (100 proposals); its 80-class layers are re-initialised
load_from = 'https://download.openmmlab.com/mmdetection/v2.0/queryinst/queryinst_r50_fpn_mstrain_480-800_3x_coco/queryinst_r50_fpn_mstrain_480-800_3x_coco_20210901_103643-7837af86.pth'  # noqa
