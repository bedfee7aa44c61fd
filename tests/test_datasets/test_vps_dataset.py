# Copyright (c) mmvidseg contributors. All rights reserved.
"""KITTI-STEP / Cityscapes-VPS / VIPSeg datasets on official-format fixtures
(the toy generator's KITTI-STEP and VIPSeg, a hand-made Cityscapes-VPS)."""
import copy
import json
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmvidseg.datasets import (CityscapesVPSDataset, KITTISTEPDataset,
                               VIPSegDataset)
from mmvidseg.datasets._instance_utils import DatasetFormatError
from mmvidseg.datasets.toy.metainfo import (KITTI_STEP_METAINFO,
                                            VIPSEG_METAINFO)
from mmvidseg.datasets.transforms.panoptic_loading import PanopticFormatError
from mmvidseg.evaluation.functional.panoptic_io import (
    cityscapes_vps_layout, id2rgb, kitti_step_decode, read_rgb_png, rgb2id,
    vipseg_layout)
from mmvidseg.evaluation.functional.vpq import compute_vpq, frame_stats
from mmvidseg.evaluation.functional.vps_writers import (
    write_cityscapes_vps, write_kitti_step_video, write_vipseg)
from mmvidseg.evaluation.metrics import STQMetric, VPQMetric
from mmvidseg.utils import register_all_modules

register_all_modules()

TEST_PIPELINE = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadVideoPanopticAnnotations', with_panoptic=True)]),
    dict(type='PackVideoPanopticInputs', meta_keys=('video_name', )),
]
TOY_KITTI = dict(classes=KITTI_STEP_METAINFO['classes'],
                 thing_ids=KITTI_STEP_METAINFO['thing_ids'])


def kitti(toy_root, **kwargs) -> KITTISTEPDataset:
    kwargs.setdefault('split', 'val')
    kwargs.setdefault('test_mode', True)
    return KITTISTEPDataset(data_root=str(toy_root / 'kitti_step'),
                            metainfo=TOY_KITTI, serialize_data=False,
                            **kwargs)


def test_kitti_step_metainfo_and_frames(toy_root):
    ds = kitti(toy_root, pipeline=TEST_PIPELINE)
    meta = ds.metainfo
    assert meta['thing_classes'] == ('square', 'circle', 'triangle')
    assert meta['stuff_classes'] == ('sky', 'wall', 'ground')
    assert meta['thing_ids'] == (3, 4, 5) and meta['ignore_label'] == 255
    img_root = toy_root / 'kitti_step' / 'images' / 'val'
    assert [v['video_name'] for v in ds.data_list] == sorted(
        p.name for p in img_root.iterdir())
    sample = ds[0]['data_samples']
    frames = sample.video_data_samples
    video = ds.data_list[0]
    assert len(frames) == video['video_length']
    ids = {}
    for frame, info in zip(frames, video['images']):
        sem, inst = kitti_step_decode(read_rgb_png(info['seg_map_path']))
        assert np.array_equal(frame.gt_sem_seg.sem_seg[0].numpy(), sem)
        pan = frame.gt_panoptic_seg.sem_seg[0].numpy()
        assert np.array_equal(pan, sem + np.where(sem >= 3, inst, 0) * 1000)
        gts = frame.gt_instances
        keys = {(int(s), int(i)) for s, i in zip(sem[sem >= 3],
                                                 inst[sem >= 3])}
        assert len(gts) == len(keys)
        for mask, label, gid in zip(gts.masks.to_ndarray(),
                                    gts.labels.tolist(),
                                    gts.instances_ids.tolist()):
            local = inst[mask.astype(bool)]
            assert (local == local[0]).all() and label in (3, 4, 5)
            assert ids.setdefault(int(local[0]), gid) == gid  # stable ids
            assert gid >= 1


