# TeViT with a Swin-L backbone (STQI heads only), 300 queries, multi-scale
# training (short edge 320..800 step 32, long edge <= 1333), test at
# (1333, 480). Re-implements hustvl/TeViT: configs/tevit/
# tevit_swin-l_mstrain.py (README: 56.8 AP, 343.86 M parameters).
_base_ = './tevit_r50_8xb2-9200i_youtubevis2019.py'

num_proposals = 300
pretrained = 'https://download.openmmlab.com/mmclassification/v0/swin-transformer/convert/swin_large_patch4_window7_224_22kto1k-5f0996db.pth'  # noqa
model = dict(
    backbone=dict(
        _delete_=True,  # replaces the ResNet-50 settings of the base config
        type='SwinTransformer',
        embed_dims=192,
        depths=[2, 2, 18, 2],
        num_heads=[6, 12, 24, 48],
        window_size=7,
        mlp_ratio=4,
        qkv_bias=True,
        qk_scale=None,
        drop_rate=0.,
        attn_drop_rate=0.,
        drop_path_rate=0.2,
        patch_norm=True,
        out_indices=(0, 1, 2, 3),
        with_cp=True,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    neck=dict(in_channels=[192, 384, 768, 1536]),
    rpn_head=dict(num_proposals=num_proposals))

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
                scales=[(1333, s) for s in range(320, 801, 32)],
                keep_ratio=True),
            dict(type='RandomFlip', prob=0.5),
        ]),
    dict(type='PackTrackInputs')
]
test_pipeline = [
    dict(
        type='TransformBroadcaster',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(1333, 480), keep_ratio=True),
            dict(type='LoadTrackAnnotations', with_mask=True),
        ]),
    dict(type='PackTrackInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))

# mmengine, like mmcv 1, applies the longest matching key only: backbone norms
# match 'backbone' (longer than 'norm') and keep lr_mult 0.1 with weight decay;
# relative_position_bias_table / absolute_pos_embed get decay 0 but lr_mult 1.0
# (official behaviour, kept)
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'backbone': dict(lr_mult=0.1, decay_mult=1.0),
            'absolute_pos_embed': dict(decay_mult=0.),
            'relative_position_bias_table': dict(decay_mult=0.),
            'norm': dict(decay_mult=0.)
        }))

# COCO QueryInst Swin-L (300 proposals) from hustvl/QueryInst: download it and
# pass `--cfg-options load_from=<file>` (no stable URL is published)
load_from = None
