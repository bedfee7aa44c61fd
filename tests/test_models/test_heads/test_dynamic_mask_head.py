# Copyright (c) mmvidseg contributors. All rights reserved.
"""TeViT's batched training shortcuts give exactly mmdet's values."""
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.structures.mask import BitmapMasks, PolygonMasks, mask_target
from mmengine.config import Config, ConfigDict

from mmvidseg.models.heads.dynamic_mask_head import (DynamicMaskHead,
                                                     batched_mask_target)
from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()

ROOT = Path(__file__).parents[3]
TINY_CFG = ROOT / 'configs/tevit/tevit_msgshift-tiny_1xb4-toy.py'


def random_batch(rng, num_gts, height=40, width=52, dtype=torch.float32):
    """Masks of several images and positives (boxes partly outside the
    image, so the clipping matters) assigned to them."""
    proposals, inds, masks = [], [], []
    for n_gt in num_gts:
        m = (rng.rand(n_gt, height, width) > 0.6).astype(np.uint8)
        masks.append(BitmapMasks(m, height, width))
        n_pos = 0 if n_gt == 0 else rng.randint(1, 5)
        xy = rng.uniform(-8, 45, (n_pos, 2))
        wh = rng.uniform(1, 30, (n_pos, 2))
        proposals.append(
            torch.tensor(np.concatenate([xy, xy + wh], 1), dtype=dtype))
        inds.append(torch.from_numpy(rng.randint(0, max(n_gt, 1),
                                                 n_pos)).long())
    return proposals, inds, masks


@pytest.mark.parametrize('soft', [False, True])
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_batched_mask_target_equals_mmdet(soft, dtype):
    rng = np.random.RandomState(3)
    cfg = ConfigDict(mask_size=(28, 20), soft_mask_target=soft)
    for num_gts in ([3, 1, 2, 4], [2, 0, 1], [1]):
        proposals, inds, masks = random_batch(rng, num_gts, dtype=dtype)
        ours = batched_mask_target(proposals, inds, masks, cfg)
        ref = mask_target(proposals, inds, masks, cfg)
        assert ours.shape == (sum(len(p) for p in proposals), 28, 20)
        assert ours.dtype == torch.float32
        assert torch.equal(ours, ref.float())
        if not soft:
            assert set(ours.unique().tolist()) <= {0.0, 1.0}
            assert ours.sum() > 0


def test_batched_mask_target_no_positive_and_fallbacks():
    cfg = ConfigDict(mask_size=28)
    empty = batched_mask_target([torch.zeros(0, 4)],
                                [torch.zeros(0, dtype=torch.long)],
                                [BitmapMasks(np.zeros((2, 8, 8)), 8, 8)], cfg)
    assert empty.shape == (0, 28, 28)
    # images of different sizes cannot be stacked: mmdet's path, same values
    rng = np.random.RandomState(0)
    p1, i1, m1 = random_batch(rng, [2], height=40, width=52)
    p2, i2, m2 = random_batch(rng, [2], height=30, width=44)
    ours = batched_mask_target(p1 + p2, i1 + i2, m1 + m2, cfg)
    assert torch.equal(ours, mask_target(p1 + p2, i1 + i2, m1 + m2, cfg))
    # polygon masks: mmdet's path
    poly = PolygonMasks([[np.array([2., 2., 20., 2., 20., 20., 2., 20.])]],
                        32, 32)
    box = [torch.tensor([[0., 0., 24., 24.]])]
    ind = [torch.tensor([0])]
    assert torch.equal(
        batched_mask_target(box, ind, [poly], cfg),
        mask_target(box, ind, [poly], cfg))


def test_tevit_configs_build_the_batched_mask_head():
    cfg = copy.deepcopy(Config.fromfile(TINY_CFG).model)
    model = MODELS.build(cfg)
    heads = model.roi_head.mask_head
    assert len(heads) == cfg.roi_head.num_stages
    assert all(type(h) is DynamicMaskHead for h in heads)
