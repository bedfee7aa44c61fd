# Copyright (c) mmvidseg contributors. All rights reserved.
"""Frame paths from annotation files never leave the image folder."""
import json
import shutil

import pytest

from mmvidseg.datasets import AnnotationError, YouTubeVISDataset
from mmvidseg.datasets._instance_utils import DatasetFormatError
from mmvidseg.datasets._paths import contained_join


@pytest.mark.parametrize('rel', ['a/b.jpg', './a/b.jpg', 'a/../b.jpg',
                                 'a..b/c.jpg'])
def test_relative_paths_inside_are_joined(rel):
    assert contained_join('/data/imgs', rel, 'x') == f'/data/imgs/{rel}'
    assert contained_join('', rel, 'x') == rel


@pytest.mark.parametrize('rel,why', [
    ('../secret.jpg', 'leads outside'), ('a/../../b.jpg', 'leads outside'),
    ('..', 'leads outside'), ('a\\..\\..\\b.jpg', 'leads outside'),
    ('/etc/passwd', 'is absolute'), ('\\\\server\\share\\a.jpg',
                                     'is absolute'),
    ('C:\\Windows\\a.jpg', 'is absolute'), ('~/a.jpg', 'is absolute'),
    ('', 'not a non-empty string'), (None, 'not a non-empty string'),
])
def test_escaping_paths_are_refused(rel, why):
    with pytest.raises(DatasetFormatError, match=f'ann.json: video 3: .*{why}'):
        contained_join('/data/imgs', rel, 'ann.json: video 3')


def test_youtube_vis_refuses_a_file_name_outside_the_root(toy_ytvis_root,
                                                          tmp_path):
    root = tmp_path / 'ytvis'
    shutil.copytree(toy_ytvis_root, root)
    ann = json.loads((root / 'train.json').read_text())
    ann['videos'][1]['file_names'][2] = '../../../../etc/hostname'
    (root / 'train.json').write_text(json.dumps(ann))
    with pytest.raises(AnnotationError, match=r"train\.json: video \d+: frame "
                       r"2: file name '\.\./\.\./\.\./\.\./etc/hostname' "
                       'leads outside'):
        YouTubeVISDataset(data_root=str(root) + '/', ann_file='train.json',
                          data_prefix=dict(img_path='train/JPEGImages'),
                          dataset_version=None, pipeline=[])
