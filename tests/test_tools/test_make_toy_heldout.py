# Copyright (c) mmvidseg contributors. All rights reserved.
"""tools/analysis_tools/make_toy_heldout.py on the tiny toy preset."""
import json
import os.path as osp
import sys

import pytest

from mmvidseg.datasets.toy import generate_toy_dataset
from mmvidseg.testing import REPO_ROOT

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis_tools'))
from make_toy_heldout import main, make_heldout  # noqa: E402


def test_merges_train_and_valid_videos_of_every_seed(tmp_path):
    info = make_heldout(str(tmp_path / 'ho'), [1, 2], preset='tiny')
    with open(info['ann_file']) as f:
        merged = json.load(f)
    # tiny preset: 4 train + 2 valid videos per seed
    assert info['num_videos'] == len(merged['videos']) == 12
    assert [v['id'] for v in merged['videos']] == list(range(1, 13))
    assert len({a['id'] for a in merged['annotations']}) == \
        len(merged['annotations']) == info['num_annotations'] > 0
    assert {a['video_id'] for a in merged['annotations']} <= set(range(1, 13))
    for video in merged['videos']:
        for name in video['file_names']:
            assert osp.isfile(osp.join(info['img_path'], name)), name
    # the annotations of a video are those of its source video, frames too
    src = generate_toy_dataset(
        str(tmp_path / 'ho' / 'seed2'), preset='tiny', seed=2,
        formats=['youtube_vis'])['youtube_vis']
    with open(src['valid_gt_json']) as f:
        valid2 = json.load(f)
    last = merged['videos'][-1]
    assert last['file_names'][0].startswith('seed2_valid_')
    src_video = valid2['videos'][-1]
    assert last['length'] == src_video['length']
    ours = [a for a in merged['annotations'] if a['video_id'] == last['id']]
    theirs = [
        a for a in valid2['annotations'] if a['video_id'] == src_video['id']
    ]
    assert [a['segmentations'] for a in ours] == \
        [a['segmentations'] for a in theirs]
    with open(osp.join(info['img_path'], last['file_names'][0]), 'rb') as f, \
            open(osp.join(src['valid_images'],
                          src_video['file_names'][0]), 'rb') as g:
        assert f.read() == g.read()


def test_refuses_training_seed_and_existing_output(tmp_path, capsys):
    with pytest.raises(ValueError, match='training dataset'):
        make_heldout(str(tmp_path / 'a'), [0, 1], preset='tiny')
    assert main(['--out', str(tmp_path / 'b'), '--seeds', '3',
                 '--preset', 'tiny']) == 0
    assert 'tools/test_vis.py' in capsys.readouterr().out
    assert main(['--out', str(tmp_path / 'b'), '--seeds', '3',
                 '--preset', 'tiny']) == 2
    assert '--force' in capsys.readouterr().err
    assert main(['--out', str(tmp_path / 'b'), '--seeds', '3',
                 '--preset', 'tiny', '--force']) == 0
