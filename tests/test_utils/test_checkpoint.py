# Copyright (c) mmvidseg contributors. All rights reserved.
"""mmengine checkpoints under torch >= 2.6: allow-list, not weights_only=False.
"""
import functools
import http.server
import threading

import numpy as np
import pytest
import torch
from mmengine.runner import load_checkpoint

from mmvidseg.utils import (UnsafeCheckpointError, load_checkpoint_file,
                            patch_checkpoint_loading)

# what register_all_modules() / the tools do; importing mmvidseg patches
# nothing, so this file must not depend on another test having patched
patch_checkpoint_loading()


class NotAllowed:
    """Stands for any class a malicious pickle could name."""

    def __init__(self):
        self.value = 1


def _runner_style_checkpoint():
    from mmengine.logging import HistoryBuffer
    buf = HistoryBuffer()
    buf.update(np.float64(0.5))
    return dict(
        meta=dict(seed=np.int64(3), epoch=np.float32(1.0),
                  dataset_meta=dict(classes=('a', 'b'))),
        state_dict=dict(weight=torch.ones(2)),
        message_hub=dict(log_scalars=dict(loss=buf),
                         runtime_info=dict(arr=np.arange(3))))


def test_runner_style_checkpoint_loads(tmp_path):
    path = str(tmp_path / 'ckpt.pth')
    torch.save(_runner_style_checkpoint(), path)
    # it holds globals the restricted unpickler refuses by default ...
    saved = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        unsafe = set(
            torch.serialization.get_unsafe_globals_in_checkpoint(path))
        with pytest.raises(Exception, match='Weights only load failed'):
            torch.load(path)
    finally:
        torch.serialization.add_safe_globals(saved)
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in unsafe
    assert 'builtins.getattr' in unsafe
    # ... mmvidseg's loader keeps weights_only=True and accepts them
    ckpt = load_checkpoint_file(path)
    assert ckpt['meta']['seed'] == 3
    assert ckpt['message_hub']['log_scalars']['loss'].current() == 0.5
    model = torch.nn.Linear(1, 2, bias=False)
    model.weight.data.zero_()
    sd = dict(weight=torch.ones(2, 1))
    torch.save(dict(_runner_style_checkpoint(), state_dict=sd), path)
    load_checkpoint(model, path)  # mmengine API, our registered scheme
    assert torch.equal(model.weight, torch.ones(2, 1))


def test_unexpected_global_is_refused(tmp_path):
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict={}, payload=NotAllowed()), path)
    with pytest.raises(UnsafeCheckpointError) as e:
        load_checkpoint_file(path)
    msg = str(e.value)
    assert 'evil.pth' in msg and 'NotAllowed' in msg
    assert 'weights_only=False' in msg  # says how to proceed
    with pytest.raises(UnsafeCheckpointError):
        load_checkpoint(torch.nn.Linear(1, 1), path)
    # explicit opt-in for a trusted file still works
    assert load_checkpoint_file(path, weights_only=False)['payload'].value == 1


def test_missing_file_message(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_checkpoint_file(str(tmp_path / 'nope.pth'))


def test_http_checkpoint_from_local_server(tmp_path, monkeypatch):
    serve = tmp_path / 'srv'
    serve.mkdir()
    model = torch.nn.Linear(2, 2)
    torch.save(dict(_runner_style_checkpoint(), state_dict=model.state_dict()),
               serve / 'model.pth')
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'hub'))
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(serve))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f'http://127.0.0.1:{server.server_address[1]}/model.pth'
        other = torch.nn.Linear(2, 2)
        load_checkpoint(other, url)
        assert torch.equal(other.weight, model.weight)
    finally:
        server.shutdown()


class _SneakyGetattr:
    """Pickles as ``getattr(HistoryBuffer, '__init__')``."""

    def __reduce__(self):
        from mmengine.logging import HistoryBuffer
        return getattr, (HistoryBuffer, '__init__')


def test_getattr_is_restricted_to_history_buffer_methods(tmp_path):
    path = str(tmp_path / 'sneaky.pth')
    torch.save(dict(state_dict={}, x=_SneakyGetattr()), path)
    with pytest.raises(Exception, match='getattr'):
        load_checkpoint_file(path)


@pytest.mark.parametrize('protocol', [2, 4])
def test_load_detectron2_pkl_numpy_only(tmp_path, protocol):
    import pickle
    from collections import OrderedDict

    import numpy as np

    from mmvidseg.utils.checkpoint import load_detectron2_pkl
    model = OrderedDict(w=np.arange(6, dtype=np.float32).reshape(2, 3),
                        n=np.int64(3))
    path = tmp_path / 'm.pkl'
    path.write_bytes(pickle.dumps(dict(model=model, __author__='d2'),
                                  protocol=protocol))
    out = load_detectron2_pkl(str(path))
    assert out['__author__'] == 'd2'
    np.testing.assert_array_equal(out['model']['w'], model['w'])
    assert out['model']['n'] == 3


def test_load_detectron2_pkl_refusals(tmp_path):
    import os
    import pickle

    from mmvidseg.utils.checkpoint import (UnsafeCheckpointError,
                                           load_detectron2_pkl)
    evil = tmp_path / 'evil.pkl'
    evil.write_bytes(pickle.dumps({'model': {'f': os.getcwd}}))
    with pytest.raises(UnsafeCheckpointError, match='getcwd'):
        load_detectron2_pkl(str(evil))
    listed = tmp_path / 'list.pkl'
    listed.write_bytes(pickle.dumps([1, 2]))
    with pytest.raises(TypeError, match='pickled dict'):
        load_detectron2_pkl(str(listed))
    with pytest.raises(FileNotFoundError):
        load_detectron2_pkl(str(tmp_path / 'missing.pkl'))
