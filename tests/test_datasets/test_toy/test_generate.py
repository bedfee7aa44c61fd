# Copyright (c) mmvidseg contributors. All rights reserved.
import hashlib
import importlib.util
import json
import os
import os.path as osp

import pytest

from mmvidseg.datasets.toy import (STAMP_FILE, TOY_FORMATS, TOY_VERSION,
                                   generate_toy_dataset)

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))


def _digests(root: str) -> dict:
    """{relative path: sha1} of every file under ``root``."""
    out = {}
    for folder, _, files in os.walk(root):
        for name in files:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                out[osp.relpath(path, root)] = hashlib.sha1(
                    f.read()).hexdigest()
    return out


def test_same_seed_same_bytes(tiny_root, tmp_path):
    again = str(tmp_path / 'again')
    generate_toy_dataset(again, preset='tiny', seed=0)
    expected = _digests(tiny_root)
    expected.pop('.toy_dataset.lock', None)
    got = _digests(again)
    got.pop('.toy_dataset.lock', None)
    assert got == expected
    other = str(tmp_path / 'other')
    generate_toy_dataset(other, preset='tiny', seed=1, formats='youtube_vis')
    name = osp.join('youtube_vis', 'train.json')
    assert _digests(other)[name] != expected[name]


def test_layout_and_stamp(tiny_root):
    assert sorted(e for e in os.listdir(tiny_root)
                  if not e.startswith('.')) == sorted(TOY_FORMATS +
                                                      (STAMP_FILE, ))
    with open(osp.join(tiny_root, STAMP_FILE)) as f:
        stamp = json.load(f)
    assert (stamp['preset'], stamp['seed'], stamp['version']) == ('tiny', 0,
                                                                  TOY_VERSION)
    assert stamp['formats'] == sorted(TOY_FORMATS)
    yv = osp.join(tiny_root, 'youtube_vis')
    for rel in ('train.json', 'valid.json', 'valid_gt.json',
                'train/JPEGImages/train_0000/00000.jpg',
                'valid/JPEGImages/valid_0001/00004.jpg'):
        assert osp.isfile(osp.join(yv, rel)), rel


def test_returned_paths_exist(tmp_path):
    result = generate_toy_dataset(str(tmp_path / 'toy'), preset='tiny')
    assert result['generated'] == list(TOY_FORMATS)
    for name in TOY_FORMATS:
        for path in result[name].values():
            assert osp.exists(path), (name, path)
    assert result['youtube_vis']['train_json'] == str(
        tmp_path / 'toy' / 'youtube_vis' / 'train.json')


def test_idempotent_and_additive(tmp_path):
    root = str(tmp_path / 'toy')
    first = generate_toy_dataset(root, preset='tiny', formats=['davis'])
    assert first['generated'] == ['davis']
    mtime = os.stat(osp.join(root, 'davis', 'DAVIS', 'ImageSets', '2017',
                             'train.txt')).st_mtime_ns
    again = generate_toy_dataset(root, preset='tiny', formats=['davis'])
    assert again['generated'] == []
    assert again['davis'] == first['davis']
    more = generate_toy_dataset(root, preset='tiny',
                                formats=['davis', 'burst'])
    assert more['generated'] == ['burst']
    assert os.stat(osp.join(root, 'davis', 'DAVIS', 'ImageSets', '2017',
                            'train.txt')).st_mtime_ns == mtime
    with open(osp.join(root, STAMP_FILE)) as f:
        assert json.load(f)['formats'] == ['burst', 'davis']


def test_refuses_to_overwrite(tmp_path):
    root = tmp_path / 'toy'
    generate_toy_dataset(str(root), preset='tiny', formats=['youtube_vis'])
    with pytest.raises(FileExistsError,
                       match=r"preset 'tiny', seed 0.*--force"):
        generate_toy_dataset(str(root), preset='tiny', seed=1,
                             formats=['youtube_vis'])
    (root / 'youtube_vis' / 'mine.txt').write_text('keep')
    result = generate_toy_dataset(str(root), preset='tiny', seed=1,
                                  formats=['youtube_vis'], force=True)
    assert result['generated'] == ['youtube_vis']
    assert not (root / 'youtube_vis' / 'mine.txt').exists()

    user = tmp_path / 'user'
    user.mkdir()
    (user / 'notes.txt').write_text('mine')
    with pytest.raises(FileExistsError, match='notes.txt'):
        generate_toy_dataset(str(user), preset='tiny', formats=['davis'])
    assert os.listdir(user) == ['notes.txt']  # nothing written
    generate_toy_dataset(str(user), preset='tiny', formats=['davis'],
                         force=True)
    assert (user / 'notes.txt').read_text() == 'mine'  # force keeps others

    # A format folder the stamp does not know about is not overwritten.
    (root / 'davis').mkdir()
    with pytest.raises(FileExistsError, match='davis'):
        generate_toy_dataset(str(root), preset='tiny', seed=1,
                             formats=['davis'])


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='unknown toy dataset format'):
        generate_toy_dataset(str(tmp_path), preset='tiny', formats=['coco'])
    with pytest.raises(ValueError, match='non-negative'):
        generate_toy_dataset(str(tmp_path), preset='tiny', seed=-1)
    with pytest.raises(KeyError, match='unknown toy dataset preset'):
        generate_toy_dataset(str(tmp_path), preset='huge')


def test_cli(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location(
        'make_toy_dataset',
        osp.join(REPO, 'tools', 'dataset_converters', 'make_toy_dataset.py'))
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    out = str(tmp_path / 'toy')
    args = ['--out', out, '--preset', 'tiny', '--formats', 'kitti_mots']
    assert cli.main(args) == 0
    assert 'wrote kitti_mots' in capsys.readouterr().out
    assert cli.main(args) == 0
    assert 'up to date' in capsys.readouterr().out
    assert cli.main(args + ['--seed', '3']) == 1
    assert '--force' in capsys.readouterr().err
    assert cli.main(args + ['--seed', '3', '--force']) == 0
