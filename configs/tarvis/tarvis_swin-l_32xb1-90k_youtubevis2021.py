# TarViS Swin-L (D2SwinTransformer, window 12 @ 384, 22k, drop
# path 0.3) on YouTube-VIS 2021:
# ./tarvis_r50_32xb1-90k_youtubevis2021.py
# with the Swin backbone of the released swin-large_finetune checkpoint
# (converted with tools/model_converters/tarvis_to_mmvidseg.py --backbone
# swin-large).
_base_ = './tarvis_r50_32xb1-90k_youtubevis2021.py'

depths = [2, 2, 18, 2]
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
        pretrain_img_size=384,
        embed_dims=192,
        depths=depths,
        num_heads=[6, 12, 24, 48],
        window_size=12),
    neck=dict(in_channels=[192, 384, 768, 1536]),
    # finetune_swin-large.yaml: semantic CE weight 1.0 + logit regulariser
    semantic_loss=dict(loss_weight=1.0, logit_regularization=True),
)
# official: no weight decay for norms, also inside the backbone (lr x 0.1);
# mmengine applies only the longest matching custom key, so list them
backbone_norm = dict(lr_mult=0.1, decay_mult=0.0)
custom_keys = {
    'backbone.patch_embed.norm': backbone_norm,
    'backbone.norm': backbone_norm,
}
custom_keys.update({
    f'backbone.stages.{i}.blocks.{j}.norm': backbone_norm
    for i, num_blocks in enumerate(depths) for j in range(num_blocks)
})
custom_keys.update({
    f'backbone.stages.{i}.downsample.norm': backbone_norm
    for i in range(len(depths) - 1)
})
optim_wrapper = dict(paramwise_cfg=dict(custom_keys=custom_keys))
load_from = 'checkpoints/tarvis_swin-large_finetune_mmvidseg.pth'
