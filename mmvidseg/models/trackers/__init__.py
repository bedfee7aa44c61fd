# Copyright (c) mmvidseg contributors. All rights reserved.
from .tarvis_vis_linker import (TarViSInstanceAccumulator,  # noqa: F401
                                TarViSVISLinker, clip_frame_ids,
                                resize_clip_logits)
from .tarvis_vps import (TarViSSemanticAccumulator,  # noqa: F401
                         TarViSVPSAssembler)

__all__ = [
    'TarViSInstanceAccumulator', 'TarViSVISLinker', 'clip_frame_ids',
    'resize_clip_logits', 'TarViSSemanticAccumulator', 'TarViSVPSAssembler'
]