def test_kitti_step_train_clip(toy_root):
    pipeline = [dict(type='ReferenceFrameClipSample', num_frames=3,
                     sampling_factor=2.0)] + copy.deepcopy(TEST_PIPELINE)
    pipeline[1]['transforms'][1]['with_panoptic'] = False
    ds = kitti(toy_root, split='train', test_mode=False, pipeline=pipeline)
    assert all(f['has_things'] is not None for v in ds.data_list
               for f in v['images'])
    out = ds[0]
    frames = out['data_samples'].video_data_samples
    assert out['inputs'].shape[0] == 3 and len(frames) == 3
    ids = [f.frame_id for f in frames]
    assert ids == sorted(ids)
    key = out['data_samples'].key_frames_inds[0]
    assert len(frames[key].gt_instances) > 0  # reference frame has a thing
    assert 'gt_panoptic_seg' not in frames[0]


def test_gt_as_prediction_kitti_step(toy_root, tmp_path):
    """GT panoptic maps -> STQMetric (+ its KITTI-STEP writer) = 1.0, and
    the PNGs written by write_kitti_step_video equal the GT files."""
    ds = kitti(toy_root, pipeline=TEST_PIPELINE)
    metric = STQMetric(outfile_prefix=str(tmp_path / 'stq'))
    metric.dataset_meta = ds.metainfo
    for i in range(len(ds)):
        sample = ds[i]['data_samples']
        for frame in sample.video_data_samples:
            frame.pred_panoptic_seg = frame.gt_panoptic_seg.clone()
        metric.process({}, [sample.to_dict()])
    res = metric.compute_metrics(metric.results)
    assert res == {'STQ': 1.0, 'AQ': 1.0, 'SQ': 1.0}
    video = ds.data_list[0]
    frames = []
    for info in video['images']:
        sem, inst = kitti_step_decode(read_rgb_png(info['seg_map_path']))
        frames.append((sem, np.where(sem >= 3, inst, 0)))
    stems = [osp.splitext(osp.basename(f['img_path']))[0]
             for f in video['images']]
    paths = write_kitti_step_video(str(tmp_path / 'w'), video['video_name'],
                                   stems, frames, 6)
    for path, info in zip(paths, video['images']):
        gt = read_rgb_png(info['seg_map_path'])
        assert np.array_equal(read_rgb_png(path), gt)
        # STQMetric writes the official folder: <prefix>/<sequence>/
        stq_png = tmp_path / 'stq' / video['video_name'] / osp.basename(path)
        assert np.array_equal(read_rgb_png(str(stq_png)), gt)


def test_bad_kitti_step_semantic_id(toy_root, tmp_path):
    ds = kitti(toy_root, pipeline=TEST_PIPELINE)
    info = ds.data_list[0]['images'][0]
    rgb = read_rgb_png(info['seg_map_path']).copy()
    rgb[0, 0, 0] = 77  # not a class, not void
    bad = tmp_path / 'bad.png'
    Image.fromarray(rgb).save(bad)
    from mmvidseg.datasets.transforms import LoadVideoPanopticAnnotations
    with pytest.raises(PanopticFormatError, match=r'bad\.png.*\[77\]'):
        LoadVideoPanopticAnnotations()(dict(info, seg_map_path=str(bad)))


# ------------------------------------------------------------------ VIPSeg
def vipseg(toy_root, **kwargs) -> VIPSegDataset:
    return VIPSegDataset(
        data_root=str(toy_root / 'vipseg' / 'VIPSeg_720P'),
        ann_file='panoptic_gt_VIPSeg_val.json',
        metainfo=dict(classes=VIPSEG_METAINFO['classes'],
                      thing_ids=VIPSEG_METAINFO['thing_ids']),
        test_mode=True, serialize_data=False, **kwargs)


