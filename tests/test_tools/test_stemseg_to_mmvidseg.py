# Copyright (c) mmvidseg contributors. All rights reserved.
"""Official STEm-Seg checkpoint layouts convert with no missing/unexpected
keys and the reference parameter totals (key lists in
``tests/data/checkpoint_keys/stemseg_*.txt``)."""
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
    'stemseg_to_mmvidseg',
    osp.join(ROOT, 'tools/model_converters/stemseg_to_mmvidseg.py'))
converter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(converter)

CASES = {
    # key list: (config, parameters, requires_grad)
    'youtube_vis': ('stemseg_r101-fpn_1xb2-160k_youtube-vis-2019.py',
                    69370178, 69147778),
    'davis': ('stemseg_r101-fpn_1xb2-10k_davis-stage2.py', 67408962, None),
    'kitti_mots': ('stemseg_r101-fpn_1xb2-20k_kitti-mots-stage2.py',
                   67409475, 67187075),
}


def read_key_list(name):
    shapes = {}
    path = osp.join(ROOT, 'tests/data/checkpoint_keys', f'stemseg_{name}.txt')
    with open(path) as f:
        for line in f:
            if line.startswith('#') or not line.strip():
                continue
            m = re.match(r'^(\S+) \(([\d, ]*)\)$', line.strip())
            dims = [int(d) for d in m.group(2).replace(' ', '').split(',')
                    if d]
            shapes[m.group(1)] = tuple(dims)
    return shapes


@pytest.mark.parametrize('name', sorted(CASES))
def test_official_layout_converts_exactly(name):
    cfg_name, num_params, num_trainable = CASES[name]
    cfg = Config.fromfile(osp.join(ROOT, 'configs/stemseg', cfg_name))
    model = MODELS.build(cfg.model)
    official = {k: torch.zeros(s) for k, s in read_key_list(name).items()}
    converted = converter.convert_stemseg_state_dict(
        official, cfg.model.embedding_head.embedding_mode)
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert set(converted) == set(ours)
    assert {k: tuple(v.shape) for k, v in converted.items()} == ours
    missing, unexpected = model.load_state_dict(converted, strict=True)
    assert not missing and not unexpected
    assert sum(p.numel() for p in model.parameters()) == num_params
    if num_trainable is not None:
        assert sum(p.numel() for p in model.parameters()
                   if p.requires_grad) == num_trainable
    else:  # davis_2 freezes the whole backbone + FPN
        assert not any(p.requires_grad for p in model.backbone.parameters())


def test_key_rules_and_mode_check():
    assert converter.convert_key('backbone.body.stem.conv1.weight') == \
        'backbone.conv1.weight'
    assert converter.convert_key('backbone.body.layer3.22.bn3.bias') == \
        'backbone.layer3.22.bn3.bias'
    assert converter.convert_key('fpn.fpn_inner4.weight') == \
        'neck.lateral_convs.3.conv.weight'
    assert converter.convert_key('backbone.fpn.fpn_layer1.bias') == \
        'neck.fpn_convs.0.conv.bias'
    assert converter.convert_key(
        'embedding_loss_criterion.free_dim_bandwidths') == \
        'loss_embedding.free_dim_bandwidths'
    with pytest.raises(KeyError, match='unexpected key'):
        converter.convert_key('module.decoder.weight')
    xyt = {'embedding_head.conv_embedding.weight': torch.zeros(3, 128, 1, 1,
                                                               1)}
    with pytest.raises(ValueError, match="'xyt'.*'xyff'"):
        converter.convert_stemseg_state_dict(xyt, 'xyff')


def _run_cli(monkeypatch, capsys, *argv):
    monkeypatch.setattr('sys.argv', ['stemseg_to_mmvidseg.py', *map(str,
                                                                   argv)])
    converter.main()
    return capsys.readouterr().out


def test_partial_files_convert_and_report(tmp_path, monkeypatch, capsys):
    official = {k: torch.zeros(1) for k in read_key_list('youtube_vis')}
    official['embedding_head.conv_embedding.weight'] = torch.zeros(4, 1)
    # the backbone init file: bare body.* / fpn.* keys
    init = {k[len('backbone.'):]: v for k, v in official.items()
            if k.startswith('backbone.')}
    torch.save(init, tmp_path / 'backbone_init.pth')
    out = _run_cli(monkeypatch, capsys, tmp_path / 'backbone_init.pth',
                   tmp_path / 'a.pth')
    assert 'converted tensors per part: backbone 520, neck 16\n' in out
    assert 'missing (not in the file' in out
    assert 'embedding_head, seediness_head or semseg_head' in out
    saved = torch.load(tmp_path / 'a.pth', weights_only=True)
    assert len(saved['state_dict']) == 536
    assert saved['meta']['missing'] == [
        'embedding_head', 'seediness_head or semseg_head']
    with pytest.raises(KeyError, match='--strict: .* lacks embedding_head'):
        _run_cli(monkeypatch, capsys, tmp_path / 'backbone_init.pth',
                 tmp_path / 'b.pth', '--strict')
    assert not (tmp_path / 'b.pth').exists()
    # no semantic head: the embedding head alone is not a whole model
    no_sem = {k: v for k, v in official.items()
              if not k.startswith('semseg_head.')}
    torch.save(dict(model=no_sem), tmp_path / 'no_sem.pth')
    out = _run_cli(monkeypatch, capsys, tmp_path / 'no_sem.pth',
                   tmp_path / 'c.pth')
    assert 'embedding mode xyff' in out
    assert 'missing (not in the file; these modules keep their ' \
        'initialisation, load with strict=False): seediness_head or ' \
        'semseg_head' in out
    # the whole model passes --strict
    torch.save(dict(model=official), tmp_path / 'full.pth')
    out = _run_cli(monkeypatch, capsys, tmp_path / 'full.pth',
                   tmp_path / 'd.pth', '--strict')
    assert 'complete STEm-Seg model' in out
    assert converter.missing_parts(converter.convert_stemseg_state_dict(
        {k: v for k, v in official.items()
         if not k.startswith('semseg_head.')} | {
             'seediness_head.conv_out.weight': torch.zeros(1)})) == []
