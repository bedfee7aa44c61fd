# TarViS ResNet-50 on VIPSeg (tarvis.md sections 4-5): the jointly fine-tuned
# checkpoint of ./tarvis_r50_32xb1-90k_youtubevis2021.py with the VIPSEG
# semantic queries (124 classes). Inference as the official VIPSEG run: min
# side 576 / max 1333, clips of 12 with overlap 6, at most 1000 tracks per
# clip with score >= 0.5, things = the 58 thing ids of
# Ali2500/TarViS: tarvis/inference/dataset_parser/vipseg.py
# (= mmvidseg.datasets.vps.VIPSEG_THING_IDS); VPQ windows 1, 2, 4, 6, 8.
_base_ = [
    '../_base_/models/tarvis_r50.py', '../_base_/datasets/vipseg.py',
    '../_base_/schedules/tarvis_adamw-90k.py', '../_base_/default_runtime.py'
]

model = dict(
    dataset_name='VIPSEG',
    task='vps',
    # PANOPTIC_SEMANTIC_NUM_POINTS of the finetune configs
    semantic_loss=dict(num_points=50176),
    test_cfg=dict(
        clip_length=12,
        overlap=6,
        linker=dict(
            _delete_=True,  # the VPS assembler replaces the VIS linker
            type='TarViSVPSAssembler',
            thing_classes=[
                2, 4, 8, 10, 41, 43, 44, 46, 47, 48, 49, 50, 51, 52, 54, 55,
                56, 60, 61, 62, 63, 64, 65, 72, 74, 76, 77, 78, 79, 82, 83,
                84, 85, 86, 87, 88, 89, 90, 91, 92, 95, 96, 97, 99, 100, 101,
                102, 106, 107, 108, 109, 114, 115, 116, 117, 118, 122, 123
            ],
            max_tracks_per_clip=1000,
            track_score_threshold=0.5,
            video_score_threshold=0.5)))
# a checkpoint every 10k iterations and the last one
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=10000,
        save_last=True))
load_from = 'checkpoints/tarvis_r50_finetune_mmvidseg.pth'
