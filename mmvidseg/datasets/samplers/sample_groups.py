# Copyright (c) mmvidseg contributors. All rights reserved.
"""Which batch group (dataset, task, object count) each sample belongs to.

TarViS trains one model on several datasets and tasks; a batch must hold one
dataset and one task, and a VOS batch one object count
(``Ali2500/TarViS: tarvis/data/training_dataset_base.py::sample_type_ids``:
``'<name>_<task>'``, VOS ``'<name>_vos_<num_objects>'``). The group of every
sample is read here from the datasets' metadata, without loading a sample:

* a dataset with ``sample_groups()`` answers itself
  (:class:`TaskTaggedDataset`, whose leaf datasets may add
  ``sample_num_objects()``);
* mmengine ``ConcatDataset`` / ``RepeatDataset`` and mmvidseg's
  ``WeightedConcatDataset`` map their children's groups (vectorised: a
  fine-tuning mix holds ~3M entries);
* any other dataset is one group named by its ``metainfo['dataset_name']``
  (else its class name), task ``''``.
"""
from typing import List, NamedTuple, Tuple

import numpy as np
from mmengine.dataset import ConcatDataset, RepeatDataset


class SampleGroup(NamedTuple):
    """A batch group: every sample of a batch shares all three fields."""
    dataset_name: str
    task: str
    num_objects: int  # 0 = any (not a VOS dataset with a fixed count)

    def __str__(self) -> str:
        count = f' with {self.num_objects} object(s)' \
            if self.num_objects else ''
        return f'{self.dataset_name}/{self.task or "-"}{count}'


Groups = Tuple[List[SampleGroup], np.ndarray]


def _merge(parts: List[Groups]) -> Tuple[List[SampleGroup], List[np.ndarray]]:
    """One shared, sorted group table; each part's codes re-mapped to it."""
    table = sorted({g for names, _ in parts for g in names})
    where = {g: i for i, g in enumerate(table)}
    codes = []
    for names, part_codes in parts:
        lut = np.asarray([where[g] for g in names] or [0], dtype=np.int64)
        codes.append(lut[part_codes] if len(part_codes) else
                     np.zeros(0, dtype=np.int64))
    return table, codes


def sample_groups(dataset) -> Groups:
    """``(table, codes)``: ``table[codes[i]]`` is sample ``i``'s group.

    ``table`` is sorted (the same on every process), ``codes`` an int64
    array of ``len(dataset)``.
    """
    if hasattr(dataset, 'sample_groups'):
        return dataset.sample_groups()
    if isinstance(dataset, RepeatDataset):
        table, codes = sample_groups(dataset.dataset)
        return table, np.tile(codes, dataset.times)
    if isinstance(dataset, ConcatDataset):
        dataset.full_init()
        table, child_codes = _merge([sample_groups(d)
                                     for d in dataset.datasets])
        if hasattr(dataset, '_dataset_idx'):  # WeightedConcatDataset
            ds_idx, smp_idx = dataset._dataset_idx, dataset._sample_idx
            codes = np.empty(len(ds_idx), dtype=np.int64)
            for k, c in enumerate(child_codes):
                sel = ds_idx == k
                codes[sel] = c[smp_idx[sel]]
            return table, codes
        return table, np.concatenate(child_codes)
    name = getattr(dataset, 'metainfo', {}).get('dataset_name') or \
        type(dataset).__name__
    return [SampleGroup(str(name), '', 0)], np.zeros(len(dataset),
                                                     dtype=np.int64)


def leaf_of(dataset, idx: int):
    """``(leaf dataset, index in it)`` of sample ``idx`` of a (nested)
    concatenation / repetition."""
    while isinstance(dataset, (ConcatDataset, RepeatDataset)):
        if isinstance(dataset, RepeatDataset):
            idx = idx % dataset._ori_len
            dataset = dataset.dataset
        else:
            k, idx = dataset._get_ori_dataset_idx(idx)
            dataset = dataset.datasets[k]
    return dataset, idx
