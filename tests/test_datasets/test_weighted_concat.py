# Copyright (c) mmvidseg contributors. All rights reserved.
import random
from collections import Counter

import numpy as np
import pytest
from mmengine.dataset import BaseDataset, DefaultSampler

from mmvidseg.datasets import WeightedConcatDataset
from mmvidseg.datasets.weighted_concat import weighted_index_map
from mmvidseg.utils import register_all_modules


class _ListDataset(BaseDataset):
    """``length`` items ``{'ds': name, 'i': index}``, no files."""

    def __init__(self, name: str, length: int, **kwargs):
        self.name, self.length = name, length
        super().__init__(ann_file='', serialize_data=False, **kwargs)

    def load_data_list(self):
        return [dict(ds=self.name, i=i) for i in range(self.length)]


def test_index_map_counts_repeats_and_subsets():
    ds, idx = weighted_index_map([10, 3, 200], [0.3, 0.1, 0.6], 100)
    assert np.bincount(ds).tolist() == [30, 10, 60]
    # 10 items, 30 samples: every item exactly 3 times
    assert Counter(idx[ds == 0].tolist()) == {i: 3 for i in range(10)}
    # 3 items, 10 samples: 3 full passes + linspace(0, 2, 1) -> item 0
    assert idx[ds == 1].tolist() == [0, 1, 2] * 3 + [0]
    # 200 items, 60 samples: the first 60 of a permutation seeded with 42
    perm = list(range(200))
    random.Random(42).shuffle(perm)
    assert idx[ds == 2].tolist() == perm[:60]
    # remainder spread by round(linspace): 4 items, 6 samples
    _, idx = weighted_index_map([4], [1.0], 6)
    assert idx.tolist() == [0, 1, 2, 3, 0, 3]


def test_mixed_dataset_frequencies_under_a_shuffling_sampler():
    mix = WeightedConcatDataset(
        datasets=[_ListDataset('coco', 50), _ListDataset('voc', 7),
                  _ListDataset('ytvis', 20)],
        weights=[0.3, 0.1, 0.6], total_samples=4000)
    assert len(mix) == 4000
    assert mix.samples_per_dataset == [1200, 400, 2400]
    sampler = DefaultSampler(mix, shuffle=True, seed=0)
    first = [mix[i]['ds'] for i in list(iter(sampler))[:1500]]
    freq = Counter(first)
    for name, w in (('coco', 0.3), ('voc', 0.1), ('ytvis', 0.6)):
        assert freq[name] / 1500 == pytest.approx(w, abs=0.03), freq
    # the whole epoch holds the exact shares
    assert Counter(mix[i]['ds'] for i in range(len(mix))) == \
        dict(coco=1200, voc=400, ytvis=2400)
    assert mix[-1] == mix[len(mix) - 1]
    assert mix.get_data_info(0)['ds'] == 'coco'


def test_lazy_init_and_bad_weights():
    register_all_modules()  # configs name mmvidseg datasets
    mix = WeightedConcatDataset(
        datasets=[dict(type='ImagePseudoClipDataset', ann_file='absent.json',
                       lazy_init=True)],
        weights=[1.0], total_samples=10, lazy_init=True)
    assert not mix._fully_initialized
    with pytest.raises(FileNotFoundError):
        len(mix)
    with pytest.raises(ValueError, match='sum to 1'):
        WeightedConcatDataset(
            datasets=[_ListDataset('a', 3), _ListDataset('b', 3)],
            weights=[0.5, 0.6], total_samples=10)
    with pytest.raises(ValueError, match='one weight per dataset'):
        WeightedConcatDataset(datasets=[_ListDataset('a', 3)],
                              weights=[0.5, 0.5], total_samples=10)
    with pytest.raises(ValueError, match='dataset 1 is empty'):
        weighted_index_map([3, 0], [0.5, 0.5], 10)
