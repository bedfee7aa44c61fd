# Copyright (c) mmvidseg contributors. All rights reserved.
"""zoo://NAME against a model zoo served on 127.0.0.1 by the test."""
import functools
import hashlib
import http.server
import threading
import zipfile

import pytest
import torch

from mmvidseg.testing import config_path
from mmvidseg.utils.zoo import ZooError, resolve, safe_extract

TOY = 'mask2former_vis/mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py'
MTTR_KEYS = ['backbone.patch_embed.proj.weight', 'transformer.fusion.w',
             'spatial_decoder.layer.w', 'is_referred_head.w',
             'instance_kernels_head.layers.0.w', 'obj_queries.weight',
             'vid_embed_proj.weight',
             'transformer.text_encoder.embeddings.position_ids']


@pytest.fixture
def server(tmp_path):
    srv_dir = tmp_path / 'srv'
    srv_dir.mkdir()
    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):

        def log_message(self, *args):
            pass

        def do_GET(self):
            hits.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(
        ('127.0.0.1', 0), functools.partial(Handler, directory=str(srv_dir)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield srv_dir, f'http://127.0.0.1:{httpd.server_address[1]}', hits
    httpd.shutdown()


def _index(tmp_path, entries, monkeypatch):
    import yaml
    (tmp_path / 'metafile.yml').write_text(yaml.safe_dump(dict(
        Models=entries)))
    (tmp_path / 'model-index.yml').write_text(yaml.safe_dump(dict(
        Import=['metafile.yml'])))
    monkeypatch.setenv('MMVIDSEG_MODEL_INDEX', str(tmp_path / 'model-index.yml'))
    monkeypatch.setenv('MMVIDSEG_HOME', str(tmp_path / 'home'))


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_native_weights_download_verify_cache_and_load(tmp_path, server,
                                                       monkeypatch):
    from mmvidseg.apis import init_model
    srv, url, hits = server
    model = init_model(config_path(TOY))
    torch.save(dict(state_dict=model.state_dict(), meta={}), srv / 'toy.pth')
    _index(tmp_path, [dict(Name='toy', Config=TOY,
                           Weights=f'{url}/toy.pth',
                           SHA256=_sha(srv / 'toy.pth'))], monkeypatch)
    loaded = init_model(config_path(TOY), 'zoo://toy')
    for k, v in model.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k]), k
    assert hits == ['/toy.pth']
    init_model(config_path(TOY), 'zoo://toy')  # cached: no second download
    assert hits == ['/toy.pth']
    assert (tmp_path / 'home' / 'zoo' / 'toy.pth').is_file()


def test_hash_mismatch_and_unknown_names(tmp_path, server, monkeypatch):
    srv, url, _ = server
    (srv / 'w.pth').write_bytes(b'not what the metafile promised')
    _index(tmp_path, [dict(Name='tevit_toy', Weights=f'{url}/w.pth',
                           SHA256='0' * 64)], monkeypatch)
    with pytest.raises(ZooError, match=r'SHA-256 mismatch \(expected 0{64}, '
                       'got [0-9a-f]{64}\); the download was deleted'):
        resolve('tevit_toy')
    assert not list((tmp_path / 'home' / 'zoo').rglob('*.pth'))
    with pytest.raises(ZooError, match=r"zoo://tevit_tyo: no such model .*"
                       r"did you mean \['tevit_toy'\]"):
        resolve('tevit_tyo')
    _index(tmp_path, [dict(Name='gone', Weights=f'{url}/missing.pth')],
           monkeypatch)
    with pytest.raises(ZooError, match='missing.pth failed: HTTP Error 404'):
        resolve('gone')


def test_official_zip_is_unpacked_and_converted(tmp_path, server,
                                                monkeypatch):
    srv, url, _ = server
    official = {k: torch.full((2, ), float(i)) for i, k in
                enumerate(MTTR_KEYS)}
    pth = tmp_path / 'mttr.pth.tar'
    torch.save({'model_state_dict': official}, pth)
    with zipfile.ZipFile(srv / 'mttr_release.zip', 'w') as zf:
        zf.write(pth, 'mttr_release/refer-youtube-vos_window-12.pth.tar')
        zf.writestr('mttr_release/config.yaml', 'window_size: 12\n')
    _index(tmp_path, [dict(
        Name='mttr_toy', Weights=f'{url}/mttr_release.zip',
        **{'Converted From': dict(
            Weights=f'{url}/mttr_release.zip',
            Converter='tools/model_converters/mttr_to_mmvidseg.py',
            Member='*.pth.tar', SHA256=_sha(srv / 'mttr_release.zip'))})],
        monkeypatch)
    path = resolve('mttr_toy')
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    sd = ckpt['state_dict']
    assert 'transformer.text_encoder.embeddings.position_ids' not in str(
        list(sd))  # dropped by the converter
    assert len(sd) == len(MTTR_KEYS) - 1
    assert torch.equal(sd['backbone.patch_embed.proj.weight'],
                       torch.zeros(2))


def test_safe_extract_refuses_escaping_members(tmp_path):
    for member in ('../evil.txt', '/abs_evil.txt', 'a/../../evil.txt'):
        archive = tmp_path / 'bad.zip'
        with zipfile.ZipFile(archive, 'w') as zf:
            zf.writestr('ok.txt', 'fine')
            zf.writestr(member, 'escaped')
        with pytest.raises(ZooError, match='would be written outside'):
            safe_extract(str(archive), str(tmp_path / 'out'))
        assert not (tmp_path / 'evil.txt').exists()
        assert not (tmp_path / 'out' / 'ok.txt').exists()  # nothing written


def test_every_official_entry_names_a_working_converter():
    import os.path as osp
    import re

    from mmvidseg.testing import REPO_ROOT
    from mmvidseg.utils.zoo import load_index
    models = load_index(osp.join(REPO_ROOT, 'model-index.yml'))
    converted = {n: e['Converted From'] for n, e in models.items()
                 if 'Converted From' in e}
    assert len(converted) >= 13
    for name, conv in converted.items():
        script = osp.join(REPO_ROOT, conv['Converter'])
        assert osp.isfile(script), name
        text = open(script).read()
        for flag in re.findall(r'--[\w-]+', conv.get('Converter Args', '')):
            assert f"'{flag}'" in text, f'{name}: {flag} not in {script}'
        assert conv['Weights'] == models[name]['Weights'], name


def test_download_tool(tmp_path, server, monkeypatch):
    import importlib.util
    import os.path as osp

    from mmvidseg.testing import REPO_ROOT
    spec = importlib.util.spec_from_file_location(
        'download_checkpoint',
        osp.join(REPO_ROOT, 'tools/misc/download_checkpoint.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    srv, url, hits = server
    torch.save(dict(state_dict={'w': torch.ones(2)}), srv / 'n.pth')
    _index(tmp_path, [dict(Name='native', Weights=f'{url}/n.pth')],
           monkeypatch)
    dest = tmp_path / 'ckpts'
    assert tool.main(['native', '--dest', str(dest)]) == 0
    assert torch.load(dest / 'native.pth', weights_only=True)[
        'state_dict']['w'].sum() == 2
    assert tool.main(['native', '--dest', str(dest)]) == 1  # no --force
    assert tool.main(['native', '--dest', str(dest), '--force']) == 0
    assert tool.main(['nativ', '--dest', str(dest)]) == 1  # unknown name
