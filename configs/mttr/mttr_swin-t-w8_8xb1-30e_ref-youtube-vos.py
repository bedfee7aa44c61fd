# MTTR, window 8, on Refer-YouTube-VOS: the README recipe `-ws 8 -bs 1
# -ng 8` (8 x RTX 3090 24 GB; not in the paper), 30 epochs with the intended
# MultiStepLR([20], 0.4) (see ../_base_/schedules/mttr_adamw-30e.py for the
# official scheduler quirk). Evaluation: whole valid videos (the window is
# ignored, as the official code), CodaLab submission zip. Official
# checkpoint: 54.56 J&F on the server (configs/mttr/README.md).
_base_ = [
    '../_base_/models/mttr_swin-t.py',
    '../_base_/datasets/ref_youtube_vos.py',
    '../_base_/schedules/mttr_adamw-30e.py', '../_base_/default_runtime.py'
]
window_size = 8
model = dict(
    backbone=dict(pretrained='checkpoints/'
                  'swin_tiny_patch244_window877_kinetics400_1k.pth'),
    test_cfg=dict(mode='rvos'))
train_dataloader = dict(dataset=dict(window_size=window_size))
# no local validation metric: a checkpoint every epoch (the official code
# keeps the lowest epoch loss)
default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1))
log_processor = dict(by_epoch=True)
auto_scale_lr = dict(enable=False, base_batch_size=8)
