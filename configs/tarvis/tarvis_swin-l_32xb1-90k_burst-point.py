# The released TarViS swin-l (one model fine-tuned jointly on seven datasets,
# ./tarvis_swin-l_32xb1-90k_joint-finetune.py) on BURST val, point-exemplar
# tracking: clips of 8 frames overlapping by 4 over the annotated +
# interleaved frames (tarvis.md section 5). Mask exemplars instead: task='vos'.
# Convert the official checkpoint first (configs/tarvis/README.md).
_base_ = [
    '../_base_/models/tarvis_r50.py',
    '../_base_/models/tarvis_swin_parts.py', '../_base_/datasets/burst_tarvis.py',
    '../_base_/default_runtime.py'
]

model = dict(
    backbone={{_base_.tarvis_swin_l_backbone}},
    neck=dict(in_channels={{_base_.tarvis_swin_l_in_channels}}),
    # finetune_swin-large.yaml: semantic CE weight 1.0 + logit regulariser
    semantic_loss=dict(loss_weight=1.0, logit_regularization=True),
    task='pet', test_cfg=dict(clip_length=8, overlap=4))
load_from = 'checkpoints/tarvis_swin-large_finetune_mmvidseg.pth'
