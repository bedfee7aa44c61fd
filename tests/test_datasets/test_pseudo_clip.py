# Copyright (c) mmvidseg contributors. All rights reserved.
import json

import cv2
import numpy as np
import pytest
from mmcv.transforms import Compose

from mmvidseg.datasets import ImagePseudoClipDataset
from mmvidseg.datasets._instance_utils import DatasetFormatError
from mmvidseg.structures.masks import encode_mask
from mmvidseg.utils import register_all_modules

RED, GREEN = (0, 0, 200), (0, 170, 0)
H, W = 48, 64


def _square(y0, y1, x0, x1):
    """COCO polygon of a box (pixel corners)."""
    return [[x0, y0, x1, y0, x1, y1, x0, y1]]


def _write_coco(tmp_path, extra_anns=()):
    """Image 1: a red square (cat 1), a green box (cat 3, RLE), a crowd
    region (cat 1) and a cat 5 object; image 2: only cat 5."""
    img = np.full((H, W, 3), 90, np.uint8)
    img[8:24, 10:26] = RED
    img[28:40, 34:54] = GREEN
    (tmp_path / 'imgs').mkdir(exist_ok=True)
    cv2.imwrite(str(tmp_path / 'imgs' / 'one.png'), img)
    cv2.imwrite(str(tmp_path / 'imgs' / 'two.png'), img)
    green = np.zeros((H, W), np.uint8)
    green[28:40, 34:54] = 1
    anns = [
        dict(id=1, image_id=11, category_id=1, iscrowd=0, area=256.0,
             segmentation=_square(8, 24, 10, 26), bbox=[10, 8, 16, 16]),
        dict(id=2, image_id=11, category_id=3, iscrowd=0, area=240.0,
             segmentation=encode_mask(green), bbox=[34, 28, 20, 12]),
        dict(id=3, image_id=11, category_id=1, iscrowd=1, area=16.0,
             segmentation=_square(0, 4, 60, 64), bbox=[60, 0, 4, 4]),
        dict(id=4, image_id=11, category_id=5, iscrowd=0, area=16.0,
             segmentation=_square(40, 44, 0, 4), bbox=[0, 40, 4, 4]),
        dict(id=5, image_id=12, category_id=5, iscrowd=0, area=16.0,
             segmentation=_square(40, 44, 0, 4), bbox=[0, 40, 4, 4]),
    ] + list(extra_anns)
    raw = dict(
        images=[dict(id=11, file_name='one.png', height=H, width=W),
                dict(id=12, file_name='two.png', height=H, width=W)],
        annotations=anns,
        categories=[dict(id=i, name=n) for i, n in
                    [(1, 'person'), (3, 'car'), (5, 'cup')]])
    path = tmp_path / 'instances.json'
    path.write_text(json.dumps(raw))
    return str(path)


def _dataset(tmp_path, ann_file, **kwargs):
    cfg = dict(ann_file=ann_file, data_prefix=dict(img_path=str(
        tmp_path / 'imgs')), num_frames=4)
    cfg.update(kwargs)
    return ImagePseudoClipDataset(**cfg)


def test_coco_items_are_clips_of_one_image(tmp_path):
    ds = _dataset(tmp_path, _write_coco(tmp_path), category_map={1: 0, 3: 2},
                  metainfo=dict(classes=('person', 'bike', 'car')))
    assert len(ds) == 1  # image 12 holds only the unmapped category 5
    info = ds.get_data_info(0)
    assert info['video_length'] == 4 and len(info['images']) == 4
    assert [f['frame_id'] for f in info['images']] == [0, 1, 2, 3]
    assert len({f['img_path'] for f in info['images']}) == 1
    insts = info['images'][2]['instances']
    assert [(i['bbox_label'], i['ignore_flag']) for i in insts] == \
        [(0, 0), (2, 0), (-1, 1)]  # person, car, crowd -> ignore; cup gone
    assert insts[0]['bbox'] == [10.0, 8.0, 26.0, 24.0]
    assert [i['instance_id'] for i in insts] == [1, 2, 3]
    assert ds.metainfo['classes'] == ('person', 'bike', 'car')
    drop = _dataset(tmp_path, _write_coco(tmp_path), crowd='drop',
                    category_map={1: 0, 3: 2})
    assert len(drop.get_data_info(0)['images'][0]['instances']) == 2


def test_category_modes(tmp_path):
    ann = _write_coco(tmp_path)
    agnostic = _dataset(tmp_path, ann, category_map={1: 0, 3: 0, 5: 0},
                        class_agnostic=True)
    assert agnostic.metainfo['classes'] == ('object', )
    assert len(agnostic) == 2
    labels = [i['bbox_label'] for i in
              agnostic.get_data_info(0)['images'][0]['instances']]
    assert labels == [0, 0, -1, 0]
    every = _dataset(tmp_path, ann, ignore_category_ids=[5])
    assert every.metainfo['classes'] == ('person', 'car')
    insts = every.get_data_info(0)['images'][0]['instances']
    assert [(i['bbox_label'], i['ignore_flag']) for i in insts] == \
        [(0, 0), (1, 0), (-1, 1), (-1, 1)]  # cat 5 is an ignore region


