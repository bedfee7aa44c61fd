# Copyright (c) mmvidseg contributors. All rights reserved.
"""PanopticPseudoClipDataset on tiny COCO-panoptic files the tests write."""
import json
import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from mmvidseg.datasets import PanopticPseudoClipDataset, TaskTaggedDataset
from mmvidseg.datasets._instance_utils import DatasetFormatError
from mmvidseg.datasets.transforms.panoptic_loading import PanopticFormatError
from mmvidseg.evaluation.functional.panoptic_io import id2rgb, write_png
from mmvidseg.utils import register_all_modules

H, W = 40, 60
CATEGORIES = [dict(id=1, name='person', isthing=1),
              dict(id=2, name='car', isthing=1),
              dict(id=3, name='sky', isthing=0)]


def _segment_map(extra_id: int = 0) -> np.ndarray:
    ids = np.zeros((H, W), np.int64)  # 0 = unlabelled
    ids[:10] = 5  # sky
    ids[15:30, 5:20] = 7  # person
    ids[15:35, 30:50] = 9  # car
    ids[36:, :10] = 11  # crowd of persons
    if extra_id:
        ids[0:3, 0:3] = extra_id  # a segment the JSON does not list
    return ids


def write_panoptic(root, extra_id: int = 0, layout: str = 'coco') -> dict:
    """Two images: one with things, one with stuff only (dropped)."""
    img_dir, png_dir = osp.join(root, 'images'), osp.join(root, 'panoptic')
    images, anns = [], []
    for i, things in ((1, True), (2, False)):
        name = f'img{i}.jpg' if layout == 'coco' else \
            f'city{i}_000000_00001{i}_gtFine_leftImg8bit.png'
        img_name = name if layout == 'coco' else osp.join(
            f'city{i}', name.replace('gtFine_', ''))
        rgb = np.random.RandomState(i).randint(0, 255, (H, W, 3), np.uint8)
        write_png(osp.join(img_dir, img_name), rgb)
        ids = _segment_map(extra_id) if things else np.full((H, W), 5)
        png = f'img{i}_panoptic.png'
        write_png(osp.join(png_dir, png), id2rgb(ids))
        segs = [dict(id=5, category_id=3, iscrowd=0)]
        if things:
            segs += [dict(id=7, category_id=1, iscrowd=0),
                     dict(id=9, category_id=2, iscrowd=0),
                     dict(id=11, category_id=1, iscrowd=1)]
        images.append(dict(id=i, file_name=name, height=H, width=W))
        anns.append(dict(image_id=i, file_name=png, segments_info=segs))
    ann_file = osp.join(root, 'panoptic.json')
    with open(ann_file, 'w') as f:
        json.dump(dict(images=images, annotations=anns,
                       categories=CATEGORIES), f)
    return dict(ann_file=ann_file,
                data_prefix=dict(img_path=img_dir, seg_map_path=png_dir))


def pipeline(num_frames=3, crop=(32, 32), **kw):
    return [
        dict(type='VideoClipSample', num_frames=1, mode='consecutive'),
        dict(type='TransformBroadcaster',
             transforms=[dict(type='LoadImageFromFile'),
                         dict(type='LoadVideoPanopticAnnotations')]),
        dict(type='PanopticPseudoClipAffine', num_frames=num_frames,
             min_sides=(40, 44), crop_size=crop, **kw),
        dict(type='PackVideoPanopticInputs', meta_keys=('ref_frame_index', ))
    ]


@pytest.fixture(autouse=True)
def _registry():
    register_all_modules()


def test_items_have_the_vps_frame_layout(tmp_path):
    files = write_panoptic(str(tmp_path))
    ds = PanopticPseudoClipDataset(**files, dataset_name='COCO',
                                   check_files=True)
    assert len(ds) == 1  # the stuff-only image is dropped
    assert ds.metainfo['classes'] == ('person', 'car', 'sky')
    assert ds.metainfo['thing_ids'] == (0, 1)
    assert ds.metainfo['dataset_name'] == 'COCO'
    info = ds.get_data_info(0)
    assert info['video_length'] == 1 and len(info['images']) == 1
    frame = info['images'][0]
    assert frame['panoptic_format'] == 'coco_rgb'
    assert frame['img_path'].endswith('images/img1.jpg')
    assert frame['seg_map_path'].endswith('panoptic/img1_panoptic.png')
    segs = {s['id']: (s['label'], s['iscrowd'], s['instance_id'])
            for s in frame['segments_info']}
    assert segs == {5: (2, 0, 0), 7: (0, 0, 1), 9: (1, 0, 2), 11: (0, 1, 0)}
    three = PanopticPseudoClipDataset(**files, num_frames=3)
    assert [f['frame_id'] for f in three.get_data_info(0)['images']] == \
        [0, 1, 2]


