# Copyright (c) mmvidseg contributors. All rights reserved.
"""Official TarViS checkpoint layouts (fine-tuned, and pre-trained mapped for
fine-tuning) convert with no missing/unexpected keys
and the reference parameter totals (key lists in
``tests/data/checkpoint_keys/tarvis_*.txt``)."""
import importlib.util
import os
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


def pretrain_state(name='r50', seed=0):
    """Official pre-training layout (383-row semantic table), random."""
    state = official_state(name)
    state['embedding_container._semantic_queries'] = torch.zeros(383, 256)
    g = torch.Generator().manual_seed(seed)
    for k in state:
        if k not in ('pixel_mean', 'pixel_std'):
            state[k] = torch.randn(state[k].shape, generator=g)
    return state


def test_pretrain_maps_into_the_finetune_model():
    """--finetune-from-pretrain: the pre-training checkpoint loads strictly
    into the joint fine-tuning model; row 0 and the Cityscapes classes of
    KITTI-STEP / Cityscapes-VPS are the pre-trained rows, matched by class
    name (independently of the converter's id table); every other tensor is
    unchanged."""
    from mmvidseg.datasets.panoptic_pseudo_clip import \
        CITYSCAPES_34_CATEGORIES
    from mmvidseg.datasets.vps import CITYSCAPES_19_CLASSES
    state = pretrain_state()
    src = state['embedding_container._semantic_queries']
    out = converter.convert_tarvis_state_dict(state, 'r50',
                                              converter.PRETRAIN_CLASSES)
    joint = osp.join(ROOT,
                     'configs/tarvis/tarvis_r50_32xb1-90k_joint-finetune.py')
    target = converter.target_classes_from_config(joint)
    assert target == FINETUNE
    table, notes = converter.map_pretrain_semantic_queries(
        out[converter.SEMANTIC_KEY], converter.PRETRAIN_CLASSES, target)
    out[converter.SEMANTIC_KEY] = table
    model = MODELS.build(Config.fromfile(joint).model)
    missing, unexpected = model.load_state_dict(out, strict=True)
    assert not missing and not unexpected
    assert table.shape == (228, 256)
    assert torch.equal(table[0], src[0])
    # pre-training blocks (alphabetical): ADE20K rows 1..150, CITYSCAPES
    # 151..184 (label ids 0..33)
    label_row = {c['name']: 151 + c['id'] for c in CITYSCAPES_34_CATEGORIES}
    slices = model.embedding_container.semantic_slices
    for name in ('KITTI_STEP', 'CITYSCAPES_VPS'):
        start, end = slices[name]
        assert end - start == len(CITYSCAPES_19_CLASSES)
        for i, cls in enumerate(CITYSCAPES_19_CLASSES):
            assert torch.equal(table[start + i], src[label_row[cls]]), cls
        assert notes[name].startswith('CITYSCAPES')
    # other blocks: fresh N(0, 1) rows (official: the new model's init),
    # reproducible from the seed and not copied from the pre-trained table
    for name in ('OVIS', 'VIPSEG', 'YOUTUBE_VIS'):
        start, end = slices[name]
        rows = table[start:end]
        assert not any(torch.equal(r, s) for r in rows[:5] for s in src)
        assert abs(rows.std().item() - 1) < 0.1
    again, _ = converter.map_pretrain_semantic_queries(
        src, converter.PRETRAIN_CLASSES, target, seed=0)
    assert torch.equal(again, table)
    other, _ = converter.map_pretrain_semantic_queries(
        src, converter.PRETRAIN_CLASSES, target, seed=1)
    assert torch.equal(other[slices['KITTI_STEP'][0]:slices['KITTI_STEP'][1]],
                       table[slices['KITTI_STEP'][0]:slices['KITTI_STEP'][1]])
    assert not torch.equal(other, table)
    plain = converter.convert_tarvis_state_dict(state, 'r50')
    for key, value in plain.items():
        if key != converter.SEMANTIC_KEY:
            assert torch.equal(out[key], value), key


def test_pretrain_mapping_checks_name_the_problem():
    table = torch.zeros(383, 4)
    with pytest.raises(ValueError, match='228 rows.*pre-training blocks'):
        converter.map_pretrain_semantic_queries(
            torch.zeros(228, 4), converter.PRETRAIN_CLASSES, FINETUNE)
    with pytest.raises(ValueError, match='CITYSCAPES block'):
        converter.map_pretrain_semantic_queries(
            torch.zeros(1 + 150 + 133, 4), dict(ADE20K=150, COCO=133),
            FINETUNE)
    with pytest.raises(ValueError, match='KITTI_STEP has 20 classes'):
        converter.map_pretrain_semantic_queries(
            table, converter.PRETRAIN_CLASSES, dict(KITTI_STEP=20))
    # a target without the Cityscapes-derived blocks: only row 0 is kept
    out, notes = converter.map_pretrain_semantic_queries(
        table, converter.PRETRAIN_CLASSES, dict(OVIS=25))
    assert out.shape == (26, 4) and torch.equal(out[0], table[0])
    assert notes == dict(OVIS='N(0, 1), seed 0')


@pytest.mark.slow  # a subprocess writing / reading 230 MB (~1 min)
def test_pretrain_cli_writes_a_loadable_file(tmp_path):
    """The script end to end: official session file + pre-training
    config.yaml -> a file the fine-tuning config's ``load_from`` reads."""
    import subprocess
    import sys
    state = pretrain_state()
    src = tmp_path / 'model.pth'
    torch.save(dict(model=state), src)
    yaml_path = tmp_path / 'config.yaml'
    yaml_path.write_text(
        'MODEL:\n  BACKBONE: ResNet50\nTRAINING:\n  DATASET_LIST: [COCO, '
        'ADE20K, CITYSCAPES, MAPILLARY]\nDATASETS:\n'
        '  ADE20K: {TYPE: panoptic_seg, NUM_CLASSES: 150}\n'
        '  CITYSCAPES: {TYPE: panoptic_seg, NUM_CLASSES: 34}\n'
        '  COCO: {TYPE: panoptic_seg, NUM_CLASSES: 133}\n'
        '  MAPILLARY: {TYPE: panoptic_seg, NUM_CLASSES: 65}\n')
    dst = tmp_path / 'out.pth'
    cfg = osp.join(ROOT,
                   'configs/tarvis/tarvis_r50_32xb1-90k_joint-finetune.py')
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools/model_converters/'
                                  'tarvis_to_mmvidseg.py'),
         str(src), str(dst), '--config-yaml', str(yaml_path),
         '--finetune-from-pretrain', '--target-config', cfg],
        cwd=ROOT, capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=ROOT))  # this checkout's mmvidseg
    assert proc.returncode == 0, proc.stderr
    assert 'KITTI_STEP: CITYSCAPES label ids 7,8,11' in proc.stdout
    ckpt = torch.load(dst, weights_only=True)
    assert ckpt['meta']['num_classes'] == FINETUNE
    assert ckpt['meta']['pretrain_num_classes'] == converter.PRETRAIN_CLASSES
    table = ckpt['state_dict'][converter.SEMANTIC_KEY]
    assert table.shape == (228, 256)
    assert torch.equal(table[0],
                       state['embedding_container._semantic_queries'][0])
