# Copyright (c) mmvidseg contributors. All rights reserved.
from .loops import EpochBasedTrainLoop, IterBasedTrainLoop
from .online_ttt import MODES, OnlineTTT
from .online_ttt_loop import OnlineTTTLoop, run_ttt_stream
from .ttt_utils import (augment_lsj, augment_shortest_edge,
                        draw_window_indices, ttt_param_groups)

__all__ = [
    'IterBasedTrainLoop', 'EpochBasedTrainLoop', 'OnlineTTT',
    'OnlineTTTLoop', 'run_ttt_stream', 'MODES', 'ttt_param_groups',
    'draw_window_indices', 'augment_lsj', 'augment_shortest_edge'
]
