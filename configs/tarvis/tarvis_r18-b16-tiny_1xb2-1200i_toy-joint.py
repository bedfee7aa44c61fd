# TarViS-tiny trained JOINTLY on four toy tasks with one set of weights:
# toy YouTube-VIS (VIS), toy KITTI-STEP (VPS), toy DAVIS and toy BURST (VOS
# clips with mask exemplars; 30 % of the objects become point exemplars in
# the object encoder, as the official PET training). The model of the toy
# YouTube-VIS config plus the object encoder and the VOS query groups.
# Official joint training: TaskAwareBatchSampler (one dataset + task per
# optimiser step, VOS batches of one object count) and GlobalBatchHook
# (gradient accumulation keeps the global batch on any number of processes;
# toy: 4 clips = 1 process x 2 clips x 2 accumulated batches). Evaluates toy
# YouTube-VIS AP as the base config; the other tasks' test settings are in
# `task_tests` below (same weights, only model.task / dataset_name / test_cfg
# and the test data switched): tools/analysis_tools/score_joint_toy.py scores
# one checkpoint on all four tasks (README).
_base_ = ['./tarvis_r18-b16-tiny_1xb4-1200i_toy-ytvis.py']

feat = 64
global_batch = 4
max_iters = 1200  # optimiser steps (GlobalBatchHook scales the loop)
model = dict(
    dataset_name='TOY_YTVIS',
    embedding_container=dict(
        num_classes=dict(
            _delete_=True,  # the two toy VIS / VPS blocks
            TOY_KITTI_STEP=6,
            TOY_YTVIS=3)),
    decoder=dict(group_names=('instance', 'background', 'semantic',
                              'background_vos', 'vos')),
    object_encoder=dict(
        _delete_=True,  # the base toy has none (None cannot be merged into)
        type='TarViSObjectEncoder',
        embed_dims=feat,
        num_heads=4,
        feedforward_channels=4 * feat),
    vos_loss=dict(type='TarViSVOSLoss', num_points=2304))

toy = 'data/toy/'
vis_pipeline = [
    dict(type='VideoClipSample', num_frames=2, mode='random_ordered'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackTrackInputs')
]
vps_pipeline = [
    dict(type='ReferenceFrameClipSample', num_frames=2, sampling_factor=2.0),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadVideoPanopticAnnotations'),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackVideoPanopticInputs')
]
# TarViSVOSClips has already chosen the frames (reference first)
vos_pipeline = [
    dict(type='VideoClipSample', num_frames=2, mode='all'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackTrackInputs')
]
weights = dict(TOY_YTVIS=0.4, TOY_KITTI_STEP=0.2, DAVIS=0.2, BURST=0.2)
total = max_iters * global_batch  # the reference's sample pool
train_dataloader = dict(
    _delete_=True,  # the four-task mix replaces the toy YouTube-VIS loader
    batch_size=2,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    batch_sampler=dict(
        type='TaskAwareBatchSampler', global_batch=global_batch,
        chunk_steps=8),
    dataset=dict(
        type='WeightedConcatDataset',
        weights=list(weights.values()),
        total_samples=total,
        ignore_keys=['dataset_name', 'tasks', 'classes'],
        datasets=[
            dict(
                type='TaskTaggedDataset',
                task='vis',
                dataset_name='TOY_YTVIS',
                dataset=dict(
                    type='YouTubeVISDataset',
                    data_root=toy + 'youtube_vis/',
                    dataset_version=None,
                    ann_file='train.json',
                    data_prefix=dict(img_path='train/JPEGImages'),
                    pipeline=vis_pipeline)),
            dict(
                type='TaskTaggedDataset',
                task='vps',
                dataset_name='TOY_KITTI_STEP',
                dataset=dict(
                    type='KITTISTEPDataset',
                    data_root=toy + 'kitti_step/',
                    split='train',
                    metainfo=dict(
                        classes=('sky', 'wall', 'ground', 'square', 'circle',
                                 'triangle'),
                        thing_classes=('square', 'circle', 'triangle')),
                    pipeline=vps_pipeline)),
            dict(
                type='TaskTaggedDataset',
                task='vos',
                dataset_name='DAVIS',
                dataset=dict(
                    type='TarViSVOSClips',
                    num_samples=int(total * weights['DAVIS']),
                    clip_length=2,
                    frame_sampling_factor=2.0,
                    pipeline=vos_pipeline,
                    dataset=dict(
                        type='DAVISDataset',
                        data_root=toy + 'davis/DAVIS',
                        task='semi-supervised',
                        split='train',
                        with_void=False,
                        filter_cfg=dict(filter_empty_gt=False)))),
            dict(
                type='TaskTaggedDataset',
                task='vos',
                dataset_name='BURST',
                dataset=dict(
                    type='TarViSVOSClips',
                    num_samples=int(total * weights['BURST']),
                    clip_length=2,
                    frame_sampling_factor=2.0,
                    pipeline=vos_pipeline,
                    dataset=dict(
                        type='BURSTDataset',
                        data_root=toy + 'burst/',
                        ann_file='annotations/train/all_classes.json',
                        data_prefix=dict(img_path='frames/train')))),
        ]))
custom_hooks = [dict(type='GlobalBatchHook', global_batch=global_batch)]
# each task leaves other query groups without gradient (multi-process runs)
model_wrapper_cfg = dict(
    type='MMDistributedDataParallel', find_unused_parameters=True)

# ---------------------------------------------------------------------------
# Per-task test settings for the SAME weights, read by
# tools/analysis_tools/score_joint_toy.py: `model` keys replace the model's
# (test_cfg whole), `test_dataloader` / `test_evaluator` replace the toy
# YouTube-VIS ones. Toy frames are 96 x 96 and never resized.
_test_loader = dict(
    batch_size=1,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False))
