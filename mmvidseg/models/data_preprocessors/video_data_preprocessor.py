# Copyright (c) mmvidseg contributors. All rights reserved.
"""Data preprocessor for video clips: ``(N, T, C, H, W)`` with checks."""
from typing import Dict

from mmdet.models.data_preprocessors import TrackDataPreprocessor

from mmvidseg.registry import MODELS


@MODELS.register_module()
class VideoDataPreprocessor(TrackDataPreprocessor):
    """mmdet's ``TrackDataPreprocessor`` with the video contract checked.

    Normalises, converts BGR to RGB, pads every clip of the batch to one
    ``(H, W)`` (divisible by ``pad_size_divisor``) and stacks them to
    ``(N, T, C, H, W)``; records ``batch_input_shape`` / ``pad_shape`` in every
    frame's metainfo; pads GT masks in training. Before that it checks what
    mmdet only asserts: every clip is ``(T, C, H, W)`` with ``C`` channels,
    all clips of a batch have the same ``T``, and each clip has one data
    sample per frame; errors name the video.

    Args:
        num_channels (int): Expected channels per frame. Defaults to 3.
        **kwargs: ``TrackDataPreprocessor`` arguments (``mean``, ``std``,
            ``bgr_to_rgb``, ``pad_size_divisor``, ``pad_mask``...).
    """

    def __init__(self, num_channels: int = 3, **kwargs) -> None:
        super().__init__(**kwargs)
        self.num_channels = num_channels

    def forward(self, data: dict, training: bool = False) -> Dict:
        self.check_batch(data)
        return super().forward(data, training)

    def check_batch(self, data: dict) -> None:
        """Raise ``ValueError`` naming the video if the batch is malformed."""
        inputs = data['inputs']
        samples = data.get('data_samples')
        num_frames = None
        for i, clip in enumerate(inputs):
            video = i
            if samples is not None and len(samples[i]):
                video = samples[i][0].metainfo.get('video_id', i)
            if clip.dim() != 4 or clip.size(1) != self.num_channels:
                raise ValueError(
                    f'video {video}: expected a clip of shape (T, '
                    f'{self.num_channels}, H, W), got {tuple(clip.shape)}; '
                    'pack clips with PackTrackInputs after a clip sampler')
            if num_frames is None:
                num_frames = clip.size(0)
            elif clip.size(0) != num_frames:
                raise ValueError(
                    f'video {video}: {clip.size(0)} frames but the first '
                    f'clip of the batch has {num_frames}; clips of one batch '
                    'must have the same num_frames (use batch_size=1 for '
                    'whole videos)')
            if samples is not None and len(samples[i]) != clip.size(0):
                raise ValueError(
                    f'video {video}: {clip.size(0)} frames but '
                    f'{len(samples[i])} frame data samples')
