# MTTR A2D-Sentences schedule (mttr2021/MTTR: trainer.py,
# configs/a2d_sentences.yaml; mttr.md section 4): AdamW lr 1e-4, backbone
# 1e-5, text encoder 5e-5 (no effect while it is frozen), weight decay 1e-4 on
# every parameter, grad-norm clip 0.1, AMP; 70 epochs, lr x 0.4 after epoch
# 50; evaluated every epoch, the best mAP kept.
optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'text_encoder': dict(lr_mult=0.5),
        }),
    clip_grad=dict(max_norm=0.1, norm_type=2))
max_epochs = 70
param_scheduler = [
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[50],
        gamma=0.4)
]
train_cfg = dict(
    type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
randomness = dict(seed=42)
