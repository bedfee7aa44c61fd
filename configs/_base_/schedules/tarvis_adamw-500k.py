# TarViS pre-training schedule (Ali2500/TarViS: configs/pretrain_*.yaml,
# tarvis/training/main.py; tarvis.md section 4): the fine-tuning optimiser
# (AdamW 1e-4, wd 0.05, backbone lr x 0.1, no decay for norms / query
# tables / embeddings, full-model grad-norm clip 0.01), 500k iterations of
# 32 clips, no warm-up, lr x 0.1 at 444.5k and 481.5k.
_base_ = ['./tarvis_adamw-90k.py']

max_iters = 500000
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[444500, 481500],
        gamma=0.1)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