def test_cityscapes_layout_and_34_class_table(tmp_path):
    files = write_panoptic(str(tmp_path), layout='cityscapes')
    with open(files['ann_file']) as f:
        raw = json.load(f)
    # the official file lists only the 19 evaluated categories: map ours
    # onto Cityscapes ids (person 24, car 26, sky 23)
    remap = {1: 24, 2: 26, 3: 23}
    for ann in raw['annotations']:
        for s in ann['segments_info']:
            s['category_id'] = remap[s['category_id']]
    ann = raw['annotations'][0]['segments_info']
    ann.append(dict(id=13, category_id=0, iscrowd=0))  # unlabeled -> void
    with open(files['ann_file'], 'w') as f:
        json.dump(raw, f)
    ds = PanopticPseudoClipDataset(**files, categories='cityscapes',
                                   ignore_category_ids=(0, -1),
                                   layout='cityscapes', check_files=True)
    assert len(ds.metainfo['classes']) == 34
    assert ds.metainfo['thing_ids'] == tuple(range(24, 34))
    frame = ds.get_data_info(0)['images'][0]
    assert frame['img_path'].endswith(
        osp.join('city1', 'city1_000000_000011_leftImg8bit.png'))
    assert {s['id']: s['label'] for s in frame['segments_info']} == \
        {5: 23, 7: 24, 9: 26, 11: 24}


def test_bad_files_name_the_file_and_key(tmp_path):
    files = write_panoptic(str(tmp_path))
    with open(files['ann_file']) as f:
        raw = json.load(f)
    raw['annotations'][0]['segments_info'][1]['category_id'] = 42
    bad = str(tmp_path / 'bad.json')
    with open(bad, 'w') as f:
        json.dump(raw, f)
    with pytest.raises(DatasetFormatError, match=r'bad.json.*segment 7.*42'):
        PanopticPseudoClipDataset(bad, data_prefix=files['data_prefix'])
    with pytest.raises(DatasetFormatError, match='img_path'):
        PanopticPseudoClipDataset(files['ann_file'], check_files=True,
                                  data_prefix=dict(img_path='nowhere',
                                                   seg_map_path='nowhere'))


def test_segment_id_missing_from_json_is_a_clear_error(tmp_path):
    files = write_panoptic(str(tmp_path), extra_id=77)
    ds = PanopticPseudoClipDataset(**files, pipeline=pipeline())
    with pytest.raises(PanopticFormatError,
                       match=r'img1_panoptic\.png: segment ids \[77\]'):
        ds[0]


def test_pipeline_makes_a_panoptic_clip(tmp_path):
    np.random.seed(0)
    files = write_panoptic(str(tmp_path))
    ds = PanopticPseudoClipDataset(**files, pipeline=pipeline())
    out = ds[0]
    frames = out['data_samples'].video_data_samples
    assert out['inputs'].shape == (3, 3, 32, 32)  # (T, C, h, w)
    ids = set()
    for f in frames:
        sem = f.gt_sem_seg.sem_seg
        assert sem.shape == (1, 32, 32)
        assert set(sem.unique().tolist()) <= {0, 1, 2, 255}
        inst = f.gt_instances
        assert inst.masks.masks.shape[1:] == (32, 32)
        # every thing instance pixel is labelled with its class
        for m, lab in zip(inst.masks.masks, inst.labels.tolist()):
            assert m.any()
            assert (sem[0][torch.from_numpy(m.astype(bool))] == lab).all()
        ids |= set(inst.instances_ids.tolist())
    base = 1 << 24  # instance_id_base of item 0
    assert ids and ids <= {base + 1, base + 2}


