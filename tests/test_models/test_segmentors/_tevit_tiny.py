# Copyright (c) mmvidseg contributors. All rights reserved.
"""The toy TeViT model and synthetic clips shared by the TeViT tests."""
import copy
from pathlib import Path

import numpy as np
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmdet.structures.mask import BitmapMasks
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()
ROOT = Path(__file__).parents[3]
TINY_CFG = ROOT / 'configs/tevit/tevit_msgshift-tiny_1xb4-toy.py'


def tiny_model_cfg():
    return copy.deepcopy(Config.fromfile(TINY_CFG).model)


def build_tiny(**overrides):
    torch.manual_seed(0)
    cfg = tiny_model_cfg()
    cfg.update(overrides)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def make_clip(num_frames: int, size=(64, 64), with_objects=True, seed=0,
              video_id=1):
    """One clip: a square (label 1, id 1) moving right and a bar (label 2,
    id 2) visible in the first frame only."""
    rng = np.random.RandomState(seed)
    h, w = size
    frames = []
    imgs = torch.from_numpy(rng.uniform(0, 40, (num_frames, 3, h, w))).float()
    for t in range(num_frames):
        boxes, labels, ids, masks = [], [], [], []
        if with_objects:
            x0 = 8 + 4 * t
            boxes.append([x0, 16, x0 + 24, 40])
            labels.append(1)
            ids.append(1)
            if t == 0:
                boxes.append([40, 4, 60, 12])
                labels.append(2)
                ids.append(2)
        for box in boxes:
            m = np.zeros((h, w), np.uint8)
            m[box[1]:box[3], box[0]:box[2]] = 1
            masks.append(m)
            imgs[t, :, box[1]:box[3], box[0]:box[2]] = 200.0 + 20 * len(masks)
        sample = DetDataSample(
            metainfo=dict(
                img_id=t,
                video_id=video_id,
                frame_id=t,
                img_shape=size,
                ori_shape=size,
                pad_shape=size,
                batch_input_shape=size,
                scale_factor=(1.0, 1.0),
                video_length=num_frames))
        sample.gt_instances = InstanceData(
            bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
            labels=torch.tensor(labels, dtype=torch.long),
            instances_ids=torch.tensor(ids, dtype=torch.long),
            masks=BitmapMasks(
                np.stack(masks) if masks else np.zeros((0, h, w), np.uint8),
                h, w))
        frames.append(sample)
    imgs = (imgs - 100.0) / 60.0  # roughly normalised
    return imgs, TrackDataSample(video_data_samples=frames)


def batch(num_clips=2, num_frames=3, **kwargs):
    clips = [make_clip(num_frames, seed=i, **kwargs) for i in range(num_clips)]
    return torch.stack([c[0] for c in clips]), [c[1] for c in clips]
