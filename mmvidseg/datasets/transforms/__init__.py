# Copyright (c) mmvidseg contributors. All rights reserved.
from .frame_sampling import CLIP_MODES, VideoClipSample
from .pseudo_clip_augment import FrameWarp, PseudoClipAugment

__all__ = ['CLIP_MODES', 'VideoClipSample', 'FrameWarp', 'PseudoClipAugment']
from .instance_duplication import (DuplicationPlan,  # noqa: E402
                                   SingleInstanceDuplicate)

__all__ += ['DuplicationPlan', 'SingleInstanceDuplicate']
from .interpolate_resize import (InterpolateResize,  # noqa: E402
                                 interpolate_bilinear, stemseg_resize_shape)

__all__ += ['InterpolateResize', 'interpolate_bilinear',
            'stemseg_resize_shape']
