# Copyright (c) mmvidseg contributors. All rights reserved.
"""The tiny STEm-Seg toy config trains on a weighted mix of toy YouTube-VIS
videos and pseudo-clips made from toy frames."""
import copy
import json
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper

from mmvidseg.registry import DATASETS, MODELS
from mmvidseg.testing import REPO_ROOT
from mmvidseg.utils import register_all_modules

CONFIG = osp.join(REPO_ROOT, 'configs', 'stemseg',
                  'stemseg_r18-b16-tiny_1xb2-2400i_toy-ytvis.py')


def _coco_from_first_frames(ytvis_json: str, out: str, num_videos: int):
    """COCO instances file of frame 0 of the first toy videos."""
    with open(ytvis_json) as f:
        raw = json.load(f)
    videos = raw['videos'][:num_videos]
    images = [dict(id=v['id'], file_name=v['file_names'][0],
                   height=v['height'], width=v['width']) for v in videos]
    keep = {v['id'] for v in videos}
    anns = [dict(id=a['id'], image_id=a['video_id'],
                 category_id=a['category_id'], iscrowd=0,
                 segmentation=a['segmentations'][0])
            for a in raw['annotations']
            if a['video_id'] in keep and a['segmentations'][0]]
    with open(out, 'w') as f:
        json.dump(dict(images=images, annotations=anns,
                       categories=raw['categories']), f)


def test_toy_model_trains_on_video_and_pseudo_clip_mix(toy_ytvis_root,
                                                       tmp_path):
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    num_frames = cfg.model.embedding_head.num_frames
    coco = str(tmp_path / 'frames.json')
    _coco_from_first_frames(str(toy_ytvis_root / 'train.json'), coco, 3)
    video = copy.deepcopy(cfg.train_dataloader.dataset)
    video.data_root = str(toy_ytvis_root) + '/'
    image_pipeline = [
        dict(type='VideoClipSample', num_frames=1, mode='consecutive'),
        dict(type='TransformBroadcaster',
             transforms=[dict(type='LoadImageFromFile'),
                         dict(type='LoadTrackAnnotations', with_mask=True)]),
        dict(type='PseudoClipAugment', num_frames=num_frames),
        dict(type='PackTrackInputs'),
    ]
    images = dict(type='ImagePseudoClipDataset', ann_file=coco,
                  data_prefix=dict(img_path=str(toy_ytvis_root / 'train' /
                                                'JPEGImages')),
                  num_frames=1, category_map={1: 0, 2: 1, 3: 2},
                  metainfo=dict(classes=('square', 'circle', 'triangle')),
                  pipeline=image_pipeline)
    mix = DATASETS.build(dict(type='WeightedConcatDataset',
                              datasets=[video, images], weights=[0.5, 0.5],
                              total_samples=4))
    assert mix.samples_per_dataset == [2, 2]
    assert mix.metainfo['classes'] == ('square', 'circle', 'triangle')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.train()
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    for batch_idx in ([0, 2], [1, 3]):  # one video clip + one pseudo-clip
        batch = pseudo_collate([mix[i] for i in batch_idx])
        data = model.data_preprocessor(batch, True)
        assert data['inputs'].shape == (2, num_frames, 3, 64, 64)
        pseudo = data['data_samples'][1]
        assert len(pseudo) == num_frames
        assert all(len(pseudo[t].gt_instances) >= 1
                   for t in range(num_frames))
        losses = model.loss(**data)
        total = sum(losses.values())
        assert torch.isfinite(total)
        optim.update_params(total)
