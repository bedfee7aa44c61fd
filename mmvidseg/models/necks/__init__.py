# Copyright (c) mmvidseg contributors. All rights reserved.
from .tarvis_temporal_neck import (TarViSTemporalAttentionLayer,
                                   TarViSTemporalNeck, pad_to_multiple)

__all__ = ['TarViSTemporalNeck', 'TarViSTemporalAttentionLayer',
           'pad_to_multiple']
