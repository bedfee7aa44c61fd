# Copyright (c) mmvidseg contributors. All rights reserved.
"""COCOVideosStream: category table, instance / panoptic ground truth."""
import json
import os

import numpy as np
import pytest
from PIL import Image

from mmvidseg.datasets import COCOVideosStream, LoadCOCOVideosPanoptic
from mmvidseg.datasets.coco_videos import COCO_VIDEOS_CATEGORIES
from mmvidseg.structures.masks import encode_mask


def test_category_table():
    assert len(COCO_VIDEOS_CATEGORIES) == 133
    assert sum(c['isthing'] for c in COCO_VIDEOS_CATEGORIES) == 80
    first = COCO_VIDEOS_CATEGORIES[0]
    assert (first['id'], first['name']) == (1, 'person')
    assert COCO_VIDEOS_CATEGORIES[79]['id'] == 90  # toothbrush
    assert (COCO_VIDEOS_CATEGORIES[80]['id'],
            COCO_VIDEOS_CATEGORIES[80]['name']) == (92, 'banner')
    assert COCO_VIDEOS_CATEGORIES[-1]['id'] == 200


def _write(root, n=12):
    frames = root / 'raw_images' / 'bar'
    os.makedirs(frames)
    for i in range(n):
        Image.fromarray(np.zeros((8, 10, 3), np.uint8)).save(
            frames / f'bar_{i}.png')
    mask = np.zeros((8, 10), bool)
    mask[2:5, 3:7] = True
    ids = np.zeros((8, 10, 3), np.uint8)
    ids[2:5, 3:7, 0] = 5  # segment 5 = person
    ids[6:, :, 0] = 9  # segment 9 = banner (stuff)
    os.makedirs(root / 'panoptic_images' / 'bar')
    Image.fromarray(ids).save(root / 'panoptic_images' / 'bar' / 'bar_0.png')
    segs = [dict(id=5, category_id=1, bbox=[3, 2, 4, 3], iscrowd=0,
                 segmentation=encode_mask(mask)),
            dict(id=9, category_id=92, bbox=[0, 6, 10, 2], iscrowd=0,
                 segmentation=encode_mask(ids[..., 0] == 9))]
    ann = dict(images=[dict(id=1, file_name='bar_0.png', height=8, width=10),
                       dict(id=2, file_name='bar_10.png', height=8,
                            width=10)],
               annotations=[dict(image_id=1, file_name='bar_0.png',
                                 segments_info=segs),
                            dict(image_id=2, file_name='bar_10.png',
                                 segments_info=[])])
    os.makedirs(root / 'annotations' / 'val')
    with open(root / 'annotations' / 'val' / 'bar.json', 'w') as f:
        json.dump(ann, f)


def test_instance_stream(tmp_path):
    _write(tmp_path)
    ds = COCOVideosStream(data_root=str(tmp_path), videos=['bar'])
    assert len(ds) == 12
    evaluated = [ds.get_data_info(i) for i in range(12)
                 if ds.get_data_info(i)['evaluate']]
    assert [i['frame_id'] for i in evaluated] == [0, 10]
    inst = evaluated[0]['instances']
    assert len(inst) == 1  # the stuff segment is not an instance
    assert inst[0]['bbox_label'] == 0 and inst[0]['bbox'] == [3, 2, 7, 5]
    assert not ds.get_data_info(5)['evaluate']  # not on the 10-grid


def test_panoptic_stream_and_loader(tmp_path):
    _write(tmp_path)
    ds = COCOVideosStream(data_root=str(tmp_path), videos=['bar'],
                          task='panoptic')
    info = ds.get_data_info(0)
    assert [s['label'] for s in info['segments_info']] == [0, 80]
    pan = LoadCOCOVideosPanoptic()(dict(info))['gt_panoptic_seg'][
        'sem_seg'][0]
    assert pan[3, 4] == 0 + 1 * 1000  # person, instance 1
    assert pan[7, 0] == 80  # banner, stuff (instance 0)
    assert pan[0, 0] == 133  # void


def test_missing_annotation_file(tmp_path):
    _write(tmp_path)
    with pytest.raises(FileNotFoundError, match='raw_images/tokyo'):
        COCOVideosStream(data_root=str(tmp_path), videos=['tokyo'])
    os.remove(tmp_path / 'annotations' / 'val' / 'bar.json')
    with pytest.raises(FileNotFoundError, match='annotations/val/bar.json'):
        COCOVideosStream(data_root=str(tmp_path), videos=['bar'])


def test_instance_frame_reaches_the_metric(tmp_path):
    """Stream item -> packed sample -> COCOVideosMetric: a perfect
    prediction of the frame's one person scores AP 100."""
    import torch
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    from mmvidseg.evaluation.metrics import COCOVideosMetric
    from mmvidseg.structures.masks import decode_rle
    _write(tmp_path)
    meta_keys = ('img_id', 'img_path', 'ori_shape', 'img_shape',
                 'video_id', 'frame_id', 'evaluate', 'instances')
    ds = COCOVideosStream(data_root=str(tmp_path), videos=['bar'],
                          pipeline=[dict(type='LoadImageFromFile'),
                                    dict(type='mmdet.PackDetInputs',
                                         meta_keys=meta_keys)])
    sample: DetDataSample = ds[0]['data_samples']
    gt = decode_rle(sample.instances[0]['mask']).astype(bool)
    sample.pred_instances = InstanceData(
        masks=torch.from_numpy(gt)[None].bool(), scores=torch.ones(1),
        labels=torch.zeros(1, dtype=torch.long))
    metric = COCOVideosMetric(task='instance')
    metric.process(None, [sample.to_dict()])
    assert metric.results[0][0]['value'] == pytest.approx(100.0)
