# Copyright (c) mmvidseg contributors. All rights reserved.
"""The MTTR converter against the released Refer-YouTube-VOS key list, and
the full-size model built on the meta device."""
import importlib.util
import re
import sys
from pathlib import Path

import pytest
import torch
import torch.nn as nn

from mmvidseg.models.backbones import MTTRVideoSwin
from mmvidseg.models.heads import MTTRHead

pytest.importorskip('transformers')  # optional: MTTR text encoder

ROOT = Path(__file__).parents[2]
KEYS_FILE = ROOT / 'tests/data/checkpoint_keys/mttr_refer_youtube_vos.txt'
_spec = importlib.util.spec_from_file_location(
    'mttr_to_mmvidseg', ROOT / 'tools/model_converters/mttr_to_mmvidseg.py')
converter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(converter)


def official_meta_state_dict():
    out = {}
    for line in KEYS_FILE.read_text().splitlines():
        if not line or line.startswith('#'):
            continue
        name, shape = re.match(r'^(\S+) \((.*)\)$', line).groups()
        dims = [int(s) for s in shape.split(',') if s.strip()]
        out[name] = torch.empty(dims, device='meta')
    # transformers 4.11 files persist this buffer
    out['transformer.text_encoder.embeddings.position_ids'] = torch.empty(
        1, 514, device='meta')
    return out


class _MTTR(nn.Module):

    def __init__(self):
        super().__init__()
        self.backbone = MTTRVideoSwin()
        self.head = MTTRHead()


def test_full_size_model_matches_released_keys():
    official = official_meta_state_dict()
    converted, dropped = converter.convert_mttr(official)
    assert dropped == ['transformer.text_encoder.embeddings.position_ids']
    with torch.device('meta'):
        model = _MTTR()
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert {k: tuple(v.shape) for k, v in converted.items()} == ours
    assert len(ours) == 474
    result = model.load_state_dict(converted, strict=True, assign=True)
    assert not result.missing_keys and not result.unexpected_keys
    params = list(model.parameters())
    assert sum(p.numel() for p in params) == 146_489_864
    assert sum(p.numel() for p in params if p.requires_grad) == 22_434_824


def test_cli_and_errors(tmp_path, monkeypatch, capsys):
    sd = {
        'module.backbone.patch_embed.proj.bias': torch.ones(96),
        'transformer.text_encoder.embeddings.position_ids':
        torch.arange(514)[None],
        'transformer.text_encoder.encoder.layer.0.output.dense.bias': torch.zeros(2),
        'obj_queries.weight': torch.zeros(50, 256),
    }
    src = tmp_path / 'mttr.pth.tar'
    torch.save(dict(epoch=3, model_state_dict=sd, optimizer_state_dict={}),
               src)
    monkeypatch.setattr(sys, 'argv', ['mttr_to_mmvidseg.py', str(src),
                                      str(tmp_path / 'out.pth')])
    converter.main()
    assert 'converted 3 tensors' in capsys.readouterr().out
    saved = torch.load(tmp_path / 'out.pth', weights_only=True)
    assert sorted(saved['state_dict']) == [
        'backbone.patch_embed.proj.bias', 'head.obj_queries.weight',
        'head.transformer.text_encoder.model.encoder.layer.0.output.dense.bias']
    with pytest.raises(KeyError, match='unexpected key'):
        converter.convert_mttr({'cls_head.weight': torch.zeros(1)})
    torch.save({'optimizer_state_dict': {}, 'epoch': 1}, src)
    with pytest.raises(KeyError, match='model_state_dict'):
        converter.load_official(str(src))


def test_base_config_builds_full_size_model():
    from mmengine.config import Config

    from mmvidseg.registry import MODELS
    from mmvidseg.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(str(ROOT / 'configs/_base_/models/mttr_swin-t.py'))
    cfg.model.head.transformer.text_encoder.tokenizer = None  # no files
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    converted, _ = converter.convert_mttr(official_meta_state_dict())
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert ours == {k: tuple(v.shape) for k, v in converted.items()}
    assert model.test_cfg['mode'] == 'rvos'
