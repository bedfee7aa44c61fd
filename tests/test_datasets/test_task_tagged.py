# Copyright (c) mmvidseg contributors. All rights reserved.
"""TaskTaggedDataset: task blocks, groups, metainfo tags, refetch."""
import pytest

from mmvidseg.datasets import TaskTaggedDataset
from mmvidseg.datasets.samplers import SampleGroup
from mmvidseg.testing.group_toys import ToyGroupDataset


def test_one_block_per_task_and_vos_groups_by_object_count():
    base = ToyGroupDataset(n=4, dataset_name='COCO', num_objects=[1, 3])
    ds = TaskTaggedDataset(base, ('vis', 'vos'))
    assert len(ds) == 8
    table, codes = ds.sample_groups()
    assert table == sorted(table)
    groups = [table[c] for c in codes]
    assert groups[:4] == [SampleGroup('COCO', 'vis', 0)] * 4
    assert groups[4:] == [SampleGroup('COCO', 'vos', n) for n in
                          (1, 3, 1, 3)]
    assert ds.index_for(2, 'vos') == 6


def test_frames_are_tagged_with_task_and_dataset_name():
    ds = TaskTaggedDataset(ToyGroupDataset(n=3), ('vis', 'vos'),
                           dataset_name='DAVIS')
    out = ds[4]  # sample 1 for VOS
    meta = out['data_samples'].video_data_samples[0].metainfo
    assert meta['sample_idx'] == 1
    assert (meta['task'], meta['dataset_name'], meta['ref_frame_index']) == \
        ('vos', 'DAVIS', 0)
    meta = ds[1]['data_samples'].video_data_samples[0].metainfo
    assert meta['task'] == 'vis' and 'ref_frame_index' not in meta


def test_unknown_task_and_a_pipeline_that_always_fails():
    with pytest.raises(ValueError, match='distinct tasks'):
        TaskTaggedDataset(ToyGroupDataset(n=2), 'pet')
    ds = TaskTaggedDataset(ToyGroupDataset(n=2), 'vis', max_refetch=2)
    ds.dataset.pipeline = lambda info: None
    with pytest.raises(RuntimeError, match='returned None'):
        ds[0]
