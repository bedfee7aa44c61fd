# Video-TTT online TTT-MAE on COCO-Videos panoptic segmentation
# (renwang435/video-ttt-release: runner_ttt_mae_panoptic.py, README command
# `--batch_size 32 --accum_iter 8 --base_lr 0.0001 --restart_optimizer`,
# configs/coco_videos/panoptic-segmentation/swin/
# maskformer2_swin_small_bs16_50ep_ttt_mae.yaml).
# Weights: the official ttt_coco_panoptic_baseline.pkl converted with
#   python tools/model_converters/video_ttt_to_mmvidseg.py \
#       ttt_coco_panoptic_baseline.pkl video_ttt_coco_panoptic.pth
# Run:   python tools/test_ttt.py <this config> video_ttt_coco_panoptic.pth
#        --mode online   (baseline without TTT: --mode frozen)
_base_ = [
    '../_base_/models/video_ttt_swin-s.py', '../_base_/default_runtime.py'
]

# COCO panoptic classes (detectron2 COCO_CATEGORIES: 80 things + 53 stuff)
num_things_classes = 80
num_stuff_classes = 53
num_classes = num_things_classes + num_stuff_classes
model = dict(
    panoptic_head=dict(
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes,
        loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
    panoptic_fusion_head=dict(
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes),
    # maskformer2_R50_bs16_50ep.yaml (panoptic): all three on; PQ reads
    # the panoptic result
    test_cfg=dict(panoptic_on=True, semantic_on=False, instance_on=False))

data_root = 'data/coco_videos/'
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
             'flip', 'flip_direction', 'video_id', 'frame_id', 'evaluate',
             'split', 'gt_panoptic_seg')
# d2 ResizeShortestEdge(800, 1333) (the default MIN/MAX_SIZE_TEST)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadCOCOVideosPanoptic'),
    dict(type='mmdet.PackDetInputs', meta_keys=meta_keys),
]
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='COCOVideosStream',
        task='panoptic',
        data_root=data_root,
        ann_split='val',
        eval_interval=10,  # every 10th frame is scored (arange(0, 4000, 10))
        pipeline=test_pipeline))
test_evaluator = dict(type='COCOVideosMetric', task='panoptic')
train_dataloader = train_cfg = None
val_dataloader = val_evaluator = val_cfg = None
test_cfg = dict(
    type='OnlineTTTLoop',
    mode='online',  # 'standard' reloads the weights per frame; 'frozen'
    ttt=dict(
        window_size=16,  # TTT.WIN_SIZE: the explicit memory
        batch_size=32,  # SOLVER.IMS_PER_BATCH (--batch_size)
        accum_iter=8,  # --accum_iter: 4 images per micro-batch
        restart_optimizer=True,  # --restart_optimizer
        lr=1e-4,  # --base_lr
        weight_decay=0.05,
        backbone_lr_mult=0.1,
        grad_clip=0.01,  # CLIP_GRADIENTS full_model 0.01
        # panoptic_pretrain_dataset_mapper: RandomFlip + LSJ
        augment=dict(type='lsj', scale_range=(0.1, 2.0),
                     crop_size=(1024, 1024)),
        amp='auto',  # fp16 + GradScaler on CUDA (official: always)
        seed=0),
    checkpoint_interval=0)
