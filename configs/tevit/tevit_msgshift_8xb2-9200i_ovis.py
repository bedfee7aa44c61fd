# TeViT MsgShifT on OVIS (25 classes). Not an official config: the official
# repository ships YouTube-VIS 2019 only. OVIS videos are long (up to ~300
# frames): inference runs in overlapping windows (test_cfg.chunk) so memory
# does not grow with the video length.
_base_ = './tevit_msgshift_8xb2-9200i_youtubevis2019.py'

num_classes = 25
num_stages = 6
# lists replace (not merge with) the base config's: the full heads again
model = dict(
    roi_head=dict(
        bbox_head=[
            dict(
                type='STQIHead',
                num_classes=num_classes,
                num_ffn_fcs=2,
                num_heads=8,
                num_cls_fcs=1,
                num_reg_fcs=3,
                feedforward_channels=2048,
                in_channels=256,
                dropout=0.0,
                ffn_act_cfg=dict(type='ReLU', inplace=True),
                dynamic_conv_cfg=dict(
                    type='DynamicConv',
                    in_channels=256,
                    feat_channels=64,
                    out_channels=256,
                    input_feat_shape=7,
                    act_cfg=dict(type='ReLU', inplace=True),
                    norm_cfg=dict(type='LN')),
                loss_bbox=dict(type='L1Loss', loss_weight=5.0),
                loss_iou=dict(type='GIoULoss', loss_weight=2.0),
                loss_cls=dict(
                    type='FocalLoss',
                    use_sigmoid=True,
                    gamma=2.0,
                    alpha=0.25,
                    loss_weight=2.0),
                bbox_coder=dict(
                    type='DeltaXYWHBBoxCoder',
                    clip_border=False,
                    target_means=[0., 0., 0., 0.],
                    target_stds=[0.5, 0.5, 1., 1.])) for _ in range(num_stages)
        ],
        mask_head=[
            dict(
                type='DynamicMaskHead',
                dynamic_conv_cfg=dict(
                    type='DynamicConv',
                    in_channels=256,
                    feat_channels=64,
                    out_channels=256,
                    input_feat_shape=14,
                    with_proj=False,
                    act_cfg=dict(type='ReLU', inplace=True),
                    norm_cfg=dict(type='LN')),
                num_convs=4,
                num_classes=num_classes,
                roi_feat_size=14,
                in_channels=256,
                conv_kernel_size=3,
                conv_out_channels=256,
                class_agnostic=False,
                norm_cfg=dict(type='BN'),
                upsample_cfg=dict(type='deconv', scale_factor=2),
                loss_mask=dict(
                    type='DiceLoss',
                    loss_weight=8.0,
                    use_sigmoid=True,
                    activate=False,
                    eps=1e-5)) for _ in range(num_stages)
        ]),
    test_cfg=dict(chunk=dict(num_frames=36, overlap=6, iou_thr=0.5)))

data_root = 'data/ovis/'
train_dataloader = dict(
    dataset=dict(
        type='OVISDataset',
        data_root=data_root,
        dataset_version='ovis',
        ann_file='annotations_train.json',
        data_prefix=dict(img_path='train')))
test_dataloader = dict(
    dataset=dict(
        type='OVISDataset',
        data_root=data_root,
        dataset_version='ovis',
        ann_file='annotations_valid.json',
        data_prefix=dict(img_path='valid')))
test_evaluator = dict(
    outfile_prefix='./work_dirs/ovis_results', dataset_version='ovis')
