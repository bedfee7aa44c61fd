# Video-TTT online TTT-MAE on KITTI-STEP semantic segmentation, all 21
# sequences (train then val folders; reported separately)
# (renwang435/video-ttt-release: runner_ttt_mae.py, README command
# `--batch_size 32 --accum_iter 4 --base_lrs 0.0001 --restart_optimizer`,
# configs/kitti_step/semantic-segmentation/swin/
# maskformer2_swin_small_bs16_90k_ttt_mae.yaml). 19 Cityscapes trainIds,
# 255 ignore. Weights: the official ttt_ks_semantic_baseline.pkl converted
# with tools/model_converters/video_ttt_to_mmvidseg.py.
# Run:   python tools/test_ttt.py <this config> video_ttt_ks_semantic.pth
#        --mode online   (baseline without TTT: --mode frozen)
_base_ = [
    '../_base_/models/video_ttt_swin-s.py', '../_base_/default_runtime.py'
]

num_things_classes = 0
num_stuff_classes = 19  # semantic: every class is a "stuff" query class
num_classes = num_things_classes + num_stuff_classes
model = dict(
    panoptic_head=dict(
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes,
        loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
    panoptic_fusion_head=dict(
        num_things_classes=num_things_classes,
        num_stuff_classes=num_stuff_classes),
    # SEMANTIC_ON only: class scores on the padded masks, then crop + resize
    test_cfg=dict(panoptic_on=False, semantic_on=True, instance_on=False))

data_root = 'data/kitti_step/'
meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor',
             'flip', 'flip_direction', 'video_id', 'frame_id', 'evaluate',
             'split')
# d2 ResizeShortestEdge(1024, 2048) (MIN/MAX_SIZE_TEST); the ground truth
# stays at the original resolution
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='mmdet.Resize', scale=(2048, 1024), keep_ratio=True),
    dict(type='LoadStreamSemSeg'),
    dict(type='mmdet.PackDetInputs', meta_keys=meta_keys),
]
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='KITTIStepStream',
        data_root=data_root,
        splits=('train', 'val'),
        pipeline=test_pipeline))
test_evaluator = dict(type='FrameMIoUMetric', num_classes=num_classes)
train_dataloader = train_cfg = None
val_dataloader = val_evaluator = val_cfg = None
test_cfg = dict(
    type='OnlineTTTLoop',
    mode='online',  # 'standard' reloads the weights per frame; 'frozen'
    ttt=dict(
        window_size=16,  # TTT.WIN_SIZE: the explicit memory
        batch_size=32,  # --batch_size
        accum_iter=4,  # --accum_iter: 8 images per micro-batch
        restart_optimizer=True,  # --restart_optimizer
        lr=1e-4,  # README --base_lrs 0.0001 (the runner's default is 1e-5)
        weight_decay=0.05,
        backbone_lr_mult=0.1,
        grad_clip=0.01,  # CLIP_GRADIENTS full_model 0.01
        # ResizeShortestEdge choice int(x * 0.1 * 1024), x = 5..20, max
        # 4096, crop 512 x 1024, flip (no SSD colour augmentation)
        augment=dict(type='shortest_edge', crop_size=(512, 1024)),
        amp='auto',
        seed=0),
    checkpoint_interval=0)
