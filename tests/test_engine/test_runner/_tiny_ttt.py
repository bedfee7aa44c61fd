# Copyright (c) mmvidseg contributors. All rights reserved.
"""A tiny model with the Mask2FormerTTT interface, and a tiny stream."""
import os
import os.path as osp
from typing import List, Optional

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from mmengine.structures import PixelData
from PIL import Image
from torch import nn


class TinyTTTModel(BaseModel):
    """Shared conv 'backbone' (4 channels in), a recon head, a seg head.

    Records, at the first ``loss_recon`` call of each step, a copy of the
    backbone weight and the optimiser-state size seen by the loop
    (``self.step_starts``), so tests can check what a step started from.
    """

    def __init__(self, num_classes: int = 3, recon: bool = True) -> None:
        super().__init__(data_preprocessor=dict(
            type='mmdet.DetDataPreprocessor', mean=[128.] * 3,
            std=[64.] * 3, pad_size_divisor=32))
        self.backbone = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1),
                                      nn.GroupNorm(2, 8), nn.ReLU())
        self.query = nn.Embedding(2, 8)
        self.panoptic_head = nn.Conv2d(8, num_classes, 1)
        self.recon_head = nn.Conv2d(8, 3, 1) if recon else None
        self.calls: List[dict] = []

    @property
    def has_recon_head(self) -> bool:
        return self.recon_head is not None

    def patch_mask(self, batch_size, height, width, generator=None):
        ph, pw = height // 16, width // 16
        keep = int(ph * pw * (1 - 0.85))
        noise = torch.rand(batch_size, ph * pw, generator=generator)
        ids = noise.argsort(1)[:, :keep]
        m = torch.zeros(batch_size, ph * pw)
        m.scatter_(1, ids, 1.)
        m = m.view(batch_size, 1, ph, pw)
        return m.repeat_interleave(16, 2).repeat_interleave(16, 3)

    def loss_recon(self, inputs, masks):
        self.calls.append(dict(weight=self.backbone[0].weight.detach(
        ).clone(), training=self.training))
        feat = self.backbone(torch.cat([inputs * masks, masks], 1))
        return dict(loss_recon=F.mse_loss(self.recon_head(feat), inputs))

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode != 'predict':
            raise NotImplementedError(mode)
        x = torch.cat([inputs, torch.ones_like(inputs[:, :1])], 1)
        logits = self.panoptic_head(self.backbone(x))  # (B, K, H, W)
        for i, sample in enumerate(data_samples):
            h, w = sample.ori_shape
            lg = logits[i:i + 1, :, :h, :w]
            sample.pred_sem_seg = PixelData(sem_seg=lg[0].argmax(0)[None])
            sample.set_field(lg[0].clone(), 'seg_logits', field_type='data')
        return data_samples


def write_stream(root: str, videos=('0000', '0001'), num_frames: int = 5,
                 size=(32, 48), split: str = 'train',
                 sizes: Optional[dict] = None, skip=(), seed: int = 0
                 ) -> str:
    """KITTI-STEP-style stream: images/<split>/<seq>/%06d.png + _sem.png.

    ``sizes``: {(video, frame): (h, w)} overrides; ``skip``: frame numbers
    left out (a gap).
    """
    rng = np.random.default_rng(seed)
    for vid in videos:
        img_dir = osp.join(root, 'images', split, vid)
        gt_dir = osp.join(root, 'panoptic_maps', split, vid)
        os.makedirs(img_dir, exist_ok=True)
        os.makedirs(gt_dir, exist_ok=True)
        for t in range(num_frames):
            if t in skip:
                continue
            h, w = (sizes or {}).get((vid, t), size)
            img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
            sem = (img[..., 0] // 86).astype(np.uint8)  # 0..2
            sem[0, 0] = 255
            Image.fromarray(img).save(osp.join(img_dir, f'{t:06d}.png'))
            Image.fromarray(sem).save(osp.join(gt_dir, f'{t:06d}_sem.png'))
    return root


STREAM_PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadStreamSemSeg'),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'video_id', 'frame_id', 'evaluate', 'split')),
]
