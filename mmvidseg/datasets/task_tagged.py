# Copyright (c) mmvidseg contributors. All rights reserved.
"""A training dataset tagged with its TarViS task(s) and dataset name."""
import copy
from typing import List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset

from mmvidseg.registry import DATASETS
from .samplers.sample_groups import Groups, SampleGroup, leaf_of, sample_groups

TASKS = ('vis', 'vps', 'vos')
MIX_IGNORE_KEYS = ['dataset_name', 'tasks', 'classes']


@DATASETS.register_module()
class TaskTaggedDataset(BaseDataset):
    """Serve a dataset's samples for one or several TarViS tasks.

    The official trainer learns one task per batch: a video dataset has one
    task (``Ali2500/TarViS: tarvis/data/training_dataset_base.py``,
    ``task_type``), while in pre-training every image dataset serves all
    three, the task being drawn every 8 iterations
    (``tarvis/training/main.py::Trainer.forward``). Here item ``i`` of a
    dataset of ``N`` samples and tasks ``(t_0, t_1, ...)`` is sample
    ``i % N`` for task ``t_{i // N}``: the batch sampler
    (:class:`~mmvidseg.datasets.samplers.TaskAwareBatchSampler`) chooses the
    task by choosing the index.

    Every item goes through its own (leaf) dataset's pipeline with
    ``results['task']`` and ``results['dataset_name']`` set (a pipeline may
    branch on them; every frame info carries ``task`` too, so after a frame
    sampler ``results['task']`` is a per-frame list), and every frame of the packed ``TrackDataSample`` gets
    the metainfo ``task``, ``dataset_name`` and, for VOS,
    ``ref_frame_index`` (0 unless the pipeline set it): what ``TarViS``
    reads to pick the task and the semantic-query block.

    Args:
        dataset (BaseDataset | dict): The dataset (may be a concatenation,
            e.g. the four image datasets of pre-training).
        task (str | Sequence[str]): Task(s) in ``('vis', 'vps', 'vos')``.
        dataset_name (str, optional): Name for all samples (selects the
            semantic queries: ``'YOUTUBE_VIS'``, ``'DAVIS'`` ...). None: each
            leaf dataset's ``metainfo['dataset_name']``.
        max_refetch (int): A pipeline that returns None (e.g. no object
            left after cropping) is retried with another sample of the same
            group, at most this many times, then a ``RuntimeError``.
        lazy_init (bool): Defer building the sample groups.

    Its ``metainfo`` has only ``dataset_name``, ``tasks`` and ``classes``
    (:data:`MIX_IGNORE_KEYS`): a ``WeightedConcatDataset`` of tagged
    datasets takes ``ignore_keys=MIX_IGNORE_KEYS`` (the datasets of a
    TarViS mix differ in all three).
    """

    def __init__(self,
                 dataset: Union[BaseDataset, dict],
                 task: Union[str, Sequence[str]],
                 dataset_name: Optional[str] = None,
                 max_refetch: int = 20,
                 lazy_init: bool = False) -> None:
        self.dataset = DATASETS.build(dataset) if isinstance(dataset, dict) \
            else dataset
        self.tasks = (task, ) if isinstance(task, str) else tuple(task)
        bad = [t for t in self.tasks if t not in TASKS]
        if bad or not self.tasks or len(set(self.tasks)) != len(self.tasks):
            raise ValueError(f'task {task!r}: give distinct tasks out of '
                             f'{TASKS}')
        self.dataset_name = dataset_name
        self.max_refetch = max_refetch
        inner = self.dataset.metainfo
        self._metainfo = dict(
            dataset_name=dataset_name or inner.get('dataset_name'),
            tasks=self.tasks,
            classes=copy.deepcopy(inner.get('classes')))
        self.test_mode = False
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        if hasattr(self.dataset, 'full_init'):
            self.dataset.full_init()
        self.num_base = len(self.dataset)
        names, codes = sample_groups(self.dataset)
        base_names = [g.dataset_name for g in names]
        if self.dataset_name is not None:
            base_names = [self.dataset_name] * len(names)
        counts = np.zeros(self.num_base, dtype=np.int64)
        per_sample = getattr(self.dataset, 'sample_num_objects', None)
        if 'vos' in self.tasks and per_sample is not None and \
                per_sample() is not None:
            counts = np.asarray(per_sample(), dtype=np.int64)
        keys: List[SampleGroup] = []
        all_codes = []
        for task in self.tasks:
            n = counts if task == 'vos' else np.zeros_like(counts)
            pairs = np.stack([codes, n], 1)  # (N, 2) name code, count
            uniq, inv = np.unique(pairs, axis=0, return_inverse=True)
            all_codes.append(inv.reshape(-1) + len(keys))
            keys += [SampleGroup(base_names[c], task, int(k))
                     for c, k in uniq]
        # a sorted table (the same on every process)
        order = sorted(range(len(keys)), key=lambda i: keys[i])
        remap = np.empty(len(keys), dtype=np.int64)
        remap[order] = np.arange(len(keys))
        self._table = [keys[i] for i in order]
        self._codes = remap[np.concatenate(all_codes)] if all_codes else \
            np.zeros(0, dtype=np.int64)
        self._fully_initialized = True

    def sample_groups(self) -> Groups:
        """``(table, codes)`` over all ``len(self)`` items (see
        :func:`~mmvidseg.datasets.samplers.sample_groups`)."""
        self.full_init()
        return self._table, self._codes

    def index_for(self, base_index: int, task: str) -> int:
        """Item index of base sample ``base_index`` served for ``task``."""
        self.full_init()
        return self.tasks.index(task) * self.num_base + base_index

    def __len__(self) -> int:
        self.full_init()
        return self.num_base * len(self.tasks)

    def get_data_info(self, idx: int) -> dict:
        task_idx, base = divmod(int(idx), self.num_base)
        leaf, leaf_idx = leaf_of(self.dataset, base)
        info = leaf.get_data_info(leaf_idx)
        info['task'] = self.tasks[task_idx]
        info['dataset_name'] = self._table[self._codes[idx]].dataset_name
        for frame in info.get('images') or []:
            # frame samplers keep only per-frame keys: a pipeline step after
            # them reads the task from results['task'][0]
            frame['task'] = info['task']
        return info

    def __getitem__(self, idx: int) -> dict:
        self.full_init()
        tried = []
        for _ in range(self.max_refetch + 1):
            info = self.get_data_info(idx)
            leaf, _ = leaf_of(self.dataset, idx % self.num_base)
            out = leaf.pipeline(info)
            if out is not None:
                self._tag(out, info)
                return out
            tried.append(idx)
            same = np.flatnonzero(self._codes == self._codes[idx])
            idx = int(same[np.random.randint(len(same))])
        raise RuntimeError(
            f'{type(self).__name__}: the pipeline returned None for samples '
            f'{tried} of group {self._table[self._codes[tried[0]]]}; check '
            'the pipeline (or the annotations of these samples)')

    @staticmethod
    def _tag(out: dict, info: dict) -> None:
        sample = out.get('data_samples') if isinstance(out, dict) else None
        if sample is None:
            return
        meta = dict(task=info['task'], dataset_name=info['dataset_name'])
        frames = getattr(sample, 'video_data_samples', None) or [sample]
        for frame in frames:
            frame.set_metainfo(meta)
            if info['task'] == 'vos' and \
                    'ref_frame_index' not in frame.metainfo:
                frame.set_metainfo(dict(ref_frame_index=0))
        if frames[0] is not sample:
            sample.set_metainfo(meta)
