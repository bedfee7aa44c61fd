# TarViS Swin-T (D2SwinTransformer, window 7 @ 224, drop path 0.3) on YouTube-VIS 2021:
# ./tarvis_r50_32xb1-90k_youtubevis2021.py with the Swin backbone of the released
# swin-tiny_finetune checkpoint (converted with tools/model_converters/
# tarvis_to_mmvidseg.py --backbone swin-tiny).
_base_ = './tarvis_r50_32xb1-90k_youtubevis2021.py'

model = dict(
    backbone=dict(
        _delete_=True,  # a SwinTransformer dict, not the ResNet one
        type='mmdet.SwinTransformer',
        patch_size=4,
        mlp_ratio=4,
        qkv_bias=True,
        qk_scale=None,
        drop_rate=0.,
        attn_drop_rate=0.,
        drop_path_rate=0.3,
        patch_norm=True,
        out_indices=(0, 1, 2, 3),
        with_cp=False,
        convert_weights=False,
        init_cfg=None,
        pretrain_img_size=224,
        embed_dims=96,
        depths=[2, 2, 6, 2],
        num_heads=[3, 6, 12, 24],
        window_size=7),
    neck=dict(in_channels=[96, 192, 384, 768]),
)
load_from = 'checkpoints/tarvis_swin-tiny_finetune_mmvidseg.pth'
