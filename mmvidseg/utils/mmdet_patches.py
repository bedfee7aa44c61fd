# Copyright (c) mmvidseg contributors. All rights reserved.
"""Fixes of mmdet 3.3 behaviour that costs time in every video pipeline.

``TrackDataSample.video_data_samples``'s setter in mmdet 3.3
(``mmdet/structures/track_data_sample.py``) ends its type assertion with a
message split over two lines, so the f-string ``f'{value[0]}'`` is a
statement of its own and runs on every call: each packed clip formats a
whole ``DetDataSample`` (every tensor of it) and throws the text away --
about 4 % of a TeViT-tiny training iteration on CPU. The replacement setter
stores the same field with the same checks, and formats nothing unless the
check fails.
"""
from typing import List

from mmdet.structures import DetDataSample, TrackDataSample

_PATCHED = '_mmvidseg_patched'


def _set_video_data_samples(self: TrackDataSample,
                            value: List[DetDataSample]) -> None:
    if isinstance(value, DetDataSample):
        value = [value]
    if not isinstance(value, list):
        raise TypeError('video_data_samples must be a list of '
                        f'DetDataSample, got {type(value).__name__}')
    if not value or not isinstance(value[0], DetDataSample):
        first = type(value[0]).__name__ if value else 'an empty list'
        raise TypeError('video_data_samples must be a non-empty list of '
                        f'DetDataSample, got {first}')
    self.set_field(value, '_video_data_samples', dtype=list)


def patch_track_data_sample() -> None:
    """Install the setter above (idempotent)."""
    prop = TrackDataSample.video_data_samples
    if getattr(prop.fset, _PATCHED, False):
        return
    setattr(_set_video_data_samples, _PATCHED, True)
    TrackDataSample.video_data_samples = property(
        prop.fget, _set_video_data_samples, prop.fdel, prop.__doc__)
