# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS's task-aware batch sampler for mmengine's iteration loop."""
from typing import Dict, Iterator, List, Optional

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import BatchSampler, Sampler

from mmvidseg.registry import DATA_SAMPLERS
from .sample_groups import SampleGroup, sample_groups

GLOBAL_BATCH = 32  # clips per optimiser step in the reference


def accumulation_steps(global_batch: int, world_size: int,
                       batch_size: int) -> int:
    """Loader batches per optimiser step that keep ``global_batch`` clips.

    ``global_batch = world_size * batch_size * steps`` (the reference's
    ``calculate_optimizer_step_parameters``, ``Ali2500/TarViS:
    tarvis/training/model_trainer/api.py``, with one clip per GPU).

    Raises:
        ValueError: if ``world_size * batch_size`` does not divide
            ``global_batch``.
    """
    per_iter = world_size * batch_size
    if global_batch < 1 or per_iter < 1:
        raise ValueError(f'global_batch ({global_batch}), world_size '
                         f'({world_size}) and batch_size ({batch_size}) must '
                         'be >= 1')
    if global_batch % per_iter:
        divisors = [d for d in range(1, global_batch + 1)
                    if global_batch % (d * batch_size) == 0]
        raise ValueError(
            f'a global batch of {global_batch} clips cannot be kept with '
            f'{world_size} process(es) x {batch_size} clip(s) per loader '
            f'batch ({per_iter} does not divide {global_batch}); run on '
            f'{divisors} processes, or change train_dataloader.batch_size '
            'or the global batch (TaskAwareBatchSampler.global_batch / '
            'GlobalBatchHook.global_batch)')
    return global_batch // per_iter


