# Copyright (c) mmvidseg contributors. All rights reserved.
"""Tracking by association of per-clip outputs: STEm-Seg's embedding
clustering and clip stitching (``stemseg_clustering``) and its whole-video
inference (``stemseg_inference``)."""
from .stemseg_clustering import TrackStitcher, sequential_clustering
from .stemseg_inference import StemSegTestConfig, infer_video

__all__ = [
    'TrackStitcher', 'sequential_clustering', 'StemSegTestConfig',
    'infer_video'
]
