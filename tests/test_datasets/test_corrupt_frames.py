# Copyright (c) mmvidseg contributors. All rights reserved.
"""Corrupt or missing frames: the loader names them, the dataset's policy
raises (evaluation) or skips and counts (training)."""
import shutil

import cv2
import numpy as np
import pytest
from mmengine.logging import MMLogger

from mmvidseg.datasets import YouTubeVISDataset
from mmvidseg.datasets.transforms.loading import (CorruptFrameError,
                                                  LoadImageFromFile,
                                                  check_frame_bytes)
from mmvidseg.utils import register_all_modules

register_all_modules()


def _jpeg(h=32, w=48):
    img = np.random.default_rng(0).integers(0, 255, (h, w, 3), np.uint8)
    return cv2.imencode('.jpg', img)[1].tobytes()


def _png(h=32, w=48):
    img = np.random.default_rng(0).integers(0, 255, (h, w, 3), np.uint8)
    return cv2.imencode('.png', img)[1].tobytes()


def test_check_frame_bytes():
    check_frame_bytes(_jpeg(), 'a.jpg')
    check_frame_bytes(_jpeg() + b'\x00\x00', 'a.jpg')  # padding after EOI
    check_frame_bytes(_png(), 'a.png')
    with pytest.raises(CorruptFrameError, match=r'frame a\.jpg: truncated '
                       r'JPEG \(\d+ bytes, no end-of-image marker\)'):
        check_frame_bytes(_jpeg()[:-300], 'a.jpg')
    with pytest.raises(CorruptFrameError, match='truncated PNG'):
        check_frame_bytes(_png()[:-20], 'a.png')
    with pytest.raises(CorruptFrameError, match='the file is empty'):
        check_frame_bytes(b'', 'a.png')


def test_mmcv_alone_fails_with_an_assertion(tmp_path):
    """Why the loader exists: mmcv's stops the run with a bare assertion
    that neither says what is wrong nor lets a policy skip the sample."""
    from mmcv.transforms import LoadImageFromFile as MMCVLoad
    cut = tmp_path / 'c.jpg'
    cut.write_bytes(_jpeg()[:200])
    with pytest.raises(AssertionError, match='failed to load image'):
        MMCVLoad()(dict(img_path=str(cut)))


def test_loader(tmp_path):
    good, cut, junk = (tmp_path / n for n in ('g.jpg', 'c.jpg', 'j.jpg'))
    good.write_bytes(_jpeg())
    cut.write_bytes(_jpeg()[:200])
    junk.write_bytes(b'\xff\xd8 not a jpeg at all \xff\xd9')
    load = LoadImageFromFile()
    assert load(dict(img_path=str(good)))['img'].shape == (32, 48, 3)
    with pytest.raises(CorruptFrameError, match='c.jpg: truncated JPEG'):
        load(dict(img_path=str(cut)))
    with pytest.raises(CorruptFrameError, match='j.jpg: cannot be decoded'):
        load(dict(img_path=str(junk)))
    with pytest.raises(CorruptFrameError, match='m.jpg: the file does not '
                       'exist'):
        load(dict(img_path=str(tmp_path / 'm.jpg')))
    assert LoadImageFromFile(ignore_empty=True)(
        dict(img_path=str(tmp_path / 'm.jpg'))) is None


def _dataset(root, test_mode, **kwargs):
    return YouTubeVISDataset(
        data_root=str(root) + '/', ann_file='train.json',
        data_prefix=dict(img_path='train/JPEGImages'), dataset_version=None,
        test_mode=test_mode,
        pipeline=([] if test_mode else [
            dict(type='VideoClipSample', mode='all')
        ]) + [
            dict(type='TransformBroadcaster',
                 transforms=[dict(type='LoadImageFromFile')]),
        ], **kwargs)


@pytest.fixture
def damaged_root(toy_ytvis_root, tmp_path):
    root = tmp_path / 'youtube_vis'
    shutil.copytree(toy_ytvis_root, root)
    frames = sorted((root / 'train' / 'JPEGImages' / 'train_0001').iterdir())
    frames[1].write_bytes(frames[1].read_bytes()[:500])  # truncated
    return root


def test_training_skips_and_counts(damaged_root, capfd):
    ds = _dataset(damaged_root, test_mode=False)
    assert ds.on_corrupt_frame == 'skip'
    bad = [i for i in range(len(ds))
           if 'train_0001' in ds.get_data_info(i)['images'][0]['img_path']]
    assert len(bad) == 1
    np.random.seed(0)
    MMLogger.get_instance('test_corrupt_frames', log_level='WARNING')
    sample = ds[bad[0]]
    log = ''.join(capfd.readouterr())
    paths = [p for p in sample['img_path']]
    assert not any('train_0001' in p for p in paths)  # another video
    assert ds.num_skipped_corrupt == 1
    assert 'train_0001/00001.jpg: truncated JPEG' in log
    assert '1 sample(s) skipped so far' in log
    # the other videos load as before
    assert all(ds[i] is not None for i in range(len(ds)) if i != bad[0])
    assert ds.num_skipped_corrupt == 1


def test_evaluation_raises_naming_the_video(damaged_root):
    ds = _dataset(damaged_root, test_mode=True)
    assert ds.on_corrupt_frame == 'raise'
    bad = [i for i in range(len(ds))
           if 'train_0001' in ds.get_data_info(i)['images'][0]['img_path']][0]
    with pytest.raises(CorruptFrameError,
                       match=r'train_0001/00001\.jpg: truncated JPEG .*'
                       r'\(video train_0001, sample \d+ of '
                       r'YouTubeVISDataset\)'):
        ds[bad]
    with pytest.raises(ValueError, match="'skip' is for training"):
        _dataset(damaged_root, test_mode=True, on_corrupt_frame='skip')
    with pytest.raises(ValueError, match='use one of'):
        _dataset(damaged_root, test_mode=False, on_corrupt_frame='ignore')


def test_a_missing_frame_is_refused_when_the_dataset_is_built(damaged_root):
    """(A frame deleted after the build is the loader's CorruptFrameError,
    see test_loader.)"""
    from mmvidseg.datasets import AnnotationError
    (damaged_root / 'train' / 'JPEGImages' / 'train_0001' /
     '00003.jpg').unlink()
    with pytest.raises(AnnotationError, match=r'train\.json: video \d+: '
                       r'frame 3 file .*train_0001/00003\.jpg\' does not '
                       'exist'):
        _dataset(damaged_root, test_mode=False)
