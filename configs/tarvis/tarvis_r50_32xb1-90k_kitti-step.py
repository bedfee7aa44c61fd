# TarViS ResNet-50 on KITTI-STEP (video panoptic segmentation; tarvis.md
# sections 4-5): the jointly fine-tuned checkpoint of
# ./tarvis_r50_32xb1-90k_youtubevis2021.py with the KITTI_STEP semantic
# queries. Inference as the official KITTI-STEP run: native 375x1242 frames,
# clips of 6 with overlap 3, at most 1000 tracks per clip with score >= 0.5,
# a track kept when its averaged class is a thing (person 11, car 13) with
# score > 0.5, stuff from the semantic queries; STQ. Training with this file
# fine-tunes on KITTI-STEP alone with the official optimiser and schedule and
# the VPS loss settings (semantic CE on 50176 points per frame).
_base_ = [
    '../_base_/models/tarvis_r50.py', '../_base_/datasets/kitti_step.py',
    '../_base_/schedules/tarvis_adamw-90k.py', '../_base_/default_runtime.py'
]

model = dict(
    dataset_name='KITTI_STEP',
    task='vps',
    # PANOPTIC_SEMANTIC_NUM_POINTS of the finetune configs
    semantic_loss=dict(num_points=50176),
    test_cfg=dict(
        clip_length=6,
        overlap=3,
        linker=dict(
            _delete_=True,  # the VPS assembler replaces the VIS linker
            type='TarViSVPSAssembler',
            thing_classes=[11, 13],
            max_tracks_per_clip=1000,
            track_score_threshold=0.5,
            video_score_threshold=0.5)))
# a checkpoint every 10k iterations and the last one
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=10000,
        save_last=True))
load_from = 'checkpoints/tarvis_r50_finetune_mmvidseg.pth'
