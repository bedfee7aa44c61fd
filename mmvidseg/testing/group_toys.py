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
from mmengine.model import BaseModel

from mmvidseg.registry import DATASETS, MODELS


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


@MODELS.register_module()
class ToyIndexRegressor(BaseModel):
    """``y = W x_i + b`` on fixed features ``x_i`` of the sample indices
    packed by :class:`ToyGroupDataset`; mean-squared loss over the batch.

    No normalisation and no randomness: a batch of B and B / k batches
    accumulated k times give the same gradient (float rounding aside).
    """

    def __init__(self, n: int = 64, in_dim: int = 4) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(0)
        self.register_buffer('x', torch.randn(n, in_dim, generator=g))
        self.fc = torch.nn.Linear(in_dim, 1)
        with torch.no_grad():
            self.fc.weight.copy_(torch.linspace(-1, 1, in_dim)[None])
            self.fc.bias.zero_()

    def forward(self, inputs, data_samples=None, mode='tensor'):
        idx = torch.cat([i.reshape(-1) for i in inputs]).long()
        x = self.x[idx]  # (B, in_dim)
        pred = self.fc(x)[:, 0]  # (B, )
        if mode == 'loss':
            return dict(loss=((pred - x.sum(1) / 2)**2).mean())
        return pred
