# Copyright (c) mmvidseg contributors. All rights reserved.
"""Clip samplers: choose which frames of a video form one training clip."""
import random
from typing import Dict, List, Optional, Sequence

from mmdet.datasets.transforms import BaseFrameSample

from mmvidseg.registry import TRANSFORMS

CLIP_MODES = ('random_unordered', 'random_ordered', 'consecutive', 'all')


@TRANSFORMS.register_module()
class VideoClipSample(BaseFrameSample):
    """Sample a clip of ``num_frames`` frames from a video.

    Modes:

    * ``'random_unordered'``: an anchor frame plus ``num_frames - 1`` other
      frames drawn without replacement, **kept in the order drawn**: arbitrary
      temporal gaps and order, as TeViT trains
      (``hustvl/TeViT: mmdet/datasets/youtubevis.py``,
      ``random.sample(valid frames, clip_length - 1)``).
    * ``'random_ordered'``: the same frames, sorted by time.
    * ``'consecutive'``: a window of ``num_frames`` frames, ``frame_interval``
      apart, at a random start (STEm-Seg / TarViS style windows).
    * ``'all'``: the whole video in order (whole-video training / testing).

    Videos shorter than the clip: with ``allow_repeat=True`` frames are drawn
    again (the clip keeps ``num_frames`` frames); with ``False`` a
    ``ValueError`` names the video (use the dataset's ``min_clip_frames`` to
    skip such videos when the dataset is built, as the official TeViT loader
    skips them by retrying another index).

    Output: a dict of per-frame lists (as mmdet's ``UniformRefFrameSample``)
    plus ``key_frame_flags`` (the anchor is the key frame), ready for
    ``TransformBroadcaster`` and ``PackTrackInputs``.

    Args:
        num_frames (int): Frames per clip (ignored in ``'all'`` mode).
        mode (str): One of ``CLIP_MODES``. Defaults to ``'random_unordered'``.
        frame_interval (int): Step between frames in ``'consecutive'`` mode.
        allow_repeat (bool): Whether short videos repeat frames.
        collect_video_keys (Sequence[str]): Video-level keys copied into every
            frame (as mmdet's samplers).
    """

    def __init__(self,
                 num_frames: int = 5,
                 mode: str = 'random_unordered',
                 frame_interval: int = 1,
                 allow_repeat: bool = True,
                 collect_video_keys: Sequence[str] = ('video_id',
                                                      'video_length')):
        if mode not in CLIP_MODES:
            raise ValueError(f'mode must be one of {CLIP_MODES}, got {mode!r}')
        if num_frames < 1 or frame_interval < 1:
            raise ValueError('num_frames and frame_interval must be >= 1')
        self.num_frames = num_frames
        self.mode = mode
        self.frame_interval = frame_interval
        self.allow_repeat = allow_repeat
        super().__init__(collect_video_keys=list(collect_video_keys))

    def sample_indices(self, video_length: int,
                       key_frame_id: Optional[int] = None,
                       video_id=None) -> List[int]:
        """Frame indices of one clip; the first one is the key (anchor)."""
        if video_length < 1:
            raise ValueError(f'video {video_id} has no frames to sample from')
        if self.mode == 'all':
            return list(range(video_length))
        span = (self.num_frames - 1) * self.frame_interval + 1
        if self.mode == 'consecutive':
            if span <= video_length:
                start = random.randint(0, video_length - span) \
                    if key_frame_id is None else min(key_frame_id,
                                                     video_length - span)
                return list(range(start, start + span, self.frame_interval))
            self._check_short(video_length, video_id)
            inds = list(range(0, video_length, self.frame_interval))
            # pad by repeating the last frame (the reference pads this way)
            return (inds + [inds[-1]] * self.num_frames)[:self.num_frames]
        anchor = random.randrange(video_length) \
            if key_frame_id is None else key_frame_id
        others = [i for i in range(video_length) if i != anchor]
        need = self.num_frames - 1
        if len(others) >= need:
            picked = random.sample(others, need)
        else:
            self._check_short(video_length, video_id)
            pool = others or [anchor]
            picked = others + random.choices(pool, k=need - len(others))
            random.shuffle(picked)
        inds = [anchor] + picked
        if self.mode == 'random_ordered':
            inds = sorted(inds)
        return inds

    def _check_short(self, video_length: int, video_id) -> None:
        if not self.allow_repeat:
            raise ValueError(
                f'video {video_id} has {video_length} usable frame(s) but the '
                f'clip needs {self.num_frames} (mode={self.mode!r}, '
                f'frame_interval={self.frame_interval}); set '
                'allow_repeat=True or skip short videos with the dataset\'s '
                f'min_clip_frames={self.num_frames}')

    def transform(self, video_infos: dict) -> Dict[str, List]:
        inds = self.sample_indices(
            video_infos['video_length'],
            key_frame_id=video_infos.get('key_frame_id'),
            video_id=video_infos.get('video_id'))
        key = inds[0]
        results = self.prepare_data(video_infos, inds)
        results['key_frame_flags'] = [i == key for i in inds]
        if sum(results['key_frame_flags']) > 1:  # repeated anchor
            first = results['key_frame_flags'].index(True)
            results['key_frame_flags'] = [
                j == first for j in range(len(inds))
            ]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_frames={self.num_frames}, '
                f'mode={self.mode!r}, frame_interval={self.frame_interval}, '
                f'allow_repeat={self.allow_repeat})')
