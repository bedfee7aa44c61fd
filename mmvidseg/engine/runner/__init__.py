# Copyright (c) mmvidseg contributors. All rights reserved.
from .loops import EpochBasedTrainLoop, IterBasedTrainLoop

__all__ = ['IterBasedTrainLoop', 'EpochBasedTrainLoop']
