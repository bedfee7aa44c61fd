# TarViS with Mask2Former's D2SwinTransformer (Swin-T) as mmdet's
# SwinTransformer (tarvis.md section 2.2; parity in configs/tarvis/README.md).
_base_ = './tarvis_r50.py'

depths = [2, 2, 6, 2]
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
        depths=depths,
        num_heads=[3, 6, 12, 24],
        window_size=7),
    neck=dict(in_channels=[96, 192, 384, 768]),
)
