# Copyright (c) mmvidseg contributors. All rights reserved.
"""Official TarViS checkpoint layouts convert with no missing/unexpected keys
and the reference parameter totals (key lists in
``tests/data/checkpoint_keys/tarvis_*.txt``)."""
import importlib.util
import os.path as osp
import re

import pytest
import torch
from mmengine.config import Config

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()
ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
_spec = importlib.util.spec_from_file_location(
    'tarvis_to_mmvidseg',
    osp.join(ROOT, 'tools/model_converters/tarvis_to_mmvidseg.py'))
converter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(converter)

FINETUNE = dict(CITYSCAPES_VPS=19, KITTI_STEP=19, OVIS=25, VIPSEG=124,
                YOUTUBE_VIS=40)
CASES = {
    # key list: (config, official parameter count)
    'r50': ('tarvis_r50_32xb1-90k_youtubevis2021.py', 57019008),
    'swin-tiny': ('tarvis_swin-t_32xb1-90k_youtubevis2021.py', 60470394),
    'swin-large': ('tarvis_swin-l_32xb1-90k_ovis.py', 228519540),
}


def read_key_list(name):
    shapes = {}
    path = osp.join(ROOT, 'tests/data/checkpoint_keys', f'tarvis_{name}.txt')
    with open(path) as f:
        for line in f:
            if line.startswith('#') or not line.strip():
                continue
            m = re.match(r'^(\S+) \(([\d, ]*)\)$', line.strip())
            dims = [int(d) for d in m.group(2).replace(' ', '').split(',')
                    if d]
            shapes[m.group(1)] = tuple(dims)
    return shapes


def official_state(name):
    state = {k: torch.zeros(s) for k, s in read_key_list(name).items()}
    state['pixel_mean'] = torch.tensor(converter.PIXEL_MEAN)
    state['pixel_std'] = torch.tensor(converter.PIXEL_STD)
    return state


@pytest.mark.parametrize('name', [
    'r50', 'swin-tiny',
    pytest.param('swin-large', marks=pytest.mark.slow)
])
def test_official_layout_converts_exactly(name):
    cfg_name, num_params = CASES[name]
    cfg = Config.fromfile(osp.join(ROOT, 'configs/tarvis', cfg_name))
    model = MODELS.build(cfg.model)
    converted = converter.convert_tarvis_state_dict(
        official_state(name), name, FINETUNE)
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert set(converted) == set(ours)
    assert {k: tuple(v.shape) for k, v in converted.items()} == ours
    missing, unexpected = model.load_state_dict(converted, strict=True)
    assert not missing and not unexpected
    assert sum(p.numel() for p in model.parameters()) == num_params
    assert all(p.requires_grad for p in model.parameters())


def test_values_land_in_the_right_modules():
    state = official_state('r50')
    g = torch.Generator().manual_seed(0)
    for k in state:
        if k not in ('pixel_mean', 'pixel_std'):
            state[k] = torch.randn(state[k].shape, generator=g)
    out = converter.convert_tarvis_state_dict(state, 'r50')
    d = 'decoder.transformer_'
    pairs = {
        f'{d}cross_attention_layers.3.multihead_attn._attn.in_proj_weight':
        'decoder.layers.3.cross_attn.attn.in_proj_weight',
        f'{d}cross_attention_layers.3.norm.bias':
        'decoder.layers.3.norms.0.bias',
        f'{d}self_attention_layers.8.self_attn.out_proj.weight':
        'decoder.layers.8.self_attn.attn.out_proj.weight',
        f'{d}self_attention_layers.0.norm.weight':
        'decoder.layers.0.norms.1.weight',
        f'{d}ffn_layers.2.linear1.weight': 'decoder.layers.2.ffn.layers.0.0.'
        'weight',
        f'{d}ffn_layers.2.linear2.bias': 'decoder.layers.2.ffn.layers.1.bias',
        f'{d}ffn_layers.2.norm.weight': 'decoder.layers.2.norms.2.weight',
        'decoder.mask_embeds.free.layers.2.weight':
        'decoder.mask_embeds.free.layers.2.weight',
        'embedding_container._semantic_queries':
        'embedding_container.semantic_queries',
        'vos_query_extractor.bg_grid_size': 'object_encoder.bg_grid_size',
    }
    for src, dst in pairs.items():
        assert torch.equal(out[dst], state[src]), src


def test_checks_name_the_problem():
    state = official_state('r50')
    with pytest.raises(ValueError, match='228 rows.*dataset list'):
        converter.convert_tarvis_state_dict(state, 'r50', dict(YOUTUBE_VIS=40))
    state['pixel_std'] = torch.ones(3)
    with pytest.raises(ValueError, match='pixel_std'):
        converter.convert_tarvis_state_dict(state, 'r50')
    with pytest.raises(KeyError, match='not a TarViS model'):
        converter.convert_head_key('sem_seg_head.predictor.class_embed.weight')


def test_config_yaml_gives_the_semantic_blocks(tmp_path):
    path = tmp_path / 'config.yaml'
    path.write_text(
        'MODEL:\n  BACKBONE: SwinTiny\nTRAINING:\n  DATASET_LIST: '
        '[YOUTUBE_VIS, DAVIS, OVIS]\nDATASETS:\n  YOUTUBE_VIS: {TYPE: '
        'instance_seg, NUM_CLASSES: 40}\n  DAVIS: {TYPE: vos}\n  OVIS: '
        '{TYPE: instance_seg, NUM_CLASSES: 25}\n')
    assert converter.semantic_classes_from_yaml(str(path)) == dict(
        YOUTUBE_VIS=40, OVIS=25)
