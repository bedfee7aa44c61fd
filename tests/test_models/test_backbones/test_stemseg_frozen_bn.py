# Copyright (c) mmvidseg contributors. All rights reserved.
import torch

from mmvidseg.models.backbones.stemseg_frozen_bn import StemSegFrozenBN
from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()


def test_buffers_only_and_folded_formula():
    torch.manual_seed(0)
    bn = StemSegFrozenBN(3)
    assert list(bn.parameters()) == []
    # the STEm-Seg checkpoint keys: no num_batches_tracked
    assert sorted(bn.state_dict()) == ['bias', 'running_mean',
                                       'running_var', 'weight']
    bn.weight.copy_(torch.tensor([1.0, 2.0, -0.5]))
    bn.bias.copy_(torch.tensor([0.0, 1.0, 3.0]))
    bn.running_mean.copy_(torch.tensor([0.5, -1.0, 2.0]))
    bn.running_var.copy_(torch.tensor([4.0, 0.25, 1.0]))
    x = torch.randn(2, 3, 4, 5)
    expected = torch.nn.functional.batch_norm(
        x, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0,
        0.0)
    out = bn(x)
    assert out.shape == x.shape
    torch.testing.assert_close(out, expected)
    # training mode changes nothing (frozen statistics)
    bn.train()
    torch.testing.assert_close(bn(x), out)
    # a hand value: channel 1, x = 0 -> (0 + 1) / 0.5 * 2 + 1 = 5
    assert bn(torch.zeros(1, 3, 1, 1))[0, 1, 0, 0].item() == 5.0


def test_eps_and_registry_build():
    bn = MODELS.build(dict(type='StemSegFrozenBN', num_features=2, eps=1.0))
    assert isinstance(bn, StemSegFrozenBN) and bn.eps == 1.0
    assert 'eps=1.0' in repr(bn)
    # var 1 + eps 1 -> x / sqrt(2)
    out = bn(torch.full((1, 2, 1, 1), 2.0))
    torch.testing.assert_close(out, torch.full((1, 2, 1, 1), 2 ** 0.5))
