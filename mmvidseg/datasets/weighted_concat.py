# Copyright (c) mmvidseg contributors. All rights reserved.
"""STEm-Seg's weighted training mix: a fixed-length concatenation."""
import math
import random
from typing import List, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.dataset import BaseDataset, ConcatDataset, force_full_init

from mmvidseg.registry import DATASETS


def weighted_index_map(lengths: Sequence[int], weights: Sequence[float],
                       total_samples: int,
                       seed: int = 42) -> Tuple[np.ndarray, np.ndarray]:
    """(dataset index, sample index) of every sample of the mix.

    Re-implements ``ConcatDataset`` / ``SparseDataset`` of ``sabarim/STEm-Seg:
    stemseg/data/concat_dataset.py``: dataset k contributes exactly
    ``round(w_k * total_samples)`` samples. A dataset with more items than
    that contributes a fixed subset, the first items of a permutation
    shuffled by ``random.seed(seed)`` (the same subset for the whole
    training); a smaller one is repeated ``floor(n_k / len_k)`` times, the
    remainder taken at ``round(linspace(0, len_k - 1, rest))``.

    Args:
        lengths (Sequence[int]): Items per dataset.
        weights (Sequence[float]): Sampling weights, each in (0, 1], sum 1.
        total_samples (int): Samples of the mix (iterations x batch size).
        seed (int): Seed of the subset permutation (42 in the reference).

    Returns:
        tuple: Two (N, ) int64 arrays, N = sum of the rounded counts (the
        reference asserts N == total_samples; rounding may differ by one).
    """
    if len(lengths) != len(weights) or not lengths:
        raise ValueError(f'{len(weights)} weights for {len(lengths)} '
                         'datasets; give one weight per dataset')
    if abs(sum(weights) - 1.0) > 1e-6:
        raise ValueError(f'weights {list(weights)} sum to {sum(weights)}; '
                         'they must sum to 1')
    ds_idx: List[np.ndarray] = []
    sample_idx: List[np.ndarray] = []
    for k, (length, weight) in enumerate(zip(lengths, weights)):
        if not 0.0 < weight <= 1.0:
            raise ValueError(f'weight {weight} of dataset {k} is not in '
                             '(0, 1]; leave the dataset out instead')
        if length < 1:
            raise ValueError(f'dataset {k} is empty but has weight {weight}')
        count = int(round(weight * total_samples))
        base = np.arange(length)
        if count < length:
            perm = list(range(length))
            random.Random(seed).shuffle(perm)
            base = np.asarray(perm[:count], dtype=np.int64)
        n = len(base)
        reps = int(math.floor(count / float(n))) if n else 0
        local = np.tile(np.arange(n), reps)
        rest = count - len(local)
        if rest > 0:
            extra = torch.linspace(0, n - 1, rest).round().long().numpy()
            local = np.concatenate([local, extra])
        sample_idx.append(base[local].astype(np.int64))
        ds_idx.append(np.full(count, k, dtype=np.int64))
    return np.concatenate(ds_idx), np.concatenate(sample_idx)


@DATASETS.register_module()
class WeightedConcatDataset(ConcatDataset):
    """Mix datasets with sampling weights, as STEm-Seg trains.

    Re-implements ``sabarim/STEm-Seg: stemseg/data/concat_dataset.py`` (used
    by ``stemseg/training/utils.py``; STEm-Seg, Athar et al., ECCV 2020):
    the mix is a fixed list of ``total_samples`` samples in which dataset k
    has exactly ``round(w_k * total_samples)`` entries
    (:func:`weighted_index_map`); the reference draws it in random order
    once (``RandomSampler``, one epoch = the whole training), which a
    shuffling sampler (``InfiniteSampler`` / ``DefaultSampler``) over this
    dataset reproduces. Set ``total_samples`` = ``max_iters`` x batch size.

    Deviation: the reference pre-samples video sub-sequences so that a video
    dataset has exactly its share of items; here a video dataset's items are
    videos, repeated to reach the share, with a random clip drawn per access
    by the pipeline.

    Args:
        datasets (Sequence[BaseDataset | dict]): Datasets or configs, each
            with its own pipeline.
        weights (Sequence[float]): One per dataset, in (0, 1], sum 1.
        total_samples (int): Length of the mix.
        seed (int): Seed of the fixed subsets (reference: 42).
        lazy_init (bool): Defer loading the datasets.
        ignore_keys (list[str] | str, optional): Metainfo keys that may
            differ between the datasets (``'classes'`` for mixes that map
            other classes onto the first dataset's); the mix reports the
            first dataset's metainfo.
    """

    def __init__(self,
                 datasets: Sequence[Union[BaseDataset, dict]],
                 weights: Sequence[float],
                 total_samples: int,
                 seed: int = 42,
                 lazy_init: bool = False,
                 ignore_keys: Union[str, List[str], None] = None) -> None:
        if len(weights) != len(datasets):
            raise ValueError(f'{len(weights)} weights for {len(datasets)} '
                             'datasets; give one weight per dataset')
        if total_samples < 1:
            raise ValueError(f'total_samples must be >= 1, got '
                             f'{total_samples}')
        self.weights = [float(w) for w in weights]
        self.total_samples = int(total_samples)
        self.seed = seed
        # check the weights before building (and maybe loading) datasets
        if abs(sum(self.weights) - 1.0) > 1e-6 or \
                not all(0.0 < w <= 1.0 for w in self.weights):
            raise ValueError(f'weights {self.weights} must each be in '
                             '(0, 1] and sum to 1')
        super().__init__(datasets, lazy_init=lazy_init,
                         ignore_keys=ignore_keys)

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        super().full_init()
        lengths = [len(d) for d in self.datasets]
        self._dataset_idx, self._sample_idx = weighted_index_map(
            lengths, self.weights, self.total_samples, self.seed)
        self.samples_per_dataset = np.bincount(
            self._dataset_idx, minlength=len(lengths)).tolist()

    @force_full_init
    def __len__(self) -> int:
        return len(self._dataset_idx)

    @force_full_init
    def _get_ori_dataset_idx(self, idx: int) -> Tuple[int, int]:
        if idx < 0:
            idx += len(self)
        if not 0 <= idx < len(self):
            raise IndexError(f'index {idx} out of range for a mix of '
                             f'{len(self)} samples')
        return int(self._dataset_idx[idx]), int(self._sample_idx[idx])
