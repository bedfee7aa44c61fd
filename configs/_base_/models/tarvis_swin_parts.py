# Swin-T / Swin-L parts for TarViS configs that inherit a ResNet-50 TarViS
# config of the same dataset (tarvis.md section 2.2): mmdet SwinTransformer
# dicts reproducing Mask2Former's D2SwinTransformer, the neck input channels,
# and the official optimiser rule "no weight decay for norms, also inside the
# backbone (lr x 0.1)" spelled out per norm, since mmengine applies only the
# longest matching custom key. Used as
#   _base_ = ['./tarvis_r50_<schedule>_<dataset>.py',
#             '../_base_/models/tarvis_swin_parts.py']
#   model = dict(backbone={{_base_.tarvis_swin_t_backbone}}, ...)
# Defines no `model` / `optim_wrapper` itself (no clash with the R-50 config).


def _swin(embed_dims, depths, num_heads, window_size, pretrain_img_size):
    return dict(
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
        pretrain_img_size=pretrain_img_size,
        embed_dims=embed_dims,
        depths=depths,
        num_heads=num_heads,
        window_size=window_size)


def _norm_keys(depths):
    backbone_norm = dict(lr_mult=0.1, decay_mult=0.0)
    keys = {
        'backbone.patch_embed.norm': backbone_norm,
        'backbone.norm': backbone_norm,
    }
    keys.update({
        f'backbone.stages.{i}.blocks.{j}.norm': backbone_norm
        for i, num_blocks in enumerate(depths) for j in range(num_blocks)
    })
    keys.update({
        f'backbone.stages.{i}.downsample.norm': backbone_norm
        for i in range(len(depths) - 1)
    })
    return keys


# Swin-T: window 7 @ 224, ImageNet-1k
tarvis_swin_t_backbone = _swin(96, [2, 2, 6, 2], [3, 6, 12, 24], 7, 224)
tarvis_swin_t_in_channels = [96, 192, 384, 768]
tarvis_swin_t_norm_keys = _norm_keys([2, 2, 6, 2])
# Swin-L: window 12 @ 384, ImageNet-22k
tarvis_swin_l_backbone = _swin(192, [2, 2, 18, 2], [6, 12, 24, 48], 12, 384)
tarvis_swin_l_in_channels = [192, 384, 768, 1536]
tarvis_swin_l_norm_keys = _norm_keys([2, 2, 18, 2])
# pre-training starts from the official ImageNet Swin weights (the
# reference's pretrained_backbones/swin_{tiny_patch4_window7_224,
# large_patch4_window12_384_22k}.pth), converted to mmdet names on load
_swin_url = 'https://github.com/SwinTransformer/storage/releases/download/' \
    'v1.0.0/'
tarvis_swin_t_backbone_imagenet = dict(
    tarvis_swin_t_backbone, convert_weights=True,
    init_cfg=dict(type='Pretrained',
                  checkpoint=_swin_url + 'swin_tiny_patch4_window7_224.pth'))
tarvis_swin_l_backbone_imagenet = dict(
    tarvis_swin_l_backbone, convert_weights=True,
    init_cfg=dict(type='Pretrained', checkpoint=_swin_url +
                  'swin_large_patch4_window12_384_22k.pth'))
del _swin, _norm_keys, _swin_url
