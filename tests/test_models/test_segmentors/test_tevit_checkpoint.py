# Copyright (c) mmvidseg contributors. All rights reserved.
import copy
import importlib.util
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()

ROOT = Path(__file__).parents[3]
KEYS_FILE = ROOT / 'tests/data/checkpoint_keys/tevit_msgshift.txt'
CFG_DIR = ROOT / 'configs/tevit'


def official_keys():
    """``{key: shape}`` of the official TeViT MsgShifT checkpoint."""
    keys = {}
    for line in KEYS_FILE.read_text().splitlines():
        if not line or line.startswith('#'):
            continue
        name, shape = re.match(r'^(\S+) \((.*)\)$', line).groups()
        keys[name] = tuple(int(s) for s in shape.split(',') if s.strip())
    return keys


def build(config: str, **model_overrides):
    cfg = copy.deepcopy(Config.fromfile(CFG_DIR / config).model)
    cfg.backbone.init_cfg = None
    cfg.update(model_overrides)
    torch.manual_seed(0)
    return MODELS.build(cfg)


@pytest.fixture(scope='module')
def msgshift_model():
    return build('tevit_msgshift_8xb2-9200i_youtubevis2019.py')


def load_converter():
    path = ROOT / 'tools/model_converters/tevit_to_mmvidseg.py'
    spec = importlib.util.spec_from_file_location('tevit_converter', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_key_tree_and_parameter_count_match_official(msgshift_model):
    expected = official_keys()
    ours = {k: tuple(v.shape) for k, v in msgshift_model.state_dict().items()}
    assert len(expected) == 623
    assert ours == expected
    num_params = sum(p.numel() for p in msgshift_model.parameters())
    assert num_params == 161_832_616  # README: 161.83 M


def test_official_layout_loads_without_missing_or_unexpected_keys(
        msgshift_model, tmp_path):
    state_dict = {
        k: torch.full(shape, 0.5) if shape else torch.tensor(3)
        for k, shape in official_keys().items()
    }
    src = tmp_path / 'tevit_msgshift.pth'
    torch.save(dict(state_dict=state_dict, meta=dict(iter=9200)), src)
    converter = load_converter()
    converted, summary = converter.convert(converter.load_official(str(src)))
    assert list(converted) == list(state_dict)  # identity map
    assert summary['backbone'] == 'MsgShifT'
    assert summary['num_classes'] == 40 and summary['num_proposals'] == 100
    assert summary['num_parameters'] == 161_832_616
    dst = tmp_path / 'converted.pth'
    torch.save(dict(state_dict=converted, meta=summary), dst)
    # strict: raises on any missing or unexpected key
    load_checkpoint(msgshift_model, str(dst), strict=True)
    assert msgshift_model.backbone.msg_tokens.eq(0.5).all()
    # the official file itself loads directly as well (load_from=<file>)
    load_checkpoint(msgshift_model, str(src), strict=True)


def test_bad_checkpoints_fail_with_clear_errors(msgshift_model):
    good = msgshift_model.state_dict()
    other = {'track_head.query_feat.weight': torch.zeros(10, 256)}
    with pytest.raises(KeyError, match='Mask2Former-VIS'):
        msgshift_model.load_state_dict(other, strict=False)

    classes25 = dict(good)
    for k in list(classes25):
        if k.endswith(('fc_cls.weight', 'conv_logits.weight')):
            classes25[k] = torch.zeros(25, *good[k].shape[1:])
        elif k.endswith(('fc_cls.bias', 'conv_logits.bias')):
            classes25[k] = torch.zeros(25)
    with pytest.raises(ValueError, match='checkpoint has 25 classes'):
        msgshift_model.load_state_dict(classes25, strict=False)

    queries300 = dict(good)
    queries300['rpn_head.init_proposal_bboxes.weight'] = torch.zeros(300, 4)
    with pytest.raises(ValueError, match='rpn_head.init_proposal_bboxes'):
        msgshift_model.load_state_dict(queries300, strict=False)

    r50 = {k: v for k, v in good.items() if not k.startswith('backbone.')}
    r50['backbone.conv1.weight'] = torch.zeros(64, 3, 7, 7)
    with pytest.raises(KeyError, match='backbone does not match'):
        msgshift_model.load_state_dict(r50, strict=False)


def test_coco_queryinst_init_skips_class_layers(msgshift_model):
    coco = {
        k: v.clone()
        for k, v in msgshift_model.state_dict().items()
        if k != 'backbone.msg_tokens'
    }
    for k in list(coco):
        if re.search(r'(fc_cls|conv_logits)\.weight$', k):
            coco[k] = torch.zeros(80, *coco[k].shape[1:])
        elif re.search(r'(fc_cls|conv_logits)\.bias$', k):
            coco[k] = torch.zeros(80)
    before = msgshift_model.roi_head.bbox_head[0].fc_cls.weight.clone()
    result = msgshift_model.load_state_dict(coco, strict=False)
    assert result.unexpected_keys == []
    assert sorted(result.missing_keys) == sorted(
        ['backbone.msg_tokens'] +
        [f'roi_head.bbox_head.{s}.fc_cls.{p}' for s in range(6)
         for p in ('weight', 'bias')] +
        [f'roi_head.mask_head.{s}.conv_logits.{p}' for s in range(6)
         for p in ('weight', 'bias')])
    torch.testing.assert_close(
        msgshift_model.roi_head.bbox_head[0].fc_cls.weight, before)


def test_r50_trainable_parameter_count():
    model = build('tevit_r50_8xb2-9200i_youtubevis2019.py')
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert total == 172_565_448
    assert trainable == 172_340_104  # README: 172.3 M


def test_swin_l_parameter_count():
    model = build('tevit_swin-l_8xb2-ms-9200i_youtubevis2019.py')
    assert model.rpn_head.num_proposals == 300
    assert sum(p.numel() for p in model.parameters()) == 343_861_820


def test_all_tevit_configs_parse():
    names = sorted(p.name for p in CFG_DIR.glob('*.py'))
    assert len(names) >= 8
    for name in names:
        cfg = Config.fromfile(CFG_DIR / name)
        assert cfg.model.type == 'TeViT'
        roi = cfg.model.roi_head
        # one head dict for every stage (TeViTRoIHead copies it)
        assert roi.bbox_head.type == 'STQIHead'
        assert roi.mask_head.type == 'DynamicMaskHead'
        assert 'assigner' in cfg.model.train_cfg.rcnn
        classes = {roi.bbox_head.num_classes, roi.mask_head.num_classes}
        assert len(classes) == 1
        if 'youtubevis' in name:
            assert classes == {40}
            assert cfg.train_cfg.max_iters == 9200
            assert cfg.optim_wrapper.optimizer.lr == 2.5e-4
            assert cfg.train_dataloader.batch_size == 2
        if 'ovis' in name:
            assert classes == {25}


def test_converter_rejects_other_checkpoints():
    converter = load_converter()
    with pytest.raises(KeyError, match='not a TeViT / QueryInst'):
        converter.convert(
            dict(state_dict={'track_head.query_feat.weight': torch.zeros(1)}))
    with pytest.raises(TypeError, match='dict checkpoint'):
        converter.convert([torch.zeros(1)])
    # DDP prefixes and non-tensor entries are dropped
    converted, summary = converter.convert({
        'module.roi_head.bbox_head.0.fc_cls.weight': torch.zeros(25, 8),
        'module.rpn_head.init_proposal_bboxes.weight': torch.zeros(300, 4),
        'module.backbone.conv1.weight': torch.zeros(2, 3, 7, 7),
        'epoch': 12,
    })
    assert list(converted) == [
        'roi_head.bbox_head.0.fc_cls.weight',
        'rpn_head.init_proposal_bboxes.weight', 'backbone.conv1.weight'
    ]
    assert (summary['backbone'], summary['num_classes'],
            summary['num_proposals']) == ('ResNet-50', 25, 300)
