# Copyright (c) mmvidseg contributors. All rights reserved.
"""mmdet's ``BaseVideoDataset`` with a policy for corrupt or missing frames.

Every video dataset of mmvidseg derives from this class. When a frame of a
sample fails to load (:class:`~mmvidseg.datasets.transforms.loading.
CorruptFrameError`, raised by mmvidseg's ``LoadImageFromFile``):

* ``on_corrupt_frame='raise'`` (default in ``test_mode``): the error
  propagates, naming the frame file, the video and the sample index;
* ``on_corrupt_frame='skip'`` (default for training): a warning names the
  frame and the running count of skipped samples, and the sample is replaced
  by another random one (mmengine's refetch of a ``None`` sample; the run
  fails after ``max_refetch`` consecutive bad samples). Not allowed in
  ``test_mode``: skipping would drop a video from the evaluation silently.
"""
from typing import Optional

from mmdet.datasets import BaseVideoDataset as _MMDetBaseVideoDataset
from mmengine.logging import print_log

from .transforms.loading import CorruptFrameError

POLICIES = ('raise', 'skip')


class BaseVideoDataset(_MMDetBaseVideoDataset):
    """See the module docstring.

    Args:
        on_corrupt_frame (str, optional): ``'raise'`` or ``'skip'``; None
            picks ``'raise'`` in ``test_mode`` and ``'skip'`` otherwise.
        *args, **kwargs: as mmdet's ``BaseVideoDataset``.
    """

    def __init__(self, *args, on_corrupt_frame: Optional[str] = None,
                 **kwargs) -> None:
        test_mode = kwargs.get('test_mode', False)
        if on_corrupt_frame is None:
            on_corrupt_frame = 'raise' if test_mode else 'skip'
        if on_corrupt_frame not in POLICIES:
            raise ValueError(f'on_corrupt_frame={on_corrupt_frame!r}: use one '
                             f'of {POLICIES}')
        if test_mode and on_corrupt_frame == 'skip':
            raise ValueError(
                "on_corrupt_frame='skip' is for training: in test_mode a "
                'skipped video would be missing from the evaluation. Repair '
                "the frame or use on_corrupt_frame='raise'.")
        self.on_corrupt_frame = on_corrupt_frame
        self.num_skipped_corrupt = 0
        super().__init__(*args, **kwargs)

    def prepare_data(self, idx):
        try:
            return super().prepare_data(idx)
        except CorruptFrameError as e:
            video = self._video_name(idx)
            if self.on_corrupt_frame == 'raise':
                raise CorruptFrameError(
                    e.path, f'{e.reason} (video {video}, sample {idx} of '
                    f'{type(self).__name__})') from e
            self.num_skipped_corrupt += 1
            print_log(
                f'skipped sample {idx} (video {video}) of '
                f'{type(self).__name__}: frame {e.path}: {e.reason}; '
                f'{self.num_skipped_corrupt} sample(s) skipped so far in '
                'this process', logger='current', level=30)
            return None

    def _video_name(self, idx) -> str:
        try:
            info = self.get_data_info(idx)
        except Exception:  # the name is only for the message
            return '?'
        for key in ('video_name', 'video_id', 'seq', 'sequence'):
            if key in info:
                return str(info[key])
        return '?'
