# TarViS Swin-L (D2SwinTransformer, window 12 @ 384, 22k, drop
# path 0.3) on YouTube-VIS 2021:
# ./tarvis_r50_32xb1-90k_youtubevis2021.py
# with the Swin backbone of the released swin-large_finetune checkpoint
# (converted with tools/model_converters/tarvis_to_mmvidseg.py --backbone
# swin-large).
_base_ = [
    '../_base_/models/tarvis_swin-l.py',
    '../_base_/datasets/youtube_vis_2021_tarvis.py',
    '../_base_/schedules/tarvis_adamw-90k.py', '../_base_/default_runtime.py'
]

# a checkpoint every 10k iterations and the last one
default_hooks = dict(
    checkpoint=dict(
        type='CheckpointHook', by_epoch=False, interval=10000,
        save_last=True))
depths = [2, 2, 18, 2]  # as the backbone of the model base
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
