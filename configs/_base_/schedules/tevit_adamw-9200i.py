# TeViT's schedule (hustvl/TeViT: configs/tevit/tevit_r50.py): AdamW with the
# backbone at 0.1x lr, gradient clipping 0.1, linear warm-up over 770
# iterations, x0.1 at 6100 and 8500, 9200 iterations of 8 GPUs x 2 clips.
# No validation: the official trains with --no-validate, so system configs
# set val_dataloader = val_evaluator = None; `tools/test.py` writes the
# CodaLab submission (results.json + zip) from the test split.
max_iters = 9200
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
val_cfg = None
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=0.00025, weight_decay=0.0001),
    paramwise_cfg=dict(
        custom_keys={'backbone': dict(lr_mult=0.1, decay_mult=1.0)}),
    clip_grad=dict(max_norm=0.1, norm_type=2))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.001,
        by_epoch=False,
        begin=0,
        end=770),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[6100, 8500],
        gamma=0.1)
]
# 8 GPUs x 2 clips; scale the lr with `--auto-scale-lr` on other setups
auto_scale_lr = dict(enable=False, base_batch_size=16)
