# STEm-Seg KITTI-MOTS stage 1 (sabarim/STEm-Seg:
# stemseg/config/kitti_mots_1.yaml): xyt embeddings (no free dims), semantic
# head for car / pedestrian (+ foreground), 80k steps, exp decay x0.1 over
# 20k steps from 60k, MIN_SEEDINESS_PROB 0.95.
# Stage 1 trains on Mapillary Vistas pseudo-clips only (DATA.KITTI_MOTS:
# MAPILLARY_WEIGHT 1.0, KITTI_MOTS_WEIGHT 0.0; mapillary_data_loader.py);
# stage 2 fine-tunes on KITTI-MOTS.
# Evaluation: KITTI-MOTS val, txt files written and post-processed as the
# reference (results_nms filters), sMOTSA / HOTA.
_base_ = './stemseg_r101-fpn_1xb2-160k_youtube-vis-2019.py'
num_frames = 8
embedding_mode = 'xyt'

model = dict(
    embedding_head=dict(embedding_mode=embedding_mode),
    embedding_loss=dict(embedding_mode=embedding_mode, free_dim_stds=()),
    semseg_head=dict(num_classes=2, inter_channels=(256, 256, 128, 128)),
    test_cfg=dict(
        clip_overlap=4,
        min_seediness_prob=0.95,
        max_tracks=1000,
        resize_embeddings=False))

max_iters = 2 * 80000
param_scheduler = [
    dict(
        type='ExponentialLR',
        gamma=0.1**(1.0 / (2 * 20000)),
        begin=2 * 60000,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)

kitti_root = 'data/kitti_mots/'
caffe_mean = [102.9801, 115.9465, 122.7717]
# one image -> T frames (ImageToSeqAugmenter), see the YouTube-VIS config;
# Mapillary: rotation +-10, no motion blur
_train_pipeline = [
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
        rotation_range=(-10, 10),
        motion_blur_prob=0.0,
        pad_val=caffe_mean),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='InterpolateResize', scale=(1248, 736),
                 keep_ratio=True)]),
    dict(type='PackTrackInputs')
]
# sabarim/STEm-Seg: stemseg/data/metainfo/mapillary.yaml: Car (56) -> car,
# Person (20) -> pedestrian; riders and other vehicles -> ignore regions
mapillary_ignore_ids = [21, 22, 23, 53, 55, 57, 58, 59, 60, 61, 62, 63]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,  # Mapillary pseudo-clips instead of YouTube-VIS
        type='WeightedConcatDataset',
        weights=[1.0],
        total_samples=max_iters,  # iterations x 1 clip
        datasets=[
            dict(
                type='ImagePseudoClipDataset',
                data_root='data/mapillary/',
                # STEm-Seg's mapillary.json (generic image JSON); train + val
                # images in one folder, downsampled to the reference's
                # metainfo/mapillary_image_dims.json
                ann_file='stemseg/mapillary.json',
                data_prefix=dict(img_path='stemseg_images/'),
                num_frames=1,  # one copy; PseudoClipAugment makes T frames
                category_map={56: 0, 20: 1},
                ignore_category_ids=mapillary_ignore_ids,
                min_instance_area=30,
                max_instances=30,
                metainfo=dict(classes=('car', 'pedestrian')),
                lazy_init=True,  # the mix initialises its parts
                pipeline=_train_pipeline)
        ]))
_test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='InterpolateResize', scale=(1248, 736), keep_ratio=True),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs', meta_keys=('video_name', ))
]
val_dataloader = dict(
    dataset=dict(
        _delete_=True,  # KITTI-MOTS val
        type='KITTIMOTSDataset',
        data_root=kitti_root,
        ann_file='val.seqmap',
        test_mode=True,
        pipeline=_test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(
    _delete_=True,  # sMOTSA / HOTA instead of YouTube-VIS AP
    type='KITTIMOTSMetric',
    class_ids=(1, 2),
    # the reference KITTI-MOTS writer + its results_nms post-processing
    pred_format='stemseg',
    postprocess=True,
    outfile_prefix='./work_dirs/stemseg_kitti_mots/results_nms')
test_evaluator = val_evaluator
