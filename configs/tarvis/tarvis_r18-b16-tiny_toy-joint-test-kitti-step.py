# The toy joint TarViS-tiny (./tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py,
# same weights) on toy KITTI-STEP valid, video panoptic segmentation: the
# TOY_KITTI_STEP semantic block, the official KITTI-STEP assembly (clips 6 /
# 3, track / video scores >= 0.5) as the single-task toy VPS config
# (./tarvis_r18-b16-tiny_1xb4-1200i_toy-kitti-step.py), scored by STQ and
# VPQ (VIPSeg windows). Run by tools/analysis_tools/score_joint_toy.py with
# the other three tasks.
_base_ = ['./tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py']

model = dict(
    dataset_name='TOY_KITTI_STEP',
    task='vps',
    test_cfg=dict(
        clip_length=6,
        overlap=3,
        linker=dict(
            _delete_=True,  # the VPS assembler replaces the VIS linker
            type='TarViSVPSAssembler',
            thing_classes=[3, 4, 5],  # square, circle, triangle
            max_tracks_per_clip=1000,
            track_score_threshold=0.5,
            video_score_threshold=0.5)))

test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVideoPanopticAnnotations', with_panoptic=True),
        ]),
    dict(type='PackVideoPanopticInputs', meta_keys=('video_name', ))
]
test_dataloader = dict(
    _delete_=True,  # toy KITTI-STEP, not the toy YouTube-VIS valid loader
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type='KITTISTEPDataset',
        data_root='data/toy/kitti_step/',
        split='val',
        metainfo=dict(
            classes=('sky', 'wall', 'ground', 'square', 'circle',
                     'triangle'),
            thing_classes=('square', 'circle', 'triangle')),
        test_mode=True,
        pipeline=test_pipeline))
test_evaluator = [
    dict(type='STQMetric'),
    dict(type='VPQMetric', window_convention='vipseg')
]
val_dataloader = test_dataloader
val_evaluator = test_evaluator
