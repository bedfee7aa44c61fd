# Copyright (c) mmvidseg contributors. All rights reserved.
"""A tiny dataset with named samples and object counts, for sampler tests.

Imported by test configs through ``custom_imports``. Item ``i`` packs to
``dict(inputs=tensor([i]), data_samples=TrackDataSample)`` with one frame
whose metainfo holds ``sample_idx`` (no files are read).
"""
from typing import List, Optional, Sequence

import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.dataset import BaseDataset

from mmvidseg.registry import DATASETS


@DATASETS.register_module()
class ToyGroupDataset(BaseDataset):
    """``n`` samples; ``num_objects[i % len(num_objects)]`` objects each.

    Args:
        n (int): Number of samples.
        dataset_name (str): ``metainfo['dataset_name']``.
        num_objects (Sequence[int], optional): Object counts (cycled); None:
            no ``sample_num_objects`` (a non-VOS dataset).
    """

    def __init__(self, n: int = 8, dataset_name: str = 'TOY',
                 num_objects: Optional[Sequence[int]] = None,
                 **kwargs) -> None:
        self.n = n
        self._num_objects = list(num_objects) if num_objects else None
        kwargs.setdefault('metainfo', dict(dataset_name=dataset_name))
        kwargs.setdefault('pipeline', [])
        super().__init__(ann_file='', serialize_data=False, **kwargs)
        self.pipeline = self._pack

    def load_data_list(self) -> List[dict]:
        return [dict(sample_idx=i) for i in range(self.n)]

    def sample_num_objects(self) -> Optional[List[int]]:
        if self._num_objects is None:
            return None
        return [self._num_objects[i % len(self._num_objects)]
                for i in range(self.n)]

    @staticmethod
    def _pack(info: dict) -> dict:
        frame = DetDataSample(metainfo=dict(sample_idx=info['sample_idx']))
        sample = TrackDataSample()
        sample.video_data_samples = [frame]
        return dict(inputs=torch.tensor([info['sample_idx']]),
                    data_samples=sample)
