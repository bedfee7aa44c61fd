# STEm-Seg's YouTube-VIS schedule (sabarim/STEm-Seg:
# stemseg/config/youtube_vis.yaml): 160k SGD steps of 2 clips, as 320k
# iterations of 1 clip with gradient accumulation over 2.
# SGD Nesterov, lr 1e-3, wd 1e-4; accumulate 2 clips per step
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='SGD', lr=1e-3, momentum=0.9, weight_decay=1e-4, nesterov=True),
    accumulative_counts=2)
max_iters = 2 * 160000
# ExponentialLR: constant until 60k steps, then x0.01 over 100k steps
param_scheduler = [
    dict(
        type='ExponentialLR',
        gamma=0.01**(1.0 / (2 * 100000)),
        begin=2 * 60000,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
