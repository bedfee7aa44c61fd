# Copyright (c) mmvidseg contributors. All rights reserved.
from .inference import inference_video, init_model, read_video
from .session import FrameResult, VideoSession, iter_frames

__all__ = [
    'init_model', 'inference_video', 'read_video', 'VideoSession',
    'FrameResult', 'iter_frames'
]
