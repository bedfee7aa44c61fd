# Copyright (c) mmvidseg contributors. All rights reserved.
from .clip_augment import (ClipColorJitter, MaskContainingClipCrop,
                           MaskPreservingClipCrop, mask_containing_crop,
                           mask_preserving_crop, tarvis_color_jitter)
from .frame_sampling import CLIP_MODES, VideoClipSample
from .instance_duplication import DuplicationPlan, SingleInstanceDuplicate
from .interpolate_resize import (InterpolateResize, interpolate_bilinear,
                                 stemseg_resize_shape)
from .panoptic_clip_sampling import ReferenceFrameClipSample
from .panoptic_loading import (LoadVideoPanopticAnnotations,
                               PackVideoPanopticInputs)
from .panoptic_pseudo_clip import PanopticPseudoClipAffine
from .pseudo_clip_augment import FrameWarp, PseudoClipAugment
from .referring import (FlipReferringText, LoadVideoFrames, decode_frames,
                        swap_left_right)

__all__ = [
    'CLIP_MODES', 'VideoClipSample', 'FrameWarp', 'PseudoClipAugment',
    'DuplicationPlan', 'SingleInstanceDuplicate', 'InterpolateResize',
    'interpolate_bilinear', 'stemseg_resize_shape', 'ReferenceFrameClipSample',
    'LoadVideoPanopticAnnotations', 'PackVideoPanopticInputs',
    'FlipReferringText', 'LoadVideoFrames', 'decode_frames', 'swap_left_right',
    'ClipColorJitter', 'MaskContainingClipCrop', 'mask_containing_crop',
    'MaskPreservingClipCrop', 'mask_preserving_crop', 'tarvis_color_jitter',
    'PanopticPseudoClipAffine'
]
from .exemplar_points import PackExemplarPoints  # noqa: F401,E402
