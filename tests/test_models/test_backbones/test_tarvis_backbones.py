# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS backbones as mmdet modules: official checkpoint layouts load."""
from pathlib import Path

import pytest
import torch
from mmdet.models.layers import PatchMerging
from mmdet.models.backbones.swin import swin_converter
from mmengine.registry import init_default_scope
from torch import nn

from mmvidseg.models.backbones import StemSegFrozenBN
from mmvidseg.models.necks import TarViSTemporalNeck
from mmvidseg.models.necks.tarvis_neck_keymap import (BACKBONE_CONFIGS,
                                                      convert_backbone_neck)
from mmvidseg.registry import MODELS

KEYS = Path(__file__).parents[2] / 'data' / 'checkpoint_keys'


def official_backbone_state(name: str) -> dict:
    """Zero tensors shaped as the ``backbone.*`` entries of a checkpoint."""
    state = {}
    for line in (KEYS / f'tarvis_{name}.txt').read_text().splitlines():
        if not line.startswith('backbone.'):
            continue
        key, shape = line.split(' ', 1)
        shape = eval(shape)  # '(64, 3, 7, 7)'
        dtype = torch.long if key.endswith('relative_position_index') \
            else torch.float32
        state[key] = torch.zeros(shape, dtype=dtype)
    return state


def build(name: str) -> nn.ModuleDict:
    init_default_scope('mmvidseg')
    cfg, channels = BACKBONE_CONFIGS[name]
    return nn.ModuleDict(
        dict(
            backbone=MODELS.build(cfg),
            neck=TarViSTemporalNeck(in_channels=channels)))


@pytest.mark.parametrize('name', [
    'r50', 'swin-tiny',
    pytest.param('swin-large', marks=pytest.mark.slow)
])
def test_official_layout_loads_strict(name):
    official = official_backbone_state(name)
    converted = convert_backbone_neck(official, name)
    assert len(converted) == len(official)
    model = build(name)
    model.load_state_dict(converted, strict=True)  # names and shapes


def test_resnet_is_detectron2_style():
    model = build('r50')['backbone']
    block = model.layer2[0]
    assert block.conv1.stride == (1, 1) and block.conv2.stride == (2, 2)
    assert isinstance(block.bn1, StemSegFrozenBN) and block.bn1.eps == 1e-5
    assert not any('num_batches_tracked' in k for k in model.state_dict())
    # frozen statistics: train mode gives the eval-mode output
    x = torch.randn(1, 3, 64, 64)
    model.train()
    with torch.no_grad():
        a = model(x)[0]
        model.eval()  # mmdet's ResNet.train returns None
        b = model(x)[0]
    torch.testing.assert_close(a, b)


def test_swin_patch_merging_channel_order():
    """D2Swin's PatchMerging (cat of 4 strided views) = mmdet's Unfold one
    after ``swin_converter``."""
    torch.manual_seed(0)
    c = 4
    norm, reduction = nn.LayerNorm(4 * c), nn.Linear(4 * c, 2 * c, bias=False)
    nn.init.normal_(norm.weight)
    nn.init.normal_(norm.bias)
    x = torch.randn(2, 6, 8, c)  # (B, H, W, C)
    ref = torch.cat([
        x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2,
                                                                1::2]
    ], -1)
    ref = reduction(norm(ref)).flatten(1, 2)  # (B, H/2 * W/2, 2C)
    d2 = {
        'layers.0.downsample.norm.weight': norm.weight,
        'layers.0.downsample.norm.bias': norm.bias,
        'layers.0.downsample.reduction.weight': reduction.weight
    }
    converted = swin_converter(d2)
    merging = PatchMerging(c, 2 * c)
    merging.load_state_dict({
        k.split('downsample.')[1]: v
        for k, v in converted.items()
    })
    out, size = merging(x.flatten(1, 2), (6, 8))
    assert size == (3, 4)
    torch.testing.assert_close(out, ref)
