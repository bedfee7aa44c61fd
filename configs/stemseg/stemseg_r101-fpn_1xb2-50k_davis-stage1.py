# STEm-Seg DAVIS stage 1 (sabarim/STEm-Seg: stemseg/config/davis_1.yaml):
# T=8, xyff embeddings, separate seediness head, no semantic head,
# 50k steps, exp decay x0.1 over 10k steps from 40k.
# The reference mixes COCO .25 / YouTube-VIS .35 / DAVIS .3 / VOC .1
# class-agnostically; the image pseudo-clip datasets (COCO, VOC) are not
# ported yet, so this config trains on YouTube-VIS + DAVIS-2017 train
# (unsupervised annotations) concatenated (no sampling weights; labels are
# unused: no semantic head). Evaluation: DAVIS-2017 unsupervised val, J&F.
_base_ = './stemseg_r101-fpn_1xb2-160k_youtube-vis-2019.py'
num_frames = 8

model = dict(
    embedding_head=dict(seediness_output=False, num_frames=num_frames),
    seediness_head=dict(
        type='StemSegSeedinessHead',
        in_channels=256,
        inter_channels=(256, 256, 128, 128),
        num_frames=num_frames,
        norm_cfg=dict(type='GN', num_groups=32)),
    # no semantic head on DAVIS: foreground = mean seediness > 0.25
    semseg_head=None,
    semseg_loss=None,
    test_cfg=dict(
        clip_overlap=4,
        max_tracks=20,
        output_format='davis',
        seediness_fg_thr=0.25,
        resize_embeddings=False))

max_iters = 2 * 50000
param_scheduler = [
    dict(
        type='ExponentialLR',
        gamma=0.1**(1.0 / (2 * 10000)),
        begin=2 * 40000,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
# INPUT.MIN_DIM 736 / MAX_DIM 1248
_train_transforms = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadTrackAnnotations', with_mask=True),
    dict(type='Resize', scale=(1248, 736), keep_ratio=True),
]
_train_pipeline = [
    dict(type='VideoClipSample', num_frames=num_frames, mode='consecutive'),
    dict(type='TransformBroadcaster', share_random_params=True,
         transforms=_train_transforms),
    dict(type='PackTrackInputs')
]
davis_root = 'data/DAVIS/'
ytvis_root = 'data/youtube_vis_2019/'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,  # YouTube-VIS + DAVIS instead of YouTube-VIS only
        type='ConcatDataset',
        ignore_keys=['classes'],  # class-agnostic training
        datasets=[
            dict(
                type='YouTubeVISDataset',
                data_root=ytvis_root,
                dataset_version='2019',
                ann_file='train.json',
                data_prefix=dict(img_path='train/JPEGImages'),
                lazy_init=True,  # ConcatDataset initialises its parts
                pipeline=_train_pipeline),
            dict(
                type='DAVISDataset',
                data_root=davis_root,
                task='unsupervised',
                split='train',
                lazy_init=True,
                pipeline=_train_pipeline),
        ]))
_test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(1248, 736), keep_ratio=True),
        ]),
    dict(type='PackTrackInputs', meta_keys=('video_name', ))
]
val_dataloader = dict(
    dataset=dict(
        _delete_=True,  # DAVIS-2017 unsupervised val
        type='DAVISDataset',
        data_root=davis_root,
        task='unsupervised',
        split='val',
        with_void=False,
        test_mode=True,
        pipeline=_test_pipeline))
test_dataloader = val_dataloader
# results/<seq>/<frame>.png as the reference DAVIS writer (<= 20 tracks)
val_evaluator = dict(
    _delete_=True,  # J&F instead of YouTube-VIS AP
    type='DAVISMetric',
    task='unsupervised',
    outfile_prefix='./work_dirs/stemseg_davis/results')
test_evaluator = val_evaluator
