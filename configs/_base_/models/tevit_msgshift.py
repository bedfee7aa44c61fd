# TeViT with its MsgShifT backbone (PVTv2-b1 + messenger shift) instead of
# ResNet-50; everything else as ./tevit_r50.py. Re-implements the model of
# hustvl/TeViT: configs/tevit/tevit_msgshift.py (161.83 M parameters).
_base_ = './tevit_r50.py'

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
    neck=dict(type='FPN', in_channels=[64, 128, 320, 512]))