_load_track = dict(
    type='TransformBroadcaster',
    transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadTrackAnnotations', with_mask=True),
    ])
task_tests = dict(
    # video panoptic: the TOY_KITTI_STEP block and the official KITTI-STEP
    # assembly (clips 6 / 3, scores >= 0.5) as the single-task toy VPS config
    vps=dict(
        model=dict(
            task='vps',
            dataset_name='TOY_KITTI_STEP',
            test_cfg=dict(
                clip_length=6,
                overlap=3,
                linker=dict(
                    type='TarViSVPSAssembler',
                    thing_classes=[3, 4, 5],  # square, circle, triangle
                    max_tracks_per_clip=1000,
                    track_score_threshold=0.5,
                    video_score_threshold=0.5))),
        test_dataloader=dict(
            **_test_loader,
            dataset=dict(
                type='KITTISTEPDataset',
                data_root=toy + 'kitti_step/',
                split='val',
                metainfo=dict(
                    classes=('sky', 'wall', 'ground', 'square', 'circle',
                             'triangle'),
                    thing_classes=('square', 'circle', 'triangle')),
                test_mode=True,
                pipeline=[
                    dict(
                        type='TransformBroadcaster',
                        transforms=[
                            dict(type='LoadImageFromFile'),
                            dict(
                                type='LoadVideoPanopticAnnotations',
                                with_panoptic=True),
                        ]),
                    dict(
                        type='PackVideoPanopticInputs',
                        meta_keys=('video_name', ))
                ])),
        test_evaluator=[
            dict(type='STQMetric'),
            dict(type='VPQMetric', window_convention='vipseg')
        ]),
    # semi-supervised VOS: each object's mask in its first annotated frame;
    # clips 4 / 2 (official 12 / 6 on 480p) so the 8-frame toy videos go
    # through the per-clip query re-initialisation. Toy objects may enter
    # after frame 0 (the official protocol cannot score them): every object
    # is scored on the frames after its first appearance, which equals the
    # official J&F when all objects are in frame 0.
    davis=dict(
        model=dict(
            task='vos',
            test_cfg=dict(clip_length=4, overlap=2)),
        test_dataloader=dict(
            **_test_loader,
            dataset=dict(
                type='DAVISDataset',
                data_root=toy + 'davis/DAVIS',
                task='semi-supervised',
                split='val',
                with_void=False,
                test_mode=True,
                pipeline=[
                    _load_track,
                    dict(type='PackTrackInputs', meta_keys=('video_name', ))
                ])),
        test_evaluator=dict(
            type='DAVISMetric',
            task='semi-supervised',
            objects_from='first_appearance')),
    # point-exemplar tracking (TarViS's BURST task; the joint training turns
    # 30 % of the VOS objects into points): the point of each track's first
    # annotated frame, clips 4 / 2 (official 8 / 4), exemplar-guided HOTA on
    # every annotated frame, tracks keep their GT categories (the model is
    # class-agnostic). task='vos' there: mask exemplars (burst-mask).
    burst=dict(
        model=dict(
            task='pet',
            test_cfg=dict(clip_length=4, overlap=2)),
        test_dataloader=dict(
            **_test_loader,
            dataset=dict(
                type='BURSTDataset',
                data_root=toy + 'burst/',
                ann_file='annotations/val/all_classes.json',
                exemplar_file='annotations/val/first_frame_annotations.json',
                data_prefix=dict(img_path='frames/val'),
                num_interleaved=10,
                test_mode=True,
                pipeline=[
                    _load_track,
                    dict(
                        type='PackTrackInputs',
                        meta_keys=('video_name', 'is_annotated')),
                    dict(type='PackExemplarPoints')
                ])),
        test_evaluator=dict(
            type='BURSTHOTAMetric',
            exemplar_guided=True,
            track_categories='ground_truth',  # as TarViS's BURST writer
            split='val')))
