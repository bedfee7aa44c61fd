# Copyright (c) mmvidseg contributors. All rights reserved.
"""Association of per-clip outputs into video tracks: STEm-Seg's embedding
clustering and clip stitching (``stemseg_clustering``) and whole-video
inference (``stemseg_inference``); TarViS's clip linking
(``tarvis_vis_linker``) and panoptic assembly (``tarvis_vps``) and VOS / PET accumulation
(``tarvis_vos``)."""
from .stemseg_clustering import TrackStitcher, sequential_clustering
from .stemseg_inference import StemSegTestConfig, infer_video
from .tarvis_vis_linker import (TarViSInstanceAccumulator, TarViSVISLinker,
                                clip_frame_ids, resize_clip_logits)
from .tarvis_vos import TarViSVOSAccumulator
from .tarvis_vps import TarViSSemanticAccumulator, TarViSVPSAssembler

__all__ = [
    'TrackStitcher', 'sequential_clustering', 'StemSegTestConfig',
    'infer_video', 'TarViSInstanceAccumulator', 'TarViSVISLinker',
    'clip_frame_ids', 'resize_clip_logits', 'TarViSSemanticAccumulator',
    'TarViSVPSAssembler', 'TarViSVOSAccumulator'
]
