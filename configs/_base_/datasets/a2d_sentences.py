# A2D-Sentences as MTTR reads it (mttr2021/MTTR:
# datasets/a2d_sentences/a2d_sentences_dataset.py, configs/a2d_sentences.yaml):
# one sample per (expression, annotated frame holding the referred actor), a
# window of `window_size` mp4 frames centred on it (edge-padded); short side
# 320 / long side <= 576; training flip that swaps "left" / "right"
# (p = 0.5). Scored on the test split with COCO mask mAP (all 50 queries),
# P@K, overall / mean IoU (top query).
dataset_type = 'A2DSentencesDataset'
data_root = 'data/a2d_sentences/'
window_size = 8
meta_keys = ('text', 'exp_id', 'referred_instance_id', 'is_annotated',
             'video_name', 'image_id')
train_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='Resize', scale=(576, 320), keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='FlipReferringText'),
    dict(type='PackTrackInputs', meta_keys=meta_keys)
]
test_pipeline = [
    dict(type='LoadVideoFrames'),
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(type='Resize', scale=(576, 320), keep_ratio=True),
        ]),
    dict(type='PackTrackInputs', meta_keys=meta_keys)
]
train_dataloader = dict(
    batch_size=2,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='train',
        window_size=window_size,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        split='test',
        window_size=window_size,
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='ReferMetric')
test_evaluator = val_evaluator
