# Copyright (c) mmvidseg contributors. All rights reserved.
"""A checkpoint of another architecture is refused, naming the converter."""
import pytest
import torch

from mmvidseg.utils.checkpoint_match import (CheckpointMismatchError,
                                             check_checkpoint_fits,
                                             official_layout)


class _Net(torch.nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = torch.nn.Linear(2, 2)
        self.head = torch.nn.Linear(2, 1)


def test_fitting_checkpoints_pass():
    net = _Net()
    sd = net.state_dict()
    check_checkpoint_fits(net, dict(state_dict=sd), 'a.pth')
    check_checkpoint_fits(net, {f'module.{k}': v for k, v in sd.items()},
                          'a.pth')
    # a backbone alone, or another head size, still loads (non-strict)
    check_checkpoint_fits(net, dict(state_dict={
        k: v for k, v in sd.items() if k.startswith('backbone.')}), 'b.pth')
    check_checkpoint_fits(net, dict(state_dict=dict(
        sd, **{'head.weight': torch.zeros(7, 2)})), 'c.pth')


def test_another_architecture_is_refused():
    other = {f'encoder.layer{i}.weight': torch.zeros(1) for i in range(4)}
    with pytest.raises(CheckpointMismatchError,
                       match=r"x\.pth: this checkpoint does not fit _Net: 0 "
                       r"of its 4 tensors .* First unexpected keys: "
                       r"\['encoder\.layer0\.weight'.*first missing keys: "
                       r"\['backbone\.bias'.*same model"):
        check_checkpoint_fits(_Net(), dict(state_dict=other), 'x.pth')
    with pytest.raises(CheckpointMismatchError, match='0 of its 0 tensors'):
        check_checkpoint_fits(_Net(), dict(meta={}), 'empty.pth')


@pytest.mark.parametrize('wrapper,keys,converter', [
    ('model_state_dict', ['backbone.patch_embed.proj.weight',
                          'transformer.text_encoder.x', 'is_referred_head.w'],
     'mttr_to_mmvidseg.py'),
    ('model', ['backbone.body.stem.conv1.weight', 'embedding_head.w'],
     'stemseg_to_mmvidseg.py'),
    ('model', ['pixel_mean', 'decoder.layers.0.w', 'embedding_container.w'],
     'tarvis_to_mmvidseg.py'),
    ('state_dict', ['backbone.msg_tokens', 'roi_head.bbox_head.0.w'],
     'tevit_to_mmvidseg.py'),
    (None, ['backbone.patch_embed.proj.weight', 'sem_seg_head.x',
            'recon_head.y'], 'video_ttt_to_mmvidseg.py'),
])
def test_official_releases_name_their_converter(wrapper, keys, converter):
    sd = {k: torch.zeros(1) for k in keys}
    ckpt = sd if wrapper is None else {wrapper: sd, 'epoch': 3}
    assert official_layout(sd)[1].endswith(converter)
    with pytest.raises(CheckpointMismatchError,
                       match=f'official .* convert it first with `python '
                       f'tools/model_converters/{converter} off.pth '):
        check_checkpoint_fits(_Net(), ckpt, 'off.pth')


def test_init_model_refuses_a_foreign_checkpoint(tmp_path):
    from mmvidseg.apis import init_model
    from mmvidseg.testing import config_path
    path = tmp_path / 'mttr_official.pth'
    torch.save({'model_state_dict': {
        'transformer.a': torch.zeros(1), 'is_referred_head.b': torch.zeros(1)
    }}, path)
    cfg = config_path(
        'mask2former_vis/mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py')
    with pytest.raises(CheckpointMismatchError, match='official MTTR'):
        init_model(cfg, str(path))
