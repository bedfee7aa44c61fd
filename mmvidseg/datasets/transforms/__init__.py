# Copyright (c) mmvidseg contributors. All rights reserved.
from .frame_sampling import CLIP_MODES, VideoClipSample
from .pseudo_clip import FrameWarp, PseudoClipAugment

__all__ = ['CLIP_MODES', 'VideoClipSample', 'FrameWarp', 'PseudoClipAugment']
from .instance_duplication import (DuplicationPlan,  # noqa: E402
                                   SingleInstanceDuplicate)

__all__ += ['DuplicationPlan', 'SingleInstanceDuplicate']
from .panoptic_clip_sampling import ReferenceFrameClipSample  # noqa: E402
from .panoptic_loading import (LoadVideoPanopticAnnotations,  # noqa: E402
                               PackVideoPanopticInputs)

__all__ += [
    'ReferenceFrameClipSample', 'LoadVideoPanopticAnnotations',
    'PackVideoPanopticInputs'
]
