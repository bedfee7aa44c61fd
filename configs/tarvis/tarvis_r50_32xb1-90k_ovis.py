# TarViS ResNet-50 on OVIS: the same jointly fine-tuned checkpoint as
# ./tarvis_r50_32xb1-90k_youtubevis2021.py, OVIS semantic queries, min side
# 512 in training and 576 at inference, top 20 tracks per video.
_base_ = [
    '../_base_/models/tarvis_r50.py', '../_base_/datasets/ovis_tarvis.py',
    '../_base_/schedules/tarvis_adamw-90k.py', '../_base_/default_runtime.py'
]

model = dict(
    dataset_name='OVIS',
    test_cfg=dict(linker=dict(max_tracks_per_video=20)))
# a checkpoint every 10k iterations and the last one
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=10000,
        save_last=True))
load_from = 'checkpoints/tarvis_r50_finetune_mmvidseg.pth'
