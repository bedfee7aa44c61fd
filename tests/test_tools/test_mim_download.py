# Copyright (c) mmvidseg contributors. All rights reserved.
"""``mim download mmvidseg --config NAME --dest DIR`` on an installed layout.

The test lays out what a wheel install of mmvidseg puts in site-packages
(``mmvidseg-<ver>.dist-info`` and ``mmvidseg/.mim`` filled by setup.py's
``add_mim_extension`` in copy mode) in a temporary folder, puts it first on
``PYTHONPATH`` and runs the real ``mim`` CLI in a subprocess against a model
zoo served on 127.0.0.1 by the test.
"""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import pytest
import yaml

from tests.test_utils.test_zoo import _sha, server  # noqa: F401 (fixture)

pytest.importorskip('mim', reason='openmim is optional (requirements/'
                    'optional.txt)')

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY = ('configs/mask2former_vis/'
       'mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py')


def _setup_module():
    spec = importlib.util.spec_from_file_location('mmvidseg_setup',
                                                  osp.join(ROOT, 'setup.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # setup() itself is behind __main__
    return mod


def _fake_install(tmp_path):
    """A site folder holding mmvidseg's dist-info and its ``.mim`` data."""
    site = tmp_path / 'site'
    dist = site / 'mmvidseg-0.1.0.dist-info'
    dist.mkdir(parents=True)
    (dist / 'METADATA').write_text(
        'Metadata-Version: 2.1\nName: mmvidseg\nVersion: 0.1.0\n')
    (dist / 'top_level.txt').write_text('mmvidseg\n')
    _setup_module().add_mim_extension('copy', str(site / 'mmvidseg' / '.mim'))
    return site


def _mim(site, *args, cwd):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), ROOT]))
    return subprocess.run([sys.executable, '-m', 'mim', *args], cwd=cwd,
                          env=env, capture_output=True, text=True,
                          timeout=300)


def test_setup_copies_index_configs_and_tools(tmp_path):
    """Every model-index entry's config is in the copied ``.mim`` folder, and
    mim's own metadata reader sees every entry with its weights URL."""
    from mim.commands.search import convert2df
    from modelindex import load
    site = _fake_install(tmp_path)
    mim_dir = site / 'mmvidseg' / '.mim'
    assert (mim_dir / 'tools' / 'misc' / 'download_checkpoint.py').is_file()
    assert not list(mim_dir.rglob('__pycache__'))
    df = convert2df(load(str(mim_dir / 'model-index.yml')))
    ours = {}
    for meta in yaml.safe_load((mim_dir / 'model-index.yml').read_text())[
            'Import']:
        for m in yaml.safe_load((mim_dir / meta).read_text())['Models']:
            ours[m['Name']] = m
    assert set(df.index) == set(ours)
    for name, m in ours.items():
        assert (mim_dir / m['Config']).is_file(), name
        assert (df.loc[name, 'weight'] == m['Weights']) if m.get(
            'Weights') else True, name


def test_mim_download_native_and_official_weights(
        tmp_path, server):  # noqa: F811
    import torch
    srv, url, hits = server
    native = {'w': torch.arange(4.)}
    torch.save(dict(state_dict=native, meta={}), srv / 'toy_native.pth')
    (srv / 'official.pth').write_bytes(b'official layout, converted later')
    site = _fake_install(tmp_path)
    mim_dir = site / 'mmvidseg' / '.mim'
    (mim_dir / 'configs' / 'toy_zoo').mkdir()
    (mim_dir / 'configs' / 'toy_zoo' / 'metafile.yml').write_text(
        yaml.safe_dump(dict(Models=[
            dict(Name='toy_native', Config=TOY,
                 Weights=f'{url}/toy_native.pth',
                 SHA256=_sha(srv / 'toy_native.pth')),
            dict(Name='toy_official', Config=TOY,
                 Weights=f'{url}/official.pth',
                 **{'Converted From': dict(
                     Weights=f'{url}/official.pth',
                     Converter='tools/model_converters/tevit_to_mmvidseg.py')})
        ])))
    (mim_dir / 'model-index.yml').write_text(
        yaml.safe_dump(dict(Import=['configs/toy_zoo/metafile.yml'])))
    dest = tmp_path / 'dest'
    run = _mim(site, 'download', 'mmvidseg', '--config', 'toy_native',
               'toy_official', '--dest', str(dest), cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert sorted(hits) == ['/official.pth', '/toy_native.pth']
    ckpt = torch.load(dest / 'toy_native.pth', weights_only=True)
    assert torch.equal(ckpt['state_dict']['w'], native['w'])
    # an official release arrives as published: the converter is not run
    assert (dest / 'official.pth').read_bytes() == (
        srv / 'official.pth').read_bytes()
    # the config is dumped next to the weights, loadable on its own
    from mmengine import Config
    cfg = Config.fromfile(str(dest / 'toy_native.py'))
    assert cfg.model.type == 'Mask2FormerVideo'
    # an unknown name fails listing the known ones
    run = _mim(site, 'download', 'mmvidseg', '--config', 'nope', '--dest',
               str(dest), cwd=tmp_path)
    assert run.returncode != 0 and 'toy_native' in run.stdout + run.stderr
