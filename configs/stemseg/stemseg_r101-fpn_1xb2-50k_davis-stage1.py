# STEm-Seg DAVIS stage 1 (sabarim/STEm-Seg: stemseg/config/davis_1.yaml):
# T=8, xyff embeddings, separate seediness head, no semantic head,
# 50k steps, exp decay x0.1 over 10k steps from 40k.
# Training data as the reference (DATA.DAVIS weights): a fixed mix of
# max_iters samples, COCO .25 / YouTube-VIS .35 / DAVIS-2017 train
# (unsupervised annotations) .3 / VOC .1, class-agnostic (labels are unused:
# no semantic head); COCO and VOC images as pseudo-clips. Evaluation:
# DAVIS-2017 unsupervised val, J&F.
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
# INPUT.MIN_DIM 736 / MAX_DIM 1248. Single-instance duplication at full
# resolution for YouTube-VIS (DATA.YOUTUBE_VIS.SINGLE_INSTANCE_DUPLICATION)
# and DAVIS (hard-coded in stemseg/training/utils.py, with the background as
# ignore region: background_as_ignore_region=True)


def _video_pipeline(background_as_ignore):
    return [
        dict(type='VideoClipSample', num_frames=num_frames,
             mode='consecutive'),
        dict(
            type='TransformBroadcaster',
            transforms=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadTrackAnnotations', with_mask=True),
            ]),
        dict(type='SingleInstanceDuplicate',
             background_as_ignore=background_as_ignore),
        dict(
            type='TransformBroadcaster',
            share_random_params=True,
            transforms=[
                dict(type='InterpolateResize', scale=(1248, 736),
                     keep_ratio=True)
            ]),
        dict(type='PackTrackInputs')
    ]


_train_pipeline = _video_pipeline(False)  # YouTube-VIS
_davis_train_pipeline = _video_pipeline(True)
davis_root = 'data/DAVIS/'
ytvis_root = 'data/youtube_vis_2019/'
caffe_mean = [102.9801, 115.9465, 122.7717]


def _image_pipeline(rotation):
    # one image -> T frames (ImageToSeqAugmenter), see the YouTube-VIS config
    return [
        dict(type='VideoClipSample', num_frames=1, mode='consecutive'),
        dict(
            type='TransformBroadcaster',
            transforms=[
                dict(type='LoadImageFromFile'),
                dict(type='LoadTrackAnnotations', with_mask=True),
            ]),
        # other parameters: the transform's defaults (ImageToSeqAugmenter's)
        dict(
            type='PseudoClipAugment',
            num_frames=num_frames,
            rotation_range=rotation,
            pad_val=caffe_mean),
        dict(
            type='TransformBroadcaster',
            share_random_params=True,
            transforms=[
                dict(type='InterpolateResize', scale=(1248, 736),
                     keep_ratio=True)
            ]),
        dict(type='PackTrackInputs')
    ]


# sabarim/STEm-Seg: stemseg/data/metainfo/{coco,pascal_voc}.yaml, keep_davis
coco_davis_ids = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 27,
    34, 35, 36, 37, 38, 39, 41, 42, 43
]
voc_davis_ids = [1, 2, 3, 4, 6, 7, 8, 10, 12, 13, 14, 15, 17, 19]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,  # the weighted mix instead of YouTube-VIS only
        type='WeightedConcatDataset',
        weights=[0.25, 0.35, 0.3, 0.1],
        total_samples=max_iters,  # iterations x 1 clip
        ignore_keys=['classes'],  # class-agnostic training
        datasets=[
            dict(
                type='ImagePseudoClipDataset',
                data_root='data/coco/',
                ann_file='annotations/instances_train2017.json',
                data_prefix=dict(img_path='train2017/'),
                num_frames=1,  # one copy; PseudoClipAugment makes T frames
                category_map={k: 0 for k in coco_davis_ids},
                class_agnostic=True,
                lazy_init=True,  # the mix initialises its parts
                pipeline=_image_pipeline((-12, 12))),
            dict(
                type='YouTubeVISDataset',
                data_root=ytvis_root,
                dataset_version='2019',
                ann_file='train.json',
                data_prefix=dict(img_path='train/JPEGImages'),
                lazy_init=True,
                pipeline=_train_pipeline),
            dict(
                type='DAVISDataset',
                data_root=davis_root,
                task='unsupervised',
                split='train',
                lazy_init=True,
                pipeline=_davis_train_pipeline),
            dict(
                type='ImagePseudoClipDataset',
                data_root='data/VOCdevkit/VOC2012/',
                # STEm-Seg's pascal_voc.json (generic image JSON)
                ann_file='stemseg/pascal_voc.json',
                data_prefix=dict(img_path='JPEGImages/'),
                num_frames=1,
                category_map={k: 0 for k in voc_davis_ids},
                class_agnostic=True,
                min_instance_area=50,
                lazy_init=True,
                pipeline=_image_pipeline((-10, 10))),
        ]))
_test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='InterpolateResize', scale=(1248, 736), keep_ratio=True),
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
    pred_order='rank',  # the reference DAVIS writer: tracks by lifetime
    outfile_prefix='./work_dirs/stemseg_davis/results')
test_evaluator = val_evaluator
