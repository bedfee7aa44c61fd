# Copyright (c) mmvidseg contributors. All rights reserved.
"""The Video-TTT converter against the official 940-entry key list."""
import importlib.util
import pickle
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules
from mmvidseg.utils.checkpoint import UnsafeCheckpointError

register_all_modules()

ROOT = Path(__file__).parents[2]
KEYS_FILE = ROOT / 'tests/data/checkpoint_keys/video_ttt_instance.txt'
_spec = importlib.util.spec_from_file_location(
    'video_ttt_to_mmvidseg',
    ROOT / 'tools/model_converters/video_ttt_to_mmvidseg.py')
converter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(converter)


def official_shapes():
    out = {}
    for line in KEYS_FILE.read_text().splitlines():
        if not line or line.startswith('#'):
            continue
        name, shape = re.match(r'^(\S+) \((.*)\)$', line).groups()
        out[name] = tuple(int(s) for s in shape.split(',') if s.strip())
    return out


def synthetic_official(v1=False):
    """numpy arrays (as in a .pkl) of the official shapes."""
    out = {}
    for name, shape in official_shapes().items():
        value = np.zeros(shape, np.float32)
        if name == 'criterion.empty_weight':
            value[:] = 1.0
            value[-1] = 0.1
        if v1:
            name = name.replace('sem_seg_head.pixel_decoder.',
                                'sem_seg_head.')
        out[name] = value
    return out


@pytest.mark.parametrize('v1', [False, True])
def test_full_model_matches_official_keys(v1):
    shapes = official_shapes()
    assert len(shapes) == 940
    converted, dropped = converter.convert_video_ttt_state_dict(
        synthetic_official(v1))
    assert dropped == ['criterion.empty_weight']
    init_default_scope('mmvidseg')
    cfg = Config.fromfile(ROOT / 'configs/_base_/models/video_ttt_swin-s.py')
    model = MODELS.build(cfg.model)
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in converted.items()} == ours
    result = model.load_state_dict(converted, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    assert sum(p.numel() for p in model.parameters()) == 88_594_587


def test_key_rules_and_values():
    conv = converter.convert_head_key
    assert conv('sem_seg_head.adapter_1.norm.weight') == \
        'panoptic_head.pixel_decoder.lateral_convs.0.gn.weight'
    assert conv('sem_seg_head.pixel_decoder.adapter_1.weight') == \
        'panoptic_head.pixel_decoder.lateral_convs.0.conv.weight'
    assert conv('recon_head.pixel_decoder.transformer.level_embed') == \
        'recon_head.pixel_decoder.level_encoding.weight'
    assert conv('sem_seg_head.predictor.mask_embed.layers.2.bias') == \
        'panoptic_head.mask_embed.4.bias'
    assert conv('sem_seg_head.predictor.transformer_self_attention_layers.'
                '3.norm.weight') == \
        'panoptic_head.transformer_decoder.layers.3.norms.1.weight'
    assert conv('recon_head.predictor.decoder_norm.bias') == \
        'recon_head.transformer_decoder.post_norm.bias'
    with pytest.raises(KeyError, match='no mmvidseg name'):
        conv('sem_seg_head.predictor.static_query.weight')
    state = synthetic_official()
    state['sem_seg_head.predictor.class_embed.bias'] = np.arange(
        81, dtype=np.float32)
    out, _ = converter.convert_video_ttt_state_dict(state)
    assert torch.equal(out['panoptic_head.cls_embed.bias'],
                       torch.arange(81.))
    assert 'backbone.patch_embed.projection.weight' in out
    assert out['backbone.patch_embed.projection.weight'].shape == (96, 4, 4,
                                                                   4)


def test_errors():
    state = synthetic_official()
    state['criterion.empty_weight'][-1] = 0.5
    with pytest.raises(ValueError, match='class_weight'):
        converter.convert_video_ttt_state_dict(state)
    with pytest.raises(KeyError, match='unexpected key'):
        converter.convert_video_ttt_state_dict(
            {'backbone.norm0.weight': np.ones(96), 'decoder.x': np.ones(1)})
    with pytest.raises(KeyError, match='no backbone'):
        converter.convert_video_ttt_state_dict(
            {'recon_head.predictor.query_feat.weight': np.ones((48, 256))})


def test_bare_swin_backbone_file(tmp_path, monkeypatch, capsys):
    """The 4-channel ImageNet Swin-S that starts the joint training."""
    sd = {
        'patch_embed.proj.weight': np.ones((96, 4, 4, 4), np.float32),
        'layers.0.downsample.reduction.weight': np.ones((192, 384),
                                                        np.float32),
        'norm.weight': np.ones(768, np.float32),
        'head.weight': np.ones((1000, 768), np.float32),
    }
    out, dropped = converter.convert_video_ttt_state_dict(sd)
    assert sorted(dropped) == ['head.weight', 'norm.weight']
    assert sorted(out) == ['backbone.patch_embed.projection.weight',
                           'backbone.stages.0.downsample.reduction.weight']
    src = tmp_path / 'swin_small_patch4_window7_224_4chan.pkl'
    src.write_bytes(pickle.dumps(sd, protocol=2))
    monkeypatch.setattr(sys, 'argv', ['x', str(src), str(tmp_path / 'o.pth')])
    converter.main()
    assert 'reconstruction head: no' in capsys.readouterr().out


def _small_official():
    return {
        'backbone.patch_embed.proj.weight': np.ones((96, 4, 4, 4),
                                                    np.float32),
        'backbone.norm0.weight': np.ones(96, np.float32),
        'sem_seg_head.predictor.query_feat.weight': np.zeros((100, 256),
                                                             np.float32),
        'recon_head.predictor.query_feat.weight': np.zeros((48, 256),
                                                           np.float32),
        'pixel_mean': np.array([123.675, 116.28, 103.53], np.float32),
    }


@pytest.mark.parametrize('layout', ['pkl_wrapped', 'pkl_bare', 'pth'])
def test_cli(tmp_path, monkeypatch, capsys, layout):
    sd = _small_official()
    if layout == 'pth':
        src = tmp_path / 'model_final.pth'
        torch.save(dict(model={k: torch.from_numpy(v) for k, v in sd.items()},
                        iteration=3), src)
    else:
        src = tmp_path / 'ttt_coco_instance_baseline.pkl'
        obj = dict(model=sd, __author__='x') if layout == 'pkl_wrapped' \
            else sd
        src.write_bytes(pickle.dumps(obj, protocol=2))
    dst = tmp_path / 'out.pth'
    monkeypatch.setattr(sys, 'argv', ['x', str(src), str(dst)])
    converter.main()
    assert 'converted 4 tensors' in capsys.readouterr().out
    saved = torch.load(dst, weights_only=True)['state_dict']
    assert 'panoptic_head.query_feat.weight' in saved
    assert 'recon_head.query_feat.weight' in saved
    with pytest.raises(FileExistsError):
        converter.main()


def test_pkl_refuses_non_numpy_globals(tmp_path):
    import os
    src = tmp_path / 'evil.pkl'
    src.write_bytes(pickle.dumps({'model': {'a': os.getcwd}}))
    with pytest.raises(UnsafeCheckpointError, match='getcwd'):
        converter.load_official(str(src))