def test_vipseg_gt_as_prediction(toy_root, tmp_path):
    ds = vipseg(toy_root, pipeline=TEST_PIPELINE)
    root = toy_root / 'vipseg' / 'VIPSeg_720P'
    videos = []
    for i, video in enumerate(ds.data_list):
        frames = ds[i]['data_samples'].video_data_samples
        maps = []
        for frame, info in zip(frames, video['images']):
            pan = frame.gt_panoptic_seg.sem_seg[0].numpy()
            label, inst = pan % 1000, pan // 1000
            # labels decoded from the RGB PNG through segments_info
            ids = rgb2id(read_rgb_png(info['seg_map_path']))
            cat = {s['id']: s['label'] for s in info['segments_info']}
            assert all((label[ids == k] == c).all() for k, c in cat.items())
            maps.append((label, inst))
        names = [osp.basename(f['seg_map_path']) for f in video['images']]
        videos.append((video['video_name'], names, maps))
    write_vipseg(str(tmp_path), videos, num_classes=6)
    gt_json = str(root / 'panoptic_gt_VIPSeg_val.json')
    cats = {c['id']: c for c in json.load(open(gt_json))['categories']}
    scored = {}
    for vid, pairs in vipseg_layout(str(root / 'panomasksRGB'), gt_json,
                                    str(tmp_path)):
        scored[vid] = [frame_stats(rgb2id(read_rgb_png(g)),
                                   rgb2id(read_rgb_png(p)), gi, pi, cats)
                       for g, p, gi, pi in pairs]
    assert_vipseg_windows_perfect(compute_vpq(scored, cats, 'vipseg'))


def assert_vipseg_windows_perfect(res: dict) -> None:
    # the tiny toy videos have 5 frames: windows of 6 and 8 frames are empty
    for n in (1, 2, 4):
        assert res[f'VPQ_nframes{n}'] == pytest.approx(100.0)
    assert np.isnan(res['VPQ_nframes6']) and np.isnan(res['VPQ_nframes8'])


def test_vipseg_vpq_metric_gt_as_prediction(toy_root, tmp_path):
    ds = vipseg(toy_root, pipeline=TEST_PIPELINE)
    metric = VPQMetric(window_convention='vipseg',
                       outfile_prefix=str(tmp_path))
    metric.dataset_meta = ds.metainfo
    for i in range(len(ds)):
        sample = ds[i]['data_samples']
        for frame in sample.video_data_samples:
            frame.pred_panoptic_seg = frame.gt_panoptic_seg.clone()
        metric.process({}, [sample.to_dict()])
    assert_vipseg_windows_perfect(metric.compute_metrics(metric.results))
    # the official layout: pan_pred/<video name>/<frame>.png + pred.json
    video = ds.data_list[0]
    assert (tmp_path / 'pan_pred' / video['video_name'] / osp.basename(
        video['images'][0]['seg_map_path'])).is_file()
    pred = json.load(open(tmp_path / 'pred.json'))['annotations']
    assert [a['video_id'] for a in pred] == [v['video_name']
                                             for v in ds.data_list]


def test_vipseg_unknown_segment_id(toy_root, tmp_path):
    ds = vipseg(toy_root)
    info = ds.data_list[0]['images'][0]
    ids = rgb2id(read_rgb_png(info['seg_map_path']))
    ids[0, 0] = 424242
    bad = tmp_path / 'bad.png'
    Image.fromarray(id2rgb(ids)).save(bad)
    from mmvidseg.datasets.transforms import LoadVideoPanopticAnnotations
    with pytest.raises(PanopticFormatError, match=r'bad\.png.*424242'):
        LoadVideoPanopticAnnotations()(dict(info, seg_map_path=str(bad)))


