# Copyright (c) mmvidseg contributors. All rights reserved.
"""The TeViT converter on partial files: it converts the parts that are
present, reports the missing ones, and ``--strict`` refuses them."""
import importlib.util
import re
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).parents[2]
KEYS_FILE = ROOT / 'tests/data/checkpoint_keys/tevit_msgshift.txt'
_spec = importlib.util.spec_from_file_location(
    'tevit_to_mmvidseg', ROOT / 'tools/model_converters/tevit_to_mmvidseg.py')
converter = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(converter)


def official_state_dict():
    """The official key tree with one-element tensors (shapes are not what
    the converter checks; (N, ...) heads keep N rows for the summary)."""
    out = {}
    for line in KEYS_FILE.read_text().splitlines():
        if not line or line.startswith('#'):
            continue
        name, shape = re.match(r'^(\S+) \((.*)\)$', line).groups()
        dims = [int(s) for s in shape.split(',') if s.strip()]
        rows = dims[0] if name.endswith(('fc_cls.weight',
                                         'init_proposal_bboxes.weight')) \
            else 1
        out[name] = torch.zeros(rows)
    return out


def run_cli(monkeypatch, capsys, src, dst, *flags):
    monkeypatch.setattr(sys, 'argv',
                        ['tevit_to_mmvidseg.py',
                         str(src), str(dst), *flags])
    converter.main()
    return capsys.readouterr().out


def test_full_checkpoint_is_complete_and_strict_passes(
        tmp_path, monkeypatch, capsys):
    full = official_state_dict()
    src = tmp_path / 'tevit_msgshift.pth'
    torch.save(dict(state_dict=full, meta={}), src)
    out = run_cli(monkeypatch, capsys, src, tmp_path / 'out.pth', '--strict')
    assert 'complete TeViT model' in out
    assert 'backbone 161, neck 16, rpn_head 2, bbox_head 240, ' \
        'mask_head 204' in out
    saved = torch.load(tmp_path / 'out.pth', weights_only=True)
    assert list(saved['state_dict']) == list(full)
    assert saved['meta']['missing'] == []
    assert saved['meta']['num_classes'] == 40
    assert saved['meta']['num_proposals'] == 100


def test_backbone_only_file(tmp_path, monkeypatch, capsys):
    backbone = {k: v for k, v in official_state_dict().items()
                if k.startswith('backbone.')}
    src = tmp_path / 'backbone.pth'
    torch.save(dict(state_dict=backbone), src)
    out = run_cli(monkeypatch, capsys, src, tmp_path / 'out.pth')
    assert 'converted tensors per part: backbone 161;' in out
    assert 'backbone MsgShifT' in out
    assert 'missing (not in the file' in out
    assert 'neck, rpn_head, bbox_head, mask_head' in out
    saved = torch.load(tmp_path / 'out.pth', weights_only=True)
    assert list(saved['state_dict']) == list(backbone)
    assert saved['meta']['num_classes'] is None
    with pytest.raises(KeyError, match='--strict: the checkpoint lacks neck'):
        run_cli(monkeypatch, capsys, src, tmp_path / 'out2.pth', '--strict')
    assert not (tmp_path / 'out2.pth').exists()


def test_coco_init_without_msg_tokens_and_rpn_embeddings():
    coco = official_state_dict()
    del coco['backbone.msg_tokens']
    converted, summary = converter.convert(dict(state_dict=coco))
    assert summary['backbone'] == 'PVTv2 (no msg_tokens)'
    assert summary['missing'] == ['backbone.msg_tokens']
    no_rpn = {k: v for k, v in official_state_dict().items()
              if not k.startswith('rpn_head.')}
    converted, summary = converter.convert(no_rpn)
    assert summary['missing'] == ['rpn_head']
    assert summary['num_proposals'] is None
    assert summary['num_classes'] == 40 and summary['num_stages'] == 6
    assert 'rpn_head' not in converter.report(summary).split('\n')[0]
    one_rpn = dict(official_state_dict())
    del one_rpn['rpn_head.init_proposal_features.weight']
    assert converter.convert(one_rpn)[1]['missing'] == [
        'rpn_head.init_proposal_features.weight']
    with pytest.raises(KeyError, match='init_proposal_features'):
        converter.convert(one_rpn, strict=True)


def test_heads_with_different_stages_are_reported():
    sd = {k: v for k, v in official_state_dict().items()
          if not k.startswith('roi_head.mask_head.5.')}
    _, summary = converter.convert(sd)
    assert summary['missing'] == ['roi_head.mask_head.5']


def test_bare_backbone_state_dict_gets_prefixed():
    bare = {k[len('backbone.'):]: v
            for k, v in official_state_dict().items()
            if k.startswith('backbone.')}
    converted, summary = converter.convert(bare)
    assert list(converted) == ['backbone.' + k for k in bare]
    assert summary['backbone'] == 'MsgShifT'
    assert summary['parts']['backbone'] == 161


def test_original_pvt_v2_release_is_converted():
    # a few keys of whai362/PVT's pvt_v2_b1.pth (original module names)
    raw = {
        'patch_embed1.proj.weight': torch.rand(64, 3, 7, 7),
        'patch_embed1.proj.bias': torch.rand(64),
        'block1.0.attn.q.weight': torch.rand(64, 64),
        'block1.0.attn.kv.weight': torch.rand(128, 64),
        'block1.0.mlp.fc1.weight': torch.rand(512, 64),
        'norm1.weight': torch.rand(64),
        'head.weight': torch.rand(1000, 512),  # classifier: dropped
    }
    converted, summary = converter.convert(raw)
    assert summary['backbone'] == 'PVTv2 (no msg_tokens)'
    w = converted['backbone.layers.0.0.projection.weight']
    assert torch.equal(w, raw['patch_embed1.proj.weight'])
    in_proj = converted['backbone.layers.0.1.0.attn.attn.in_proj_weight']
    assert torch.equal(in_proj, torch.cat([raw['block1.0.attn.q.weight'],
                                           raw['block1.0.attn.kv.weight']]))
    assert converted['backbone.layers.0.1.0.ffn.layers.0.weight'].shape == \
        (512, 64, 1, 1)
    assert all(k.startswith('backbone.layers.') for k in converted)


def test_unknown_keys_are_refused():
    with pytest.raises(KeyError, match='nor a backbone file'):
        converter.convert({'track_head.query_feat.weight': torch.zeros(1)})
    mixed = dict(official_state_dict())
    mixed['track_head.query_feat.weight'] = torch.zeros(1)
    with pytest.raises(KeyError, match='1 keys are not part of a TeViT'):
        converter.convert(mixed)
