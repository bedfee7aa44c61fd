# Video-TTT offline joint training (segmentation + masked reconstruction),
# the stage that produced the official ttt_coco_instance_baseline.pkl. Not
# released as a runnable recipe (the model supports it: TTT.USE_SEG_HEAD +
# USE_RECON_HEAD); the settings are those of the official base config
# (renwang435/video-ttt-release: configs/coco_videos/instance-segmentation/
# Base-COCO-InstanceSegmentation.yaml + maskformer2_R50_bs16_50ep.yaml):
# COCO instance, LSJ 1024 (scale 0.1-2.0), 16 images per batch, AdamW 1e-4,
# weight decay 0.05, backbone lr x 0.1, full-model grad clip 0.01, AMP,
# 368,750 iterations with steps at 327,778 / 355,092. Every iteration adds
# loss_recon (fresh 85 % patch masks per image) to the Mask2Former losses.
# The backbone starts from a 4-channel Swin-S (ImageNet weights with a
# mask channel, the official swin_small_patch4_window7_224_4chan.pkl):
#   python tools/model_converters/video_ttt_to_mmvidseg.py \
#       swin_small_patch4_window7_224_4chan.pkl swin-s_4chan.pth
# and set load_from to swin-s_4chan.pth (backbone keys only, non-strict).
_base_ = [
    '../_base_/models/video_ttt_swin-s.py', '../_base_/default_runtime.py'
]

data_root = 'data/coco/'
image_size = (1024, 1024)
train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='mmdet.RandomFlip', prob=0.5),
    dict(
        type='mmdet.RandomResize',
        scale=image_size,
        ratio_range=(0.1, 2.0),
        resize_type='mmdet.Resize',
        keep_ratio=True),
    dict(
        type='mmdet.RandomCrop',
        crop_size=image_size,
        crop_type='absolute',
        recompute_bbox=True,
        allow_negative_crop=True),
    dict(type='mmdet.FilterAnnotations', min_gt_bbox_wh=(1e-5, 1e-5),
         by_mask=True),
    dict(type='mmdet.PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True),
    dict(type='mmdet.Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='mmdet.LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='mmdet.PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(
    batch_size=2,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='mmdet.CocoDataset',
        data_root=data_root,
        ann_file='annotations/instances_train2017.json',
        data_prefix=dict(img='train2017/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='mmdet.CocoDataset',
        data_root=data_root,
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
# ground truth from the dataset (ann_file=None: the metric builds no file
# handle at config-build time; set ann_file to instances_val2017.json for
# the official COCO areas)
val_evaluator = dict(type='mmdet.CocoMetric', ann_file=None, metric=['segm'])
test_evaluator = val_evaluator

# official build_optimizer groups: lr x 0.1 in the backbone, no decay for
# norms, embeddings and relative-position tables; mmengine applies only the
# longest matching key, so the backbone norms are spelled out
depths = [2, 2, 18, 2]
backbone_norm = dict(lr_mult=0.1, decay_mult=0.0)
embed = dict(lr_mult=1.0, decay_mult=0.0)
custom_keys = {
    'backbone': dict(lr_mult=0.1, decay_mult=1.0),
    'backbone.patch_embed.norm': backbone_norm,
    'backbone.norm': backbone_norm,
    'absolute_pos_embed': backbone_norm,
    'relative_position_bias_table': backbone_norm,
    'query_embed': embed,
    'query_feat': embed,
    'level_embed': embed,  # decoder nn.Embedding; pixel-decoder
    # level_encoding stays decayed (a bare nn.Parameter in the official code)
}
custom_keys.update({
    f'backbone.stages.{stage}.blocks.{block}.norm': backbone_norm
    for stage, num_blocks in enumerate(depths)
    for block in range(num_blocks)
})
custom_keys.update({
    f'backbone.stages.{stage}.downsample.norm': backbone_norm
    for stage in range(len(depths) - 1)
})
optim_wrapper = dict(
    type='AmpOptimWrapper',
    optimizer=dict(
        type='AdamW', lr=1e-4, weight_decay=0.05, eps=1e-8,
        betas=(0.9, 0.999)),
    clip_grad=dict(max_norm=0.01, norm_type=2),
    paramwise_cfg=dict(custom_keys=custom_keys, norm_decay_mult=0.0))

max_iters = 368750
param_scheduler = [
    dict(type='LinearLR', start_factor=1.0, by_epoch=False, begin=0,
         end=10),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iters,
        by_epoch=False,
        milestones=[327778, 355092],
        gamma=0.1)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, save_last=True,
        max_keep_ckpts=3, interval=5000))
auto_scale_lr = dict(enable=False, base_batch_size=16)
