# TarViS video fine-tuning mix (Ali2500/TarViS: configs/finetune_*.yaml,
# tarvis/training/build_dataset.py; tarvis.md section 4): seven datasets,
# weights YTVIS 0.225 / OVIS 0.225 / KITTI-STEP 0.075 / Cityscapes-VPS 0.075
# / VIPSeg 0.15 / BURST 0.2 / DAVIS 0.05 over a pool of iterations x 32
# clips, one dataset and task per optimiser step (TaskAwareBatchSampler,
# chunks of 8 steps, VOS batches of one object count), 32 clips per step on
# any number of processes that divides 32 (GlobalBatchHook).
# Per dataset: 3-frame clips, frame-sampling factor, train resize and the
# official clip augmentation, in the official order (one colour draw and one
# crop window per clip):
# * VIS (instance_seg_video_dataset.py): colour jitter (hue / saturation
#   +-12, contrast 0.95-1.05, brightness +-25), flip, mask-containing crop
#   0.75 x 0.75, resize;
# * VPS (panoptic_seg_dataset.py, vipseg_dataset.py): colour jitter (+-10 /
#   0.95-1.05 / +-20), flip, mask-containing crop (h x w) KITTI-STEP and
#   VIPSeg 0.75 x 0.5, Cityscapes-VPS 0.5 x 0.5, resize;
# * VOS (vos_dataset.py, DAVIS / BURST): colour jitter (+-12 / 0.95-1.05 /
#   +-25), resize, flip, the crop of 0.75 x 0.75 of the resized frame that
#   keeps all reference-frame objects (none if they do not fit).
finetune_iters = 90000  # optimiser steps (the schedule's max_iters)
global_batch = 32
total = finetune_iters * global_batch  # the reference's sample pool
weights = dict(
    YOUTUBE_VIS=0.225,
    OVIS=0.225,
    KITTI_STEP=0.075,
    CITYSCAPES_VPS=0.075,
    VIPSEG=0.15,
    BURST=0.2,
    DAVIS=0.05)


def _vis_pipeline(scales):
    return [
        dict(type='ReferenceFrameClipSample', num_frames=3,
             sampling_factor=7.5),
        dict(
            type='TransformBroadcaster',
            share_random_params=True,
            transforms=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadTrackAnnotations', with_mask=True),
                dict(type='RandomFlip', prob=0.5),
            ]),
        dict(type='ClipColorJitter', hue=12, saturation=12, brightness=25),
        dict(type='MaskContainingClipCrop', crop_ratio=(0.75, 0.75)),  # h, w
        dict(
            type='TransformBroadcaster',
            share_random_params=True,
            transforms=[
                dict(type='RandomChoiceResize', scales=scales,
                     keep_ratio=True)
            ]),
        dict(type='PackTrackInputs')
    ]


def _vps_pipeline(sampler, crop, min_side):
    return [
        sampler,
        dict(
            type='TransformBroadcaster',
            share_random_params=True,
            transforms=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadVideoPanopticAnnotations'),
                dict(type='RandomFlip', prob=0.5),
            ]),
        dict(type='ClipColorJitter', hue=10, saturation=10, brightness=20),
        dict(type='MaskContainingClipCrop', crop_ratio=crop),  # (h, w)
        dict(
            type='TransformBroadcaster',
            share_random_params=True,
            transforms=[
                dict(type='Resize', scale=(1333, min_side), keep_ratio=True)
            ]),
        dict(type='PackVideoPanopticInputs')
    ]


# TarViSVOSClips has drawn the frames (reference frame first)
vos_pipeline = [
    dict(type='VideoClipSample', num_frames=3, mode='all'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='ClipColorJitter', hue=12, saturation=12, brightness=25),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='Resize', scale=(1333, 512), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='MaskPreservingClipCrop', crop_ratio=(0.75, 0.75), ref_frame=0),
    dict(type='PackTrackInputs')
]


def _tagged(name, task, dataset):
    return dict(type='TaskTaggedDataset', task=task, dataset_name=name,
                dataset=dataset)


def _vos(name, factor, videos):
    return _tagged(name, 'vos', dict(
        type='TarViSVOSClips', num_samples=int(round(total * weights[name])),
        clip_length=3, frame_sampling_factor=factor, max_num_objects=4,
        pipeline=vos_pipeline, dataset=videos))


train_datasets = dict(
    YOUTUBE_VIS=_tagged('YOUTUBE_VIS', 'vis', dict(
        type='YouTubeVISDataset',
        data_root='data/youtube_vis_2021/',
        dataset_version='2021',
        ann_file='train/instances.json',
        data_prefix=dict(img_path='train/JPEGImages'),
        pipeline=_vis_pipeline([(1024, 448), (1024, 512)]))),
    OVIS=_tagged('OVIS', 'vis', dict(
        type='OVISDataset',
        data_root='data/ovis/',
        dataset_version='ovis',
        ann_file='annotations_train.json',
        data_prefix=dict(img_path='train'),
        pipeline=_vis_pipeline([(1024, 512)]))),
    KITTI_STEP=_tagged('KITTI_STEP', 'vps', dict(
        type='KITTISTEPDataset',
        data_root='data/kitti_step/',
        split='train',
        pipeline=_vps_pipeline(
            dict(type='ReferenceFrameClipSample', num_frames=3,
                 sampling_factor=2.0), (0.75, 0.5), 320))),
    CITYSCAPES_VPS=_tagged('CITYSCAPES_VPS', 'vps', dict(
        type='CityscapesVPSDataset',
        data_root='data/cityscapes_vps/',
        ann_file='panoptic_im_train_city_vps.json',
        img_dir='train/img',
        seg_dir='train/panoptic_video',
        sparse_frames=False,
        pipeline=_vps_pipeline(
            dict(type='ReferenceFrameClipSample', num_frames=3,
                 consecutive=True), (0.5, 0.5), 448))),
    VIPSEG=_tagged('VIPSEG', 'vps', dict(
        type='VIPSegDataset',
        data_root='data/vipseg/VIPSeg_720P/',
        ann_file='panoptic_gt_VIPSeg_train.json',
        pipeline=_vps_pipeline(
            dict(type='ReferenceFrameClipSample', num_frames=3,
                 sampling_factor=5.0), (0.75, 0.5), 512))),
    BURST=_vos('BURST', 3.0, dict(
        type='BURSTDataset',
        data_root='data/burst/',
        ann_file='annotations/train/all_classes.json',
        data_prefix=dict(img_path='frames/train'))),
    DAVIS=_vos('DAVIS', 7.5, dict(
        type='DAVISDataset',
        data_root='data/davis/DAVIS',
        task='semi-supervised',
        split='train',
        with_void=False,
        filter_cfg=dict(filter_empty_gt=False))),
)
train_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(
        type='TaskAwareBatchSampler', global_batch=global_batch,
        chunk_steps=8),
    dataset=dict(
        type='WeightedConcatDataset',
        datasets=[train_datasets[k] for k in weights],
        weights=list(weights.values()),
        total_samples=total,
        ignore_keys=['dataset_name', 'tasks', 'classes']))
custom_hooks = [dict(type='GlobalBatchHook', global_batch=global_batch)]
# a VOS step leaves the instance / semantic queries without gradient and a
# VIS step the object encoder: DDP must look for unused parameters (the
# reference: find_unused_parameters=True)
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)