@DATA_SAMPLERS.register_module()
class TaskAwareBatchSampler(BatchSampler):
    """One dataset and one task per optimiser step, on every process.

    Re-implements ``TaskTypeAwareBatchSampler`` + ``DistributedSampler`` of
    ``Ali2500/TarViS: tarvis/training/{batch_sampler,distributed_sampler}.py``
    and the pre-training task draw of ``tarvis/training/main.py``
    (TarViS, Athar et al., CVPR 2023):

    * samples are grouped by :class:`SampleGroup` (dataset, task, and the
      object count of VOS datasets that declare it); a group's samples are
      shuffled, padded by repetition to whole *chunks* of ``chunk_steps``
      optimiser steps x ``global_batch`` clips, the chunks of all groups
      shuffled together (the same permutation on every process): each
      dataset / task stays for ``chunk_steps`` (8, ``SAMPLE_CHUNKING_FACTOR``)
      optimiser steps, as the reference;
    * a step's ``global_batch`` clips are split over the processes
      (``batch_size * accumulation`` each) and each process's share into
      ``accumulation`` loader batches of ``batch_size``
      (:func:`accumulation_steps`; gradient accumulation with mmengine's
      ``optim_wrapper.accumulative_counts``, see
      :class:`mmvidseg.engine.hooks.GlobalBatchHook`);
    * dataset weights are those of the training set (the reference's sample
      pool = iterations x batch x weight per dataset: a
      ``WeightedConcatDataset`` with ``total_samples = max_iters x 32``);
    * pre-training (``task_weights``, e.g. ``dict(vis=0.3, vps=0.3,
      vos=0.4)``): the dataset must be a multi-task
      :class:`~mmvidseg.datasets.TaskTaggedDataset`; chunks are formed per
      dataset and each chunk's task is drawn from a generator seeded
      ``task_seed`` (764501 as the reference: ``rand < cumsum(weights)``),
      i.e. the task is redrawn every ``chunk_steps`` optimiser steps.

    Everything is computed from the seed and the dataset's metadata, the same
    on every process, so no collective is needed and the order depends only
    on the seed: mmvidseg's ``IterBasedTrainLoop`` resumes exactly by
    advancing the loader. The sampler never ends (a new round re-shuffles
    with ``seed + round``), like mmengine's ``InfiniteSampler``.

    Deviations: the reference splits each dataset over the ranks before
    grouping (per-rank shuffles, an ``all_gather`` to pad groups to equal
    counts) and pads a group to whole chunks of per-rank batches; here the
    grouping is global and a chunk holds the whole ``global_batch`` of each
    step. The chunk order is shuffled with the run's seed, not the fixed
    123987. Pseudo-clip VOS batches are not grouped by object count (nor
    are they in the reference; the model drops objects to the smallest
    count).

    Args:
        sampler (Sampler): The per-sample sampler mmengine builds (only its
            ``dataset`` and ``seed`` are used).
        batch_size (int): Clips per loader batch (per process).
        global_batch (int): Clips per optimiser step over all processes.
        chunk_steps (int): Optimiser steps per dataset / task chunk.
        task_weights (dict, optional): Pre-training task probabilities.
        task_seed (int): Seed of the task draw.
        seed (int, optional): Shuffle seed; default the sampler's seed.
        shuffle (bool): Shuffle samples and chunks (False: dataset order,
            for debugging).
    """

    def __init__(self,
                 sampler: Sampler,
                 batch_size: int = 1,
                 global_batch: int = GLOBAL_BATCH,
                 chunk_steps: int = 8,
                 task_weights: Optional[Dict[str, float]] = None,
                 task_seed: int = 764501,
                 seed: Optional[int] = None,
                 shuffle: bool = True) -> None:
        self.sampler = sampler
        self.dataset = getattr(sampler, 'dataset', None)
        if self.dataset is None:
            raise TypeError(f'{type(sampler).__name__} has no .dataset; use '
                            'sampler=dict(type="InfiniteSampler") (or '
                            'DefaultSampler) with this batch sampler')
        self.batch_size = batch_size
        self.drop_last = True
        self.rank, self.world_size = get_dist_info()
        self.accumulation = accumulation_steps(global_batch, self.world_size,
                                               batch_size)
        self.global_batch = global_batch
        if chunk_steps < 1:
            raise ValueError(f'chunk_steps must be >= 1, got {chunk_steps}')
        self.chunk_steps = chunk_steps
        if seed is None:
            seed = getattr(sampler, 'seed', None)
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.task_seed = task_seed
        self.shuffle = shuffle
        self._full_groups = sample_groups(self.dataset)
        self.table, codes = self._full_groups
        self.task_weights = self._check_task_weights(task_weights)
        if self.task_weights:
            # group the base samples (first task block) by dataset only
            base = codes[:self.dataset.num_base]
            names = sorted({self.table[c].dataset_name for c in set(
                base.tolist())})
            self.table = [SampleGroup(n, '', 0) for n in names]
            lut = np.asarray([names.index(g.dataset_name)
                              for g in self._full_groups[0]])
            codes = lut[base]
        self.codes = codes

    def _check_task_weights(self, weights) -> Optional[Dict[str, float]]:
        if not weights:
            return None
        tasks = getattr(self.dataset, 'tasks', ())
        if not hasattr(self.dataset, 'index_for') or \
                set(weights) - set(tasks):
            raise ValueError(
                f'task_weights {dict(weights)} need a TaskTaggedDataset '
                f'serving all these tasks (got {type(self.dataset).__name__}'
                f' with tasks {tuple(tasks)})')
        total = sum(weights.values())
        if abs(total - 1.0) > 1e-6 or min(weights.values()) < 0:
            raise ValueError(f'task_weights {dict(weights)} must be >= 0 '
                             'and sum to 1')
        return {t: float(w) for t, w in weights.items()}

    def _chunks(self, round_idx: int) -> np.ndarray:
        """(num_chunks, chunk_steps, global_batch) sample indices of one
        round, identical on every process."""
        g = torch.Generator().manual_seed(self.seed + round_idx)
        per_chunk = self.chunk_steps * self.global_batch
        chunks = []
        for gid in range(len(self.table)):
            idx = np.flatnonzero(self.codes == gid)
            if not len(idx):
                continue
            if self.shuffle:
                idx = idx[torch.randperm(len(idx), generator=g).numpy()]
            n = -(-len(idx) // per_chunk) * per_chunk
            idx = np.resize(idx, n)  # pads by repeating from the start
            chunks.append(idx.reshape(-1, self.chunk_steps,
                                      self.global_batch))
        if not chunks:
            raise ValueError('the training set is empty')
        out = np.concatenate(chunks)
        if self.shuffle:
            out = out[torch.randperm(len(out), generator=g).numpy()]
        return out

    def _draw_task(self, g: torch.Generator) -> str:
        rand = torch.rand(1, generator=g)
        weights = torch.tensor(list(self.task_weights.values())).cumsum(0)
        for task, w in zip(self.task_weights, weights):
            if rand < w:
                return task
        return list(self.task_weights)[-1]

    def __iter__(self) -> Iterator[List[int]]:
        task_gen = torch.Generator().manual_seed(self.task_seed)
        lo = self.rank * self.batch_size * self.accumulation
        round_idx = 0
        while True:
            for chunk in self._chunks(round_idx):
                task = self._draw_task(task_gen) if self.task_weights \
                    else None
                for step in chunk:  # (global_batch, )
                    mine = step[lo:lo + self.batch_size * self.accumulation]
                    if task is not None:
                        mine = [self.dataset.index_for(int(i), task)
                                for i in mine]
                    for a in range(self.accumulation):
                        yield [int(i) for i in mine[a * self.batch_size:
                                                    (a + 1) *
                                                    self.batch_size]]
            round_idx += 1

    def __len__(self) -> int:
        """Loader batches of one round on this process."""
        return len(self._chunks(0)) * self.chunk_steps * self.accumulation

    def group_of(self, index: int) -> SampleGroup:
        """The group of a yielded sample index (tests, logging)."""
        table, codes = self._full_groups
        return table[codes[index]]
