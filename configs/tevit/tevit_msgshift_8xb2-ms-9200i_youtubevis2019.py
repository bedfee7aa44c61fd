# TeViT MsgShifT with multi-scale training: one of the two scales per clip
# (mmdet 2 multiscale_mode='value' = RandomChoiceResize). Re-implements
# hustvl/TeViT: configs/tevit/tevit_msgshift_mstrain.py (README: 46.9 AP).
_base_ = './tevit_msgshift_8xb2-9200i_youtubevis2019.py'

train_pipeline = [
    dict(type='VideoClipSample', num_frames=5, mode='random_unordered'),
    dict(
        type='TransformBroadcaster',
        share_random_params=True,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadTrackAnnotations', with_mask=True),
            dict(
                type='RandomChoiceResize',
                scales=[(640, 360), (960, 480)],
                keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackTrackInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
