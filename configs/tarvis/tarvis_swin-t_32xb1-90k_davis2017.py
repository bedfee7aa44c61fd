# The released TarViS swin-t (one model fine-tuned jointly on seven datasets,
# ./tarvis_swin-t_32xb1-90k_joint-finetune.py) on DAVIS-2017 val,
# semi-supervised: mask exemplars, clips of 12 frames overlapping by 6, object
# queries re-initialised from the previous clip's masks (tarvis.md section 5).
# Convert the official checkpoint first (configs/tarvis/README.md).
_base_ = [
    '../_base_/models/tarvis_r50.py',
    '../_base_/models/tarvis_swin_parts.py',
    '../_base_/datasets/davis2017_tarvis.py', '../_base_/default_runtime.py'
]

model = dict(
    backbone={{_base_.tarvis_swin_t_backbone}},
    neck=dict(in_channels={{_base_.tarvis_swin_t_in_channels}}),
    task='vos', test_cfg=dict(clip_length=12, overlap=6))
load_from = 'checkpoints/tarvis_swin-tiny_finetune_mmvidseg.pth'
