# MTTR, window 10, on A2D-Sentences: the README recipe `-ws 10 -bs 3`
# (2 x A6000 48 GB), 70 epochs. Official checkpoint: 46.1 mAP
# (configs/mttr/README.md); the same model is evaluated on JHMDB-Sentences.
_base_ = [
    '../_base_/models/mttr_swin-t.py', '../_base_/datasets/a2d_sentences.py',
    '../_base_/schedules/mttr_adamw-70e.py', '../_base_/default_runtime.py'
]
window_size = 10
model = dict(
    backbone=dict(pretrained='checkpoints/'
                  'swin_tiny_patch244_window877_kinetics400_1k.pth'),
    test_cfg=dict(mode='all'))  # A2D: all 50 queries on the annotated frame
train_dataloader = dict(
    batch_size=3, dataset=dict(window_size=window_size))
val_dataloader = dict(dataset=dict(window_size=window_size))
test_dataloader = val_dataloader
# evaluated every epoch, the best mAP kept (official checkpoint selection)
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=True,
        interval=1,
        max_keep_ckpts=2,
        save_best='refer/mAP',
        rule='greater'))
log_processor = dict(by_epoch=True)
auto_scale_lr = dict(enable=False, base_batch_size=6)