def test_pipeline_output_masks_move_with_image(tmp_path):
    register_all_modules()
    ds = _dataset(tmp_path, _write_coco(tmp_path), category_map={1: 0, 3: 1},
                  crowd='drop', metainfo=dict(classes=('person', 'car')))
    pipeline = Compose([
        dict(type='VideoClipSample', num_frames=4, mode='consecutive'),
        dict(type='TransformBroadcaster', share_random_params=True,
             transforms=[dict(type='LoadImageFromFile'),
                         dict(type='LoadTrackAnnotations', with_mask=True)]),
        dict(type='PseudoClipAugment', brightness_range=None,
             hue_saturation_range=None, motion_blur_prob=0.0),
        dict(type='PackTrackInputs'),
    ])
    np.random.seed(0)
    out = pipeline(ds.get_data_info(0))
    assert out['inputs'].shape == (4, 3, H, W)
    sample = out['data_samples']
    assert len(sample) == 4
    ids = [sample[t].gt_instances.instances_ids.tolist() for t in range(4)]
    assert [1, 2] in ids and all(set(i) <= {1, 2} for i in ids)
    for t in range(4):
        inst = sample[t].gt_instances
        img = out['inputs'][t].permute(1, 2, 0).numpy().astype(int)
        for mask, label in zip(inst.masks.masks, inst.labels.tolist()):
            colour = RED if label == 0 else GREEN
            pix = img[mask > 0]
            assert (np.abs(pix - colour).max(1) <= 10).mean() > 0.6


def _write_stemseg(tmp_path):
    h, w = 20, 30
    masks = np.zeros((4, h, w), np.uint8)
    masks[0, 0:10, 0:10] = 1  # 100 px, cat 2
    masks[1, 12:20, 0:5] = 1  # 40 px, cat 2
    masks[2, 0:4, 20:30] = 1  # 40 px, cat 7 (ignore category)
    masks[3, 15:17, 25:27] = 1  # 4 px, cat 2 (too small)
    ignore = np.zeros((h, w), np.uint8)
    ignore[18:20, 20:30] = 1
    counts = [encode_mask(m)['counts'] for m in masks]
    raw = dict(meta=dict(category_labels={'2': 'car', '7': 'bus'}),
               images=[dict(image_path='a/x.jpg', height=h, width=w,
                            categories=[2, 2, 7, 2], segmentations=counts,
                            ignore=encode_mask(ignore)['counts'])])
    path = tmp_path / 'generic.json'
    path.write_text(json.dumps(raw))
    return str(path)


def test_stemseg_image_json_mapillary_style_selection(tmp_path):
    ds = _dataset(tmp_path, _write_stemseg(tmp_path), check_files=False,
                  category_map={2: 0}, ignore_category_ids=[7],
                  min_instance_area=30, max_instances=2)
    insts = ds.get_data_info(0)['images'][0]['instances']
    # sorted by area; beyond 2 instances -> ignore; the image-level
    # "ignore" mask last; the 4 px instance dropped
    assert [(i['bbox_label'], i['ignore_flag'], i['bbox']) for i in insts] \
        == [(0, 0, [0, 0, 10, 10]), (0, 0, [0, 12, 5, 20]),
            (-1, 1, [20, 0, 30, 4]), (-1, 1, [20, 18, 30, 20])]
    assert ds.get_data_info(0)['images'][0]['img_path'].endswith('a/x.jpg')


def test_bad_inputs_name_the_problem(tmp_path):
    ann = _write_coco(tmp_path)
    with pytest.raises(DatasetFormatError, match=r'category ids \[4\]'):
        _dataset(tmp_path, ann, category_map={1: 0, 4: 1})
    with pytest.raises(DatasetFormatError, match='label 5 but'):
        _dataset(tmp_path, ann, category_map={1: 5},
                 metainfo=dict(classes=('a', 'b')))
    bad = _write_coco(tmp_path, extra_anns=[dict(
        id=9, image_id=11, category_id=8, segmentation=_square(0, 2, 0, 2))])
    with pytest.raises(DatasetFormatError, match='annotation 9.*category_id '
                       '8'):
        _dataset(tmp_path, bad)
    ann = _write_coco(tmp_path)  # valid again, then without its image
    (tmp_path / 'imgs' / 'one.png').unlink()
    with pytest.raises(DatasetFormatError, match='image 11 file .*one.png'):
        _dataset(tmp_path, ann)
    with pytest.raises(ValueError, match='crowd'):
        _dataset(tmp_path, ann, crowd='keep')


def test_lazy_init_needs_no_files(tmp_path):
    ds = ImagePseudoClipDataset(ann_file=str(tmp_path / 'absent.json'),
                                data_prefix=dict(img_path='nowhere'),
                                lazy_init=True)
    assert ds.num_frames == 8
    with pytest.raises(FileNotFoundError):
        ds.full_init()
    agnostic = ImagePseudoClipDataset(ann_file='absent.json',
                                      class_agnostic=True, lazy_init=True)
    assert agnostic.metainfo['classes'] == ('object', )