def test_affine_and_resize_pin_the_reference_geometry():
    from mmvidseg.datasets.transforms.panoptic_pseudo_clip import (
        PanopticPseudoClipAffine, imgaug_affine_matrix,
        min_side_resize_shape)
    # rotation about the centre (w / 2 - 0.5, h / 2 - 0.5)
    m = imgaug_affine_matrix(4, 6, 1.0, 90.0, 0.0)
    np.testing.assert_allclose(m @ [2.5, 1.5, 1], [2.5, 1.5, 1], atol=1e-9)
    np.testing.assert_allclose(m @ [3.5, 1.5, 1], [2.5, 2.5, 1], atol=1e-9)
    # skimage's (< 0.19) shear: the y axis turns by the shear angle, (0, 1)
    # -> (-sin, cos)
    s = imgaug_affine_matrix(4, 6, 1.0, 0.0, 45.0)
    r = np.sqrt(0.5)
    np.testing.assert_allclose(s @ [2.5, 2.5, 1], [2.5 - r, 1.5 + r, 1],
                               atol=1e-9)
    assert min_side_resize_shape(40, 60, 512) == (512, 768)
    assert min_side_resize_shape(100, 1000, 512) == (133, 1333)
    # identity affine + same-size resize + full crop reproduce the maps
    t = PanopticPseudoClipAffine(crop_size=(40, 60))
    img = np.random.RandomState(0).randint(0, 255, (H, W, 3), np.uint8)
    maps = np.stack([_segment_map() % 4, _segment_map() % 3], -1)
    out, lab = t.warp_frame(img, maps.astype(np.float32), np.eye(3), 40,
                            (0.0, 0.0))
    np.testing.assert_array_equal(out, img)
    np.testing.assert_array_equal(lab, maps)


def test_vos_task_picks_a_reference_frame_and_caps_objects(tmp_path):
    np.random.seed(1)
    files = write_panoptic(str(tmp_path))
    tagged = TaskTaggedDataset(
        dict(type='PanopticPseudoClipDataset', **files,
             dataset_name='COCO',
             pipeline=pipeline(crop=(40, 40), max_vos_objects=1,
                               scale_range=(1, 1), rotation_range=(0, 0),
                               shear_range=(0, 0))),
        task=('vis', 'vps', 'vos'))
    assert len(tagged) == 3
    out = tagged[tagged.index_for(0, 'vos')]
    frames = out['data_samples'].video_data_samples
    ref = frames[0].metainfo['ref_frame_index']
    assert ref == 0  # the drawn reference frame is moved first
    assert all(f.metainfo['ref_frame_index'] == ref for f in frames)
    assert frames[0].metainfo['task'] == 'vos'
    ids = [set(f.gt_instances.instances_ids.tolist()) for f in frames]
    assert len(ids[ref]) == 1 and set.union(*ids) == ids[ref]
    assert all(len(f.ignored_instances) == 0 for f in frames)  # no crowd
    vis = tagged[tagged.index_for(0, 'vis')]['data_samples']
    assert vis.video_data_samples[0].metainfo['task'] == 'vis'
    assert 'ref_frame_index' not in vis.video_data_samples[0].metainfo


def test_clip_without_object_returns_none():
    from mmdet.structures.mask import BitmapMasks

    from mmvidseg.datasets.transforms import PanopticPseudoClipAffine
    mask = np.zeros((1, H, W), np.uint8)
    mask[0, :5, :5] = 1
    results = dict(
        img=[np.zeros((H, W, 3), np.uint8)], img_shape=[(H, W)],
        gt_seg_map=[np.zeros((H, W), np.uint8)],
        gt_masks=[BitmapMasks(mask, H, W)],
        gt_bboxes=[np.zeros((1, 4), np.float32)],
        gt_bboxes_labels=[np.zeros(1, np.int64)],
        gt_instances_ids=[np.zeros(1, np.int64)],
        gt_ignore_flags=[np.ones(1, bool)])  # only a crowd region
    t = PanopticPseudoClipAffine(num_frames=2, min_sides=(40, ),
                                 crop_size=(20, 20))
    assert t(results) is None
    with pytest.raises(TypeError, match='LoadVideoPanopticAnnotations'):
        t(dict(img=[np.zeros((H, W, 3), np.uint8)]))