# ---------------------------------------------------------- Cityscapes-VPS
def make_cvps(root, bad_category: bool = False) -> str:
    """2 videos x 4 annotated frames (8 x 10) in the Cityscapes-VPS layout;
    per frame: road (0) top, sky (10) bottom, a car (13) track and, in
    video 2, a crowd person (11)."""
    images, anns = [], []
    for vid in (1, 2):
        for k, fno in enumerate((5, 10, 15, 20)):
            stem = f'{vid:04d}_{fno:04d}_frankfurt_000000_{k:06d}'
            ids = np.full((8, 10), 1, np.int64)
            ids[4:] = 2
            ids[2:6, k:k + 3] = 1000 + vid  # the car, moving right
            segs = [dict(id=1, category_id=0, iscrowd=0),
                    dict(id=2, category_id=10, iscrowd=0),
                    dict(id=1000 + vid, category_id=13, iscrowd=0)]
            if vid == 2:
                ids[0, 8:] = 77
                segs.append(dict(id=77, category_id=11, iscrowd=1))
            if bad_category:
                segs[0]['category_id'] = 40
            Image.fromarray(id2rgb(ids)).save(
                root / 'panoptic_video' / f'{stem}_final_mask.png')
            Image.fromarray(np.zeros((8, 10, 3), np.uint8)).save(
                root / 'img_all' / f'{stem}_newImg8bit.png')
            images.append(dict(id=stem, file_name=f'{stem}_newImg8bit.png',
                               height=8, width=10))
            anns.append(dict(image_id=stem,
                             file_name=f'{stem}_final_mask.png',
                             segments_info=segs))
    cats = [dict(id=i, name=n, isthing=int(i >= 11)) for i, n in enumerate(
        CityscapesVPSDataset.METAINFO['classes'])]
    path = root / 'panoptic_gt_val_city_vps.json'
    json.dump(dict(images=images, annotations=anns, categories=cats),
              open(path, 'w'))
    return str(path)


@pytest.fixture
def cvps_root(tmp_path):
    for d in ('panoptic_video', 'img_all'):
        (tmp_path / d).mkdir()
    make_cvps(tmp_path)
    return tmp_path


def cvps(root, **kwargs) -> CityscapesVPSDataset:
    return CityscapesVPSDataset(
        data_root=str(root), ann_file='panoptic_gt_val_city_vps.json',
        img_dir='img_all', seg_dir='panoptic_video', test_mode=True,
        serialize_data=False, pipeline=TEST_PIPELINE, **kwargs)


