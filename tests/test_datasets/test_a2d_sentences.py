# Copyright (c) mmvidseg contributors. All rights reserved.
import os

import cv2
import numpy as np
import pytest

from mmvidseg.datasets import A2DSentencesDataset
from mmvidseg.datasets._instance_utils import DatasetFormatError
from mmvidseg.datasets.a2d_sentences import centred_window, read_a2d_h5
from mmvidseg.utils import register_all_modules

h5py = pytest.importorskip('h5py')
register_all_modules()
H, W, N_FRAMES = 16, 24, 6
META_KEYS = ('text', 'exp_id', 'referred_instance_id', 'is_annotated',
             'image_id')


def _pipeline():
    return [
        dict(type='LoadVideoFrames'),
        dict(type='TransformBroadcaster', share_random_params=True,
             transforms=[dict(type='LoadTrackAnnotations', with_mask=True)]),
        dict(type='PackTrackInputs', meta_keys=META_KEYS)
    ]


def _write_h5(path, masks_by_id):
    """Official layout: reMask stored W x H, no instance axis for one."""
    ids = list(masks_by_id)
    masks = np.stack([m.T for m in masks_by_id.values()])
    with h5py.File(path, 'w') as f:
        f['instance'] = np.array(ids)
        f['reMask'] = masks[0] if len(ids) == 1 else masks


def _mask(y, x):
    m = np.zeros((H, W), np.uint8)
    m[y:y + 3, x:x + 5] = 1
    return m


@pytest.fixture
def a2d_root(tmp_path):
    root = tmp_path / 'a2d_sentences'
    os.makedirs(root / 'Release' / 'clips320H')
    ann = root / 'text_annotations' / 'a2d_annotation_with_instances'
    for vid in ('vidA', 'vidB'):
        os.makedirs(ann / vid)
        writer = cv2.VideoWriter(
            str(root / 'Release' / 'clips320H' / f'{vid}.mp4'),
            cv2.VideoWriter_fourcc(*'mp4v'), 10, (W, H))
        for t in range(N_FRAMES):  # frame t is filled with grey 40 * t
            writer.write(np.full((H, W, 3), 40 * t, np.uint8))
        writer.release()
    # vidA frame 2 (1-based) holds instances 0 and 1, frame 5 instance 1
    _write_h5(ann / 'vidA' / '00002.h5', {0: _mask(0, 0), 1: _mask(8, 10)})
    _write_h5(ann / 'vidA' / '00005.h5', {1: _mask(4, 4)})
    _write_h5(ann / 'vidB' / '00003.h5', {0: _mask(1, 1)})
    with open(root / 'Release' / 'videoset.csv', 'w') as f:
        f.write('vidA,1,0,0,0,0,0,0,1\nvidB,1,0,0,0,0,0,0,0\n'
                'vidC,1,0,0,0,0,0,0,1\n')
    with open(root / 'text_annotations' / 'a2d_missed_videos.txt', 'w') as f:
        f.write('vidC\n')
    with open(root / 'text_annotations' / 'a2d_annotation.txt', 'w') as f:
        f.write('video_id,instance_id,query\n'
                'vidA,0,The  MAN walking\nvidA,1,a dog on the left\n'
                'vidA,1 (copy),duplicate\nvidB,0,a ball\n')
    return root


