# Copyright (c) mmvidseg contributors. All rights reserved.
import copy
import os.path as osp
import sys

import pytest
from mmengine.config import Config

from mmvidseg.registry import DATASETS
from mmvidseg.structures.masks import rle_area
from mmvidseg.testing import REPO_ROOT
from mmvidseg.utils import register_all_modules

sys.path.insert(0, osp.join(REPO_ROOT, 'tools', 'analysis_tools'))
from refer_largest_object_baseline import evaluate  # noqa: E402

CONFIG = osp.join(REPO_ROOT, 'configs', 'mttr',
                  'mttr_swin-t-tiny_1xb4-2000i_toy-ref-youtube-vos.py')


def test_largest_object_baseline_scores_its_hits(toy_root):
    """J = the fraction of expressions whose referent is the largest object
    (the baseline predicts oracle masks; absent-and-empty frames score 1)."""
    register_all_modules()
    cfg = Config.fromfile(CONFIG)
    root = str(toy_root / 'ref_youtube_vos') + '/'
    cfg.test_dataloader.dataset.data_root = root
    out = evaluate(cfg)
    ds_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    ds_cfg.update(pipeline=[], referred_only=False)
    ds = DATASETS.build(ds_cfg)
    hits = []
    for i in range(len(ds)):
        item = ds.load_annotations(ds.get_data_info(i))
        area = {}
        for f in item['images']:
            for inst in f['instances']:
                area[inst['instance_id']] = area.get(
                    inst['instance_id'], 0) + rle_area(inst['mask'])
        ref = item['images'][0]['referred_instance_id']
        hits.append(max(area, key=area.get) == ref)
    assert 0 < sum(hits) < len(hits)
    assert out['refer/J'] == pytest.approx(sum(hits) / len(hits))
    assert 0 < out['refer_a2d/mAP'] < 1
