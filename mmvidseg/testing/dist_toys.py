# Copyright (c) mmvidseg contributors. All rights reserved.
"""A linear model and a fixed dataset for distributed-training tests.

Imported by test configs through ``custom_imports``. ``ToyRegressor`` has no
normalisation layer and no randomness, so one process with a global batch of
B and N processes with B / N each compute the same averaged gradient (up to
float rounding): the distributed plumbing (DDP averaging, sampler sharding)
is all that differs. ``fail_rank`` / ``fail_at`` make one rank raise, to test
that the whole job stops with that rank's error.
"""
import os
from typing import Optional

import torch
from mmengine.model import BaseModel
from torch.utils.data import Dataset

from mmvidseg.registry import DATASETS, MODELS


@MODELS.register_module()
class ToyRegressor(BaseModel):
    """``y = W x + b`` with a mean-squared loss."""

    def __init__(self, in_dim: int = 4, fail_rank: Optional[int] = None,
                 fail_at: int = 2) -> None:
        super().__init__()
        self.fc = torch.nn.Linear(in_dim, 1)
        with torch.no_grad():
            self.fc.weight.copy_(torch.linspace(-1, 1, in_dim)[None])
            self.fc.bias.zero_()
        self.fail_rank, self.fail_at, self.calls = fail_rank, fail_at, 0

    def forward(self, inputs, targets=None, mode='tensor'):
        self.calls += 1
        rank = int(os.environ.get('RANK', 0))
        if self.fail_rank == rank and self.calls >= self.fail_at:
            raise RuntimeError(f'boom on rank {rank} at call {self.calls}')
        pred = self.fc(inputs)  # (B, 1)
        if mode == 'loss':
            return dict(loss=((pred - targets)**2).mean())
        return pred


@DATASETS.register_module()
class ToyPointsDataset(Dataset):
    """``n`` fixed points with targets ``sum(x) / 2`` (deterministic)."""

    def __init__(self, n: int = 16, in_dim: int = 4) -> None:
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(n, in_dim, generator=g)
        self.y = self.x.sum(1, keepdim=True) / 2
        self.metainfo = {}

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(inputs=self.x[i], targets=self.y[i])
