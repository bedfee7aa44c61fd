# Copyright (c) mmvidseg contributors. All rights reserved.
"""A tiny STEm-Seg model config and track samples shared by the STEm-Seg
tests."""
import numpy as np
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import InstanceData

from mmvidseg.utils import register_all_modules

register_all_modules()
T = 4


def tiny_cfg(semseg=True, **test_cfg):
    heads = dict(in_channels=16, inter_channels=(16, 16, 8, 8), num_frames=T,
                 norm_cfg=dict(type='GN', num_groups=4))
    cfg = dict(
        type='STEmSeg',
        backbone=dict(type='ResNet', depth=18, base_channels=16,
                      out_indices=(0, 1, 2, 3), style='caffe',
                      norm_cfg=dict(type='StemSegFrozenBN', eps=0.0),
                      norm_eval=True, init_cfg=None),
        neck=dict(type='FPN', in_channels=[16, 32, 64, 128], out_channels=16,
                  num_outs=4,
                  upsample_cfg=dict(mode='bilinear', align_corners=False)),
        embedding_head=dict(type='StemSegEmbeddingHead',
                            embedding_mode='xyff',
                            seediness_output=semseg, **heads),
        embedding_loss=dict(type='StemSegEmbeddingLoss',
                            embedding_mode='xyff'),
        test_cfg=dict(clip_overlap=2, **test_cfg))
    if semseg:
        cfg.update(semseg_head=dict(type='StemSegSemsegHead', num_classes=3,
                                    **heads),
                   semseg_loss=dict(type='StemSegSemsegLoss'))
    else:
        cfg.update(seediness_head=dict(type='StemSegSeedinessHead', **heads))
    return cfg


def track_sample(num_frames, with_gt=False, h=96, w=96):
    frames = []
    for t in range(num_frames):
        f = DetDataSample(metainfo=dict(
            img_shape=(h - 4, w - 2), ori_shape=(30, 31), frame_id=t,
            img_id=t, video_id=0))
        if with_gt:
            masks = np.zeros((2, h, w), np.uint8)
            masks[0, 4:24, 4:28] = 1
            masks[1, 32 + t:56 + t, 30:60] = 1
            f.gt_instances = InstanceData(
                masks=BitmapMasks(masks, h, w),
                labels=torch.tensor([0, 2]),
                instances_ids=torch.tensor([7, 9]))
        frames.append(f)
    s = TrackDataSample()
    s.video_data_samples = frames
    return s