def test_centred_window():
    assert centred_window(5, 4) == [3, 4, 5, 6]  # centre at ws // 2
    assert centred_window(5, 3) == [4, 5, 6]
    assert centred_window(0, 4)[4 // 2] == 0


def test_read_h5_transposes_and_adds_axis(a2d_root):
    ids, masks = read_a2d_h5(str(
        a2d_root / 'text_annotations/a2d_annotation_with_instances/vidA/'
        '00005.h5'))
    assert ids == [1] and masks.shape == (1, H, W)
    assert masks[0, 4:7, 4:9].all() and masks.sum() == 15


def test_test_split_samples(a2d_root):
    ds = A2DSentencesDataset(data_root=str(a2d_root), split='test',
                             window_size=4, test_mode=True,
                             pipeline=_pipeline())
    # vidA: instance 0 -> frame 2; instance 1 -> frames 2 and 5
    assert len(ds) == 3
    info = ds.get_data_info(0)
    assert [f['frame_index'] for f in info['images']] == [-1, 0, 1, 2]
    out = ds[0]
    frames = list(out['data_samples'])
    # edge padding: mp4 frames -1 -> 0; grey level 40 * t
    greys = out['inputs'].float().mean(dim=(1, 2, 3)).tolist()
    assert greys[0] == pytest.approx(greys[1], abs=3)
    assert greys[2] == pytest.approx(40, abs=4)
    assert [f.metainfo['is_annotated'] for f in frames] == [
        False, False, True, False]
    centre = frames[2]
    assert centre.metainfo['text'] == 'the man walking'
    assert centre.metainfo['image_id'] == 'v_vidA_f_2_i_0'
    # test mode: only the referred instance (A2D id 0 -> 1)
    assert centre.gt_instances.instances_ids.tolist() == [1]
    assert centre.gt_instances.masks.to_ndarray()[0, 0:3, 0:5].all()
    assert len(frames[0].gt_instances.masks) == 0


def test_train_keeps_all_instances(a2d_root):
    ds = A2DSentencesDataset(data_root=str(a2d_root), split='train',
                             window_size=3, pipeline=_pipeline())
    assert len(ds) == 1  # vidB only; vidC missed
    frames = list(ds[0]['data_samples'])
    assert frames[1].metainfo['is_annotated']
    assert frames[1].metainfo['referred_instance_id'] == 1
    ds = A2DSentencesDataset(data_root=str(a2d_root), split='test',
                             window_size=3, pipeline=_pipeline())
    frames = list(ds[1]['data_samples'])
    assert frames[1].gt_instances.instances_ids.tolist() == [1, 2]
    assert frames[1].metainfo['referred_instance_id'] == 2


def test_end_of_video_edge_padding(a2d_root):
    ds = A2DSentencesDataset(data_root=str(a2d_root), split='test',
                             window_size=6, test_mode=True,
                             pipeline=_pipeline())
    out = ds[2]  # instance 1 at frame 5 (index 4): window 1 .. 6
    assert [f['frame_index'] for f in ds.get_data_info(2)['images']] == \
        [1, 2, 3, 4, 5, 6]
    greys = out['inputs'].float().mean(dim=(1, 2, 3)).tolist()
    assert greys[-1] == pytest.approx(greys[-2], abs=3)  # index 6 -> 5


def test_bad_input(a2d_root):
    ann = a2d_root / 'text_annotations' / 'a2d_annotation.txt'
    ann.write_text('video_id,instance_id,query\nvidA,0,   \n')
    with pytest.raises(DatasetFormatError, match='a2d_annotation.txt:2 '
                       r"\(video 'vidA'\): empty"):
        A2DSentencesDataset(data_root=str(a2d_root), split='test',
                            pipeline=[])
    ann.write_text('video,instance_id,query\nvidA,0,a\n')
    with pytest.raises(DatasetFormatError, match=r"no column.*video_id"):
        A2DSentencesDataset(data_root=str(a2d_root), split='test',
                            pipeline=[])
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        A2DSentencesDataset(data_root=str(a2d_root), split='val',
                            pipeline=[])
    os.remove(a2d_root / 'Release' / 'clips320H' / 'vidA.mp4')
    ann.write_text('video_id,instance_id,query\nvidA,0,a man\n')
    ds = A2DSentencesDataset(data_root=str(a2d_root), split='test',
                             pipeline=_pipeline())
    with pytest.raises(FileNotFoundError, match='vidA.mp4'):
        ds[0]


def test_a2d_samples_through_mttr_and_refer_metric(a2d_root, tmp_path):
    """End to end on the tiny files: dataset -> MTTR (annotated centre frame
    only) -> ReferMetric (one COCO image per annotated sample)."""
    pytest.importorskip('transformers')
    import torch
    from mmengine.dataset import pseudo_collate

    from mmvidseg.registry import METRICS, MODELS
    from tests.test_models.test_segmentors.test_mttr import _model
    ds = A2DSentencesDataset(data_root=str(a2d_root), split='test',
                             window_size=4, test_mode=True,
                             pipeline=_pipeline())
    model = _model(tmp_path, mode='all').eval()
    model.data_preprocessor = MODELS.build(
        dict(type='VideoDataPreprocessor', mean=[0] * 3, std=[1] * 3))
    metric = METRICS.build(dict(type='ReferMetric'))
    with torch.no_grad():
        for i in range(len(ds)):
            out = model.test_step(pseudo_collate([ds[i]]))
            frames = list(out[0])
            assert [len(f.pred_track_instances) for f in frames] == \
                [0, 0, 4, 0]  # all 4 queries on the annotated frame
            metric.process({}, out)
    res = metric.evaluate(len(ds))
    assert set(res) >= {'refer/mAP', 'refer/overall_iou', 'refer/P@0.5'}
    assert 0.0 <= res['refer/mAP'] <= 1.0
