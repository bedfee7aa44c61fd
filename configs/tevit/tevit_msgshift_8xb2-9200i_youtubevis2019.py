# TeViT (MsgShifT = PVTv2-b1 + messenger shift, STQI heads) on YouTube-VIS
# 2019: 8 GPUs x 2 clips x 5 frames, 9200 iterations, single-scale 'range'
# resize. Re-implements hustvl/TeViT: configs/tevit/tevit_msgshift.py
# (README: 46.3 AP with the official checkpoint, 161.83 M parameters).
_base_ = './tevit_r50_8xb2-9200i_youtubevis2019.py'

model = dict(
    backbone=dict(
        _delete_=True,  # replaces the ResNet-50 settings of the base config
        type='MsgShifT',
        embed_dims=64,
        num_layers=[2, 2, 2, 2],
        num_msg_tokens=32,
        shift_strides=[1, -1, 2, -2],
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://github.com/whai362/PVT/releases/download/v2/'
            'pvt_v2_b1.pth')),
    neck=dict(in_channels=[64, 128, 320, 512]))

# COCO QueryInst with a PVTv2-b1 backbone (hustvl/Storage release v1.1.0);
# `backbone.msg_tokens` is not in it and keeps its trunc-normal init
load_from = 'https://github.com/hustvl/Storage/releases/download/v1.1.0/queryinst_pvtv2-b1_fpn_mstrain_480-800_3x_coco.pth'  # noqa
