# Copyright (c) mmvidseg contributors. All rights reserved.
import json
import os

import numpy as np
import pytest
import scipy.io
from PIL import Image

from mmvidseg.datasets import JHMDBSentencesDataset
from mmvidseg.datasets._instance_utils import DatasetFormatError
from mmvidseg.utils import register_all_modules

register_all_modules()
H, W = 10, 12
PIPELINE = [
    dict(type='TransformBroadcaster',
         transforms=[dict(type='LoadImageFromFile'),
                     dict(type='LoadTrackAnnotations', with_mask=True)]),
    dict(type='PackTrackInputs',
         meta_keys=('text', 'is_annotated', 'image_id', 'exp_id'))
]


@pytest.fixture
def jhmdb_root(tmp_path):
    root = tmp_path / 'jhmdb_sentences'
    for action, vid, frames, masks in (('run', 'v1', 7, 6),
                                       ('jump', 'v2', 5, 5)):
        d = root / 'Rename_Images' / action / vid
        os.makedirs(d)
        for t in range(1, frames + 1):
            Image.fromarray(np.full((H, W, 3), 10 * t, np.uint8)).save(
                d / f'{t:05d}.png')
        part = np.zeros((H, W, masks), np.uint8)
        for t in range(masks):
            part[t:t + 2, :3, t] = 1  # the mask of frame t + 1 at row t
        os.makedirs(root / 'puppet_mask' / action / vid)
        scipy.io.savemat(root / 'puppet_mask' / action / vid /
                         'puppet_mask.mat', dict(part_mask=part))
    (root / 'jhmdb_annotation.txt').write_text(
        'video_id,query\nv1,A man running\nv2,the  boy jumping\n')
    return root


def test_three_seeded_frames_per_expression(jhmdb_root):
    kw = dict(data_root=str(jhmdb_root), window_size=4, pipeline=PIPELINE)
    ds = JHMDBSentencesDataset(seed=3, **kw)
    assert len(ds) == 6
    centres = [ds.get_data_info(i)['images'][2]['frame_id']
               for i in range(6)]
    again = JHMDBSentencesDataset(seed=3, **kw)
    assert centres == [again.get_data_info(i)['images'][2]['frame_id']
                       for i in range(6)]
    assert all(1 <= c <= 6 for c in centres[:3])  # frame 7 has no mask
    assert centres[:3] == sorted(centres[:3])
    others = {tuple(JHMDBSentencesDataset(seed=s, **kw).get_data_info(0)
                    ['images'][2]['frame_id'] for _ in [0])
              for s in range(4)}
    assert len(others) > 1  # the seed matters


def test_sample_window_and_mask(jhmdb_root):
    samples = [['v1', '/x/Rename_Images/run/v1/00006.png', 'm', 6,
                'A man running']]
    (jhmdb_root / 'samples.json').write_text(json.dumps(samples))
    ds = JHMDBSentencesDataset(data_root=str(jhmdb_root), window_size=4,
                               samples_file='samples.json',
                               pipeline=PIPELINE)
    assert len(ds) == 1
    info = ds.get_data_info(0)
    # 1-based window 4..7 clamped to the 6 frames with masks
    assert [f['frame_id'] for f in info['images']] == [4, 5, 6, 6]
    frames = list(ds[0]['data_samples'])
    centre = frames[2]
    assert centre.metainfo['is_annotated']
    assert centre.metainfo['image_id'] == 'v_v1_f_6'
    assert centre.metainfo['text'] == 'a man running'
    mask = centre.gt_instances.masks.to_ndarray()[0]
    assert mask[5:7, :3].all() and mask.sum() == 6  # frame 6's mask
    assert len(frames[0].gt_instances.masks) == 0


def test_bad_input(jhmdb_root):
    with pytest.raises(ValueError, match='evaluation only'):
        JHMDBSentencesDataset(data_root=str(jhmdb_root), test_mode=False,
                              pipeline=[])
    (jhmdb_root / 'jhmdb_annotation.txt').write_text(
        'video_id,query\nv9,a cat\n')
    with pytest.raises(DatasetFormatError, match="video 'v9' has no frame"):
        JHMDBSentencesDataset(data_root=str(jhmdb_root), pipeline=[])
    (jhmdb_root / 'jhmdb_annotation.txt').write_text(
        'video_id,query\nv2,\n')
    with pytest.raises(DatasetFormatError,
                       match=r"jhmdb_annotation.txt:2 \(video 'v2'\): empty"):
        JHMDBSentencesDataset(data_root=str(jhmdb_root), pipeline=[])
