# TarViS ResNet-50 on Cityscapes-VPS (tarvis.md sections 4-5): the jointly
# fine-tuned checkpoint of ./tarvis_r50_32xb1-90k_youtubevis2021.py with the
# CITYSCAPES_VPS semantic queries (own block, SHARED_SEMSEG_QUERIES False).
# Inference as the official run with SPARSE_FRAMES: the 6 annotated frames of
# each 30-frame snippet at the native 1024x2048, clips of 10 with overlap 5
# (one clip per video), at most 1000 tracks per clip with score >= 0.5,
# things = classes 11-18 (person ... bicycle); VPQ over k = 0, 5, 10, 15.
_base_ = [
    '../_base_/models/tarvis_r50.py', '../_base_/datasets/cityscapes_vps.py',
    '../_base_/schedules/tarvis_adamw-90k.py', '../_base_/default_runtime.py'
]

model = dict(
    dataset_name='CITYSCAPES_VPS',
    task='vps',
    # PANOPTIC_SEMANTIC_NUM_POINTS of the finetune configs
    semantic_loss=dict(num_points=50176),
    test_cfg=dict(
        clip_length=10,
        overlap=5,
        linker=dict(
            _delete_=True,  # the VPS assembler replaces the VIS linker
            type='TarViSVPSAssembler',
            thing_classes=list(range(11, 19)),
            max_tracks_per_clip=1000,
            track_score_threshold=0.5,
            video_score_threshold=0.5)))
# a checkpoint every 10k iterations and the last one
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=10000,
        save_last=True))
load_from = 'checkpoints/tarvis_r50_finetune_mmvidseg.pth'
