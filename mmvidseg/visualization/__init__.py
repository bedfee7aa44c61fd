# Copyright (c) mmvidseg contributors. All rights reserved.
from mmvidseg.utils.setup_env import prepare_upstream

prepare_upstream()  # mmdet classes registered, compat fixes applied

from .video_visualizer import (VideoVisualizer,  # noqa: E402
                               VideoWriterStream, draw_frame, track_color,
                               write_video)

__all__ = [
    'VideoVisualizer', 'VideoWriterStream', 'draw_frame', 'track_color',
    'write_video'
]
