# The released TarViS r50 (one model fine-tuned jointly on seven datasets,
# ./tarvis_r50_32xb1-90k_joint-finetune.py) on BURST val, point-exemplar
# tracking: clips of 8 frames overlapping by 4 over the annotated +
# interleaved frames (tarvis.md section 5). Mask exemplars instead: task='vos'.
# Convert the official checkpoint first (configs/tarvis/README.md).
_base_ = [
    '../_base_/models/tarvis_r50.py', '../_base_/datasets/burst_tarvis.py',
    '../_base_/default_runtime.py'
]

model = dict(task='pet', test_cfg=dict(clip_length=8, overlap=4))
load_from = 'checkpoints/tarvis_r50_finetune_mmvidseg.pth'
