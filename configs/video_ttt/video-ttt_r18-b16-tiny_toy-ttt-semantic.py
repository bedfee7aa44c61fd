# Video-TTT toy protocol (semantic): the tiny Y-model of
# ./video-ttt_r18-b16-tiny_toy.py with its 6 toy classes (sky / wall /
# ground / square / circle / triangle) all as stuff classes, trained
# offline (segmentation + reconstruction losses) on unshifted toy frames
# (preset ttt_train, KITTI-STEP layout), then tested frame by frame with
# OnlineTTTLoop on the shifted toy streams (preset ttt_shift: from frame 12
# of 24 on, lighting / blur / noise / texture). Data:
#   python tools/dataset_converters/make_toy_dataset.py --preset ttt_train \
#       --out data/ttt_toy/ttt_train --formats kitti_step
#   python tools/dataset_converters/make_toy_dataset.py --preset ttt_shift \
#       --out data/ttt_toy/ttt_shift --formats kitti_step
# Train: python tools/train.py <this config>
# Test:  python tools/test_ttt.py <this config> <ckpt> --mode online|frozen
_base_ = ['./video-ttt_r18-b16-tiny_toy.py']

num_classes = 6
# the toy's panoptic ids (mmvidseg/datasets/toy/metainfo.py), not KITTI-STEP's
# 19 names that KITTIStepStream would otherwise put in the checkpoint meta
toy_classes = ('sky', 'wall', 'ground', 'square', 'circle', 'triangle')
model = dict(
    panoptic_head=dict(
        num_things_classes=0,
        num_stuff_classes=num_classes,
        loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
    panoptic_fusion_head=dict(num_things_classes=0,
                              num_stuff_classes=num_classes),
    test_cfg=dict(panoptic_on=False, semantic_on=True, instance_on=False))

meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
             'flip', 'flip_direction', 'video_id', 'frame_id', 'evaluate',
             'split')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadStreamSemSeg'),
    dict(type='AddEmptyInstances'),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(type='mmdet.PackDetInputs', meta_keys=meta_keys),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadStreamSemSeg'),
    dict(type='mmdet.PackDetInputs', meta_keys=meta_keys),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='KITTIStepStream',
        data_root='data/ttt_toy/ttt_train/kitti_step/',
        splits=('train', ),
        metainfo=dict(classes=toy_classes),
        pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='KITTIStepStream',
        data_root='data/ttt_toy/ttt_shift/kitti_step/',
        splits=('val', ),
        metainfo=dict(classes=toy_classes),
        pipeline=test_pipeline))
test_evaluator = dict(type='FrameMIoUMetric', num_classes=num_classes)
val_dataloader = val_evaluator = val_cfg = None
test_cfg = dict(
    type='OnlineTTTLoop',
    mode='online',
    ttt=dict(
        window_size=16,
        batch_size=32,
        accum_iter=4,  # 8 images per micro-batch
        restart_optimizer=True,
        lr=1e-4,
        augment=dict(type='lsj', scale_range=(0.5, 1.5), crop_size=(64, 64)),
        seed=0),
    checkpoint_interval=0)

max_iters = 1500
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters + 1)
# offline joint training (the official recipe is not released): short,
# CPU-sized AdamW with a poly decay (~30 min on 1 CPU thread)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05),
    clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [
    dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters,
         by_epoch=False)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=500,
                    max_keep_ckpts=2))