def test_cityscapes_vps_gt_as_prediction(cvps_root, tmp_path):
    ds = cvps(cvps_root)
    assert [v['video_name'] for v in ds.data_list] == ['0001', '0002']
    assert ds.metainfo['thing_ids'] == tuple(range(11, 19))
    frames = []
    for i in range(len(ds)):
        sample = ds[i]['data_samples']
        for frame, info in zip(sample.video_data_samples,
                               ds.data_list[i]['images']):
            gts = frame.gt_instances
            assert gts.labels.tolist() == [13]
            if i == 1:  # the crowd person is an ignored instance
                assert frame.ignored_instances.labels.tolist() == [11]
            pan = frame.gt_panoptic_seg.sem_seg[0].numpy()
            stem = osp.basename(info['img_path']).replace(
                '_newImg8bit.png', '')
            frames.append((stem, (pan % 1000, pan // 1000)))
    out = tmp_path / 'sub'
    write_cityscapes_vps(str(out), frames, num_classes=19)
    gt_json = str(cvps_root / 'panoptic_gt_val_city_vps.json')
    cats = {c['id']: c for c in json.load(open(gt_json))['categories']}
    videos = cityscapes_vps_layout(str(cvps_root / 'panoptic_video'),
                                   gt_json, str(out), frames_per_video=4)
    scored = {vid: [frame_stats(rgb2id(read_rgb_png(g)),
                                rgb2id(read_rgb_png(p)), gi, pi, cats)
                    for g, p, gi, pi in pairs] for vid, pairs in videos}
    res = compute_vpq(scored, cats, 'cityscapes_vps')
    assert res['VPQ'] == pytest.approx(100.0)
    assert res['VPQ_thing'] == pytest.approx(100.0)


def test_cityscapes_vps_unknown_category(tmp_path):
    for d in ('panoptic_video', 'img_all'):
        (tmp_path / d).mkdir()
    make_cvps(tmp_path, bad_category=True)
    with pytest.raises(DatasetFormatError, match='category_id 40'):
        cvps(tmp_path)


# ------------------------------------------------------------ base configs
@pytest.mark.parametrize('name', ['kitti_step', 'cityscapes_vps', 'vipseg',
                                  'toy_kitti_step'])
def test_base_dataset_configs(name, toy_root):
    from mmengine.config import Config
    from mmengine.dataset import Compose

    from mmvidseg.registry import DATASETS, METRICS
    from mmvidseg.testing import REPO_ROOT
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', '_base_',
                                   'datasets', f'{name}.py'))
    for loader in ('train_dataloader', 'val_dataloader'):
        ds_cfg = copy.deepcopy(cfg[loader]['dataset'])
        Compose(ds_cfg['pipeline'])  # every transform is registered
        if name.startswith('toy'):
            ds_cfg['data_root'] = str(toy_root / 'kitti_step')
        else:
            ds_cfg['lazy_init'] = True
        ds = DATASETS.build(ds_cfg)
        if name.startswith('toy'):
            frames = ds[0]['data_samples'].video_data_samples
            assert all('gt_sem_seg' in f for f in frames)
            assert ds.metainfo['thing_ids'] == (3, 4, 5)
    METRICS.build(cfg.val_evaluator)


@pytest.mark.parametrize('name', ['kitti_step', 'cityscapes_vps', 'vipseg'])
def test_official_train_pipelines_on_toy_frames(name, toy_root):
    """Flip / crop / resize keep the image, masks and semantic map aligned
    and identical over the clip's frames."""
    from mmengine.config import Config

    from mmvidseg.testing import REPO_ROOT
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', '_base_',
                                   'datasets', f'{name}.py'))
    ds = kitti(toy_root, split='train', test_mode=False,
               pipeline=cfg.train_pipeline)
    out = ds[0]
    frames = out['data_samples'].video_data_samples
    assert out['inputs'].shape[0] == len(frames) == 3
    for img, frame in zip(out['inputs'], frames):
        h, w = img.shape[-2:]
        assert frame.gt_sem_seg.sem_seg.shape == (1, h, w)
        assert frame.gt_instances.masks.to_ndarray().shape[1:] == (h, w)
        resize = [t for step in cfg.train_pipeline
                  for t in step.get('transforms', [])
                  if t['type'] == 'Resize']
        assert min(h, w) == int(resize[0]['scale'][1])  # after the resize
        sem = frame.gt_sem_seg.sem_seg[0].numpy()
        for mask, label in zip(frame.gt_instances.masks.to_ndarray(),
                               frame.gt_instances.labels.tolist()):
            assert (sem[mask.astype(bool)] == label).all()


def test_cityscapes_vps_inference_info_file(tmp_path):
    """``im_all_info``-style file (30 frames per snippet, no annotations):
    sparse_frames keeps the 6 annotated frames (5, 10, ..., 30) in order."""
    images = [dict(id=vid * 10000 + f,
                   file_name=f'{vid:04d}_{f:04d}_frankfurt_000000_'
                   f'{f:06d}_newImg8bit.png', height=8, width=10)
              for vid in (3, 1) for f in range(30, 0, -1)]
    json.dump(dict(images=images), open(tmp_path / 'info.json', 'w'))
    ds = CityscapesVPSDataset(data_root=str(tmp_path), ann_file='info.json',
                              test_mode=True, serialize_data=False)
    assert [v['video_name'] for v in ds.data_list] == ['0001', '0003']
    frames = ds.data_list[0]['images']
    assert [osp.basename(f['img_path'])[5:9] for f in frames] == [
        '0005', '0010', '0015', '0020', '0025', '0030']
    assert all(f['seg_map_path'] is None for f in frames)
    dense = CityscapesVPSDataset(data_root=str(tmp_path),
                                 ann_file='info.json', sparse_frames=False,
                                 test_mode=True, serialize_data=False)
    assert dense.data_list[0]['video_length'] == 30
