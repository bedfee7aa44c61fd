# Copyright (c) mmvidseg contributors. All rights reserved.
from .frame_sampling import CLIP_MODES, VideoClipSample

__all__ = ['CLIP_MODES', 'VideoClipSample']
