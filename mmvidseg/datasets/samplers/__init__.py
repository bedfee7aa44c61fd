# Copyright (c) mmvidseg contributors. All rights reserved.
from .sample_groups import SampleGroup, leaf_of, sample_groups
from .task_aware_batch_sampler import (GLOBAL_BATCH, TaskAwareBatchSampler,
                                       accumulation_steps)

__all__ = [
    'SampleGroup', 'sample_groups', 'leaf_of', 'TaskAwareBatchSampler',
    'accumulation_steps', 'GLOBAL_BATCH'
]
