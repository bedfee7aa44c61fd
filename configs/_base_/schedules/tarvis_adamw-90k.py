# TarViS fine-tuning schedule (Ali2500/TarViS: tarvis/training/main.py,
# configs/finetune_*.yaml; tarvis.md section 4).
# optimiser (official create_optimizers): AdamW 1e-4, wd 0.05, no decay for
# norms, the query tables, embeddings and level embeds; backbone lr x 0.1;
# full-model grad-norm clip 0.01
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05),
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1),
            'embedding_container': dict(decay_mult=0.0),
            'scale_embed': dict(decay_mult=0.0),
            'level_encoding': dict(decay_mult=0.0),
            'query_embed': dict(decay_mult=0.0),
        },
        norm_decay_mult=0.0),
    clip_grad=dict(max_norm=0.01, norm_type=2))

# official finetune schedule: 90k iterations, linear warm-up from 0 over 10k,
# lr x 0.1 at 50k and 84k (batch 32 clips)
max_iters = 90000
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=False, begin=0,
         end=10000),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[50000, 84000],
        gamma=0.1)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=32)
