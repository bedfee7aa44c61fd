# Copyright (c) mmvidseg contributors. All rights reserved.
"""tools/deployment/export.py on the STEm-Seg toy config (random weights)."""
import importlib.util
import json
import os.path as osp

import pytest

from mmvidseg.testing import REPO_ROOT

pytest.importorskip('onnxruntime')

CONFIG = osp.join(
    REPO_ROOT, 'configs/stemseg/'
    'stemseg_r18-b16-tiny_1xb2-2400i_toy-ytvis.py')


def load_tool():
    spec = importlib.util.spec_from_file_location(
        'export_tool', osp.join(REPO_ROOT, 'tools/deployment/export.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_export_onnx_and_refusals(tmp_path, capsys):
    tool = load_tool()
    out = str(tmp_path / 'stemseg.onnx')
    assert tool.main(
        [CONFIG, 'none', '--out', out, '--shape', '4', '96', '96']) == 0
    meta = json.load(open(out + '.json'))
    assert meta['input_shape'] == [1, 4, 3, 96, 96]
    assert meta['output_names'] == ['embeddings', 'semseg_logits']
    assert meta['opset'] == 17
    assert meta['max_abs_diff_vs_eager'] < 1e-4
    assert not meta['dynamic_frames'] and not meta['dynamic_size']
    # an existing file needs --force
    assert tool.main([CONFIG, 'none', '--out', out]) == 1
    assert '--force' in capsys.readouterr().err
    # STEm-Seg's decoders are built for 4-frame clips; size multiple of 32
    assert tool.main(
        [CONFIG, '--out', out, '--force', '--shape', '3', '96', '96']) == 1
    assert 'exactly 4 frames' in capsys.readouterr().err
    assert tool.main(
        [CONFIG, '--out', out, '--force', '--shape', '4', '96', '100']) == 1
    assert 'multiples of 32' in capsys.readouterr().err
