# Copyright (c) mmvidseg contributors. All rights reserved.
from mmvidseg.utils.setup_env import import_mmdet_packages

import_mmdet_packages()  # mmdet classes must be registered before ours resolve

from .video_visualizer import (VideoVisualizer, draw_frame,  # noqa: E402
                               track_color, write_video)

__all__ = ['VideoVisualizer', 'draw_frame', 'track_color', 'write_video']
