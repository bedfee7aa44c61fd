# TarViS stage-1 pre-training mix (Ali2500/TarViS: configs/pretrain_*.yaml,
# tarvis/training/build_dataset.py, tarvis/data/panoptic_image_dataset.py;
# tarvis.md section 4): pseudo-videos of 3 frames made from the COCO /
# ADE20K / Cityscapes / Mapillary PANOPTIC training sets (official files, no
# conversion), weights 0.55 / 0.2 / 0.05 / 0.2 over a pool of iterations x 32
# clips. Every clip serves every task (TaskTaggedDataset over the mix); the
# task is redrawn every 8 optimiser steps with instance 0.3 / panoptic 0.3 /
# VOS 0.4 (TaskAwareBatchSampler task_weights), 32 clips per step on any
# number of processes dividing 32 (GlobalBatchHook).
# Per frame: affine (scale 0.9-1.1, rotation +-20, x-shear +-10), shorter
# side to 512 / 544 / 576 (longer <= 1333), 512 x 512 crop (Cityscapes /
# Mapillary: the same relative crop in every frame; Mapillary first resized
# to shorter side 800, longer <= 1333, as the reference).
# Deviations: no per-image colour augmentation; crowd thing segments are
# ignore regions.
pretrain_iters = 500000  # optimiser steps (the schedule's max_iters)
global_batch = 32
total = pretrain_iters * global_batch  # the reference's sample pool
weights = dict(COCO=0.55, ADE20K=0.2, CITYSCAPES=0.05, MAPILLARY=0.2)


def _pipeline(same_crop=False, pre_resize=False):
    load = [dict(type='LoadImageFromFile'),
            dict(type='LoadVideoPanopticAnnotations')]
    if pre_resize:  # the reference's ResizeShortestEdge([800], 1333)
        load.append(dict(type='Resize', scale=(1333, 800), keep_ratio=True))
    return [
        # one stored frame: the image is read once, the clip made after
        dict(type='VideoClipSample', num_frames=1, mode='consecutive'),
        dict(type='TransformBroadcaster', transforms=load),
        dict(type='PanopticPseudoClipAffine', num_frames=3,
             scale_range=(0.9, 1.1), rotation_range=(-20, 20),
             shear_range=(-10, 10), min_sides=(512, 544, 576),
             max_side=1333, crop_size=(512, 512), same_crop=same_crop,
             flip_prob=0.5, max_vos_objects=32 // 4),
        dict(type='PackVideoPanopticInputs', meta_keys=('ref_frame_index', ))
    ]


train_datasets = dict(
    COCO=dict(
        type='PanopticPseudoClipDataset',
        dataset_name='COCO',
        data_root='data/coco/',
        ann_file='annotations/panoptic_train2017.json',
        data_prefix=dict(img_path='train2017/',
                         seg_map_path='annotations/panoptic_train2017/'),
        pipeline=_pipeline()),
    # detectron2 datasets/prepare_ade20k_pan_seg.py output
    ADE20K=dict(
        type='PanopticPseudoClipDataset',
        dataset_name='ADE20K',
        data_root='data/ade/ADEChallengeData2016/',
        ann_file='ade20k_panoptic_train.json',
        data_prefix=dict(img_path='images/training/',
                         seg_map_path='ade20k_panoptic_train/'),
        pipeline=_pipeline()),
    # cityscapesscripts createPanopticImgs output; the 34 label ids as the
    # reference's class table, unlabeled (0) void
    CITYSCAPES=dict(
        type='PanopticPseudoClipDataset',
        dataset_name='CITYSCAPES',
        data_root='data/cityscapes/',
        ann_file='gtFine/cityscapes_panoptic_train.json',
        data_prefix=dict(img_path='leftImg8bit/train/',
                         seg_map_path='gtFine/cityscapes_panoptic_train/'),
        layout='cityscapes',
        categories='cityscapes',
        ignore_category_ids=(-1, 0),
        pipeline=_pipeline(same_crop=True)),
    # Mapillary Vistas v1.2 (65 classes)
    MAPILLARY=dict(
        type='PanopticPseudoClipDataset',
        dataset_name='MAPILLARY',
        data_root='data/mapillary/',
        ann_file='training/panoptic/panoptic_2018.json',
        data_prefix=dict(img_path='training/images/',
                         seg_map_path='training/panoptic/'),
        pipeline=_pipeline(same_crop=True, pre_resize=True)),
)
train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(
        type='TaskAwareBatchSampler', global_batch=global_batch,
        chunk_steps=8, task_weights=dict(vis=0.3, vps=0.3, vos=0.4)),
    dataset=dict(
        type='TaskTaggedDataset',
        task=('vis', 'vps', 'vos'),
        dataset=dict(
            type='WeightedConcatDataset',
            datasets=[train_datasets[k] for k in weights],
            weights=list(weights.values()),
            total_samples=total,
            ignore_keys=['dataset_name', 'classes', 'thing_ids',
                         'thing_classes', 'stuff_classes'])))
custom_hooks = [dict(type='GlobalBatchHook', global_batch=global_batch)]
# a VOS step leaves the instance / semantic queries without gradient and a
# VIS step the object encoder (the reference: find_unused_parameters=True)
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