def test_pretrain_config_pipeline_feeds_the_tarvis_losses(tmp_path):
    """The pre-training mix's pipeline (crop shrunk) on the tiny files gives
    samples that a TarViS-tiny trains on for all three tasks."""
    import copy
    import math

    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate

    from mmvidseg.registry import MODELS
    from mmvidseg.testing import config_path
    pre = Config.fromfile(
        config_path('tarvis/tarvis_r50_32xb1-500k_pretrain.py'))
    assert pre.train_dataloader.batch_sampler.task_weights == dict(
        vis=0.3, vps=0.3, vos=0.4)
    coco = copy.deepcopy(pre.train_datasets['COCO'])
    coco.pop('data_root')
    coco.update(write_panoptic(str(tmp_path)))
    aug = coco['pipeline'][2]
    assert aug['type'] == 'PanopticPseudoClipAffine'
    aug.update(min_sides=(40, 48), crop_size=(32, 32))
    tagged = TaskTaggedDataset(coco, task=('vis', 'vps', 'vos'))
    toy = Config.fromfile(
        config_path('tarvis/tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py'))
    model_cfg = toy.model.to_dict()
    model_cfg['embedding_container']['num_classes'] = dict(COCO=3)
    model_cfg['dataset_name'] = 'COCO'
    torch.manual_seed(0)
    np.random.seed(0)
    model = MODELS.build(model_cfg)
    model.train()
    for task in ('vis', 'vps', 'vos'):
        idx = tagged.index_for(0, task)
        data = pseudo_collate([tagged[idx], tagged[idx]])
        data = model.data_preprocessor(data, True)
        losses = model(**data, mode='loss')
        total = sum(v.sum() for k, v in losses.items() if 'loss' in k)
        assert math.isfinite(total.item()) and total.item() > 0, task
        expected = ('loss_vos_ce', 'loss_vos_dice') if task == 'vos' else \
            ('loss_cls', 'loss_mask_ce', 'loss_sem_ce')
        assert set(expected) <= set(losses), (task, sorted(losses))
        total.backward()


def test_pretrain_mix_draws_one_dataset_and_task_per_chunk(tmp_path):
    """The pre-training loader structure (TaskTaggedDataset over the
    weighted mix of the four panoptic datasets) with the batch sampler."""
    import copy

    from mmengine.config import Config
    from mmengine.dataset import InfiniteSampler

    from mmvidseg.datasets import TaskAwareBatchSampler
    from mmvidseg.registry import DATASETS
    from mmvidseg.testing import config_path
    pre = Config.fromfile(
        config_path('tarvis/tarvis_r50_32xb1-500k_pretrain.py'))
    loader = pre.train_dataloader.to_dict()
    files = write_panoptic(str(tmp_path))
    mix = loader['dataset']['dataset']
    assert [d['dataset_name'] for d in mix['datasets']] == \
        ['COCO', 'ADE20K', 'CITYSCAPES', 'MAPILLARY']
    assert mix['weights'] == [0.55, 0.2, 0.05, 0.2]
    assert mix['total_samples'] == 500000 * 32
    for d in mix['datasets']:
        for key in ('data_root', 'categories', 'layout',
                    'ignore_category_ids'):
            d.pop(key, None)
        d.update(copy.deepcopy(files))
    mix['total_samples'] = 400
    dataset = DATASETS.build(loader['dataset'])
    sampler_cfg = dict(loader['batch_sampler'], global_batch=2)
    sampler_cfg.pop('type')
    bs = TaskAwareBatchSampler(InfiniteSampler(dataset, seed=0),
                               **sampler_cfg)
    it = iter(bs)
    table, codes = dataset.sample_groups()
    seen = set()
    for _ in range(12):  # chunks of 8 steps x 2 clips
        groups = {table[codes[i]] for _ in range(8 * 2) for i in next(it)}
        assert len(groups) == 1
        seen |= groups
    tasks = {g.task for g in seen}
    assert tasks <= {'vis', 'vps', 'vos'} and len(tasks) > 1
    assert len({g.dataset_name for g in seen}) > 1
