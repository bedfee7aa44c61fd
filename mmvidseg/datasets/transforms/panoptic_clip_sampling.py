# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS training-clip sampling for the video panoptic datasets."""
import random
from typing import Dict, List, Optional, Sequence

from mmvidseg.registry import TRANSFORMS
from .frame_sampling import VideoClipSample


@TRANSFORMS.register_module()
class ReferenceFrameClipSample(VideoClipSample):
    """A reference frame holding a thing + nearby frames, in time order.

    Re-implements the frame sampling of ``PanopticSegDataset.__getitem__``
    (``Ali2500/TarViS: tarvis/data/panoptic_seg_dataset.py``; TarViS, CVPR
    2023): the reference frame is drawn among the frames with a thing
    instance (frame info ``has_things``; without it, frames with a
    non-ignored ``instances`` entry, as the YouTube-VIS datasets; all frames
    when none qualifies), the other ``num_frames - 1`` frames without replacement from
    ``[ref - r, ref + r]`` minus the reference, ``r = round(sampling_factor
    * num_frames)``, then all are sorted. Official factors: KITTI-STEP 2,
    VIPSeg 5, YouTube-VIS / OVIS 7.5. With ``consecutive=True`` (official
    for Cityscapes-VPS) the clip is ``num_frames`` consecutive frames at a
    random start.

    Deviation: a window with fewer than ``num_frames - 1`` other frames
    repeats frames (upstream ``random.sample`` raises).

    Args:
        num_frames (int): Frames per clip (official 3).
        sampling_factor (float): See above. Defaults to 2.
        consecutive (bool): Defaults to False.
        collect_video_keys (Sequence[str]): Video keys copied to the frames.
    """

    def __init__(self,
                 num_frames: int = 3,
                 sampling_factor: float = 2.0,
                 consecutive: bool = False,
                 collect_video_keys: Sequence[str] = ('video_id',
                                                      'video_length')):
        super().__init__(num_frames=num_frames, mode='random_ordered',
                         collect_video_keys=collect_video_keys)
        if sampling_factor < 1:
            raise ValueError('sampling_factor must be >= 1 (the official '
                             f'code asserts it), got {sampling_factor}')
        self.sampling_factor = float(sampling_factor)
        self.consecutive = consecutive

    def reference_indices(self, frames: List[dict],
                          key_frame_id: Optional[int] = None) -> List[int]:
        """Frame indices of one clip; the first index is the reference."""
        length, n = len(frames), self.num_frames
        if length < 1:
            raise ValueError('cannot sample a clip from a video without '
                             'frames')
        if self.consecutive:
            start = random.randint(0, max(length - n, 0))
            inds = list(range(start, min(start + n, length)))
            return inds + [inds[-1]] * (n - len(inds))
        if key_frame_id is None:
            usable = [t for t, f in enumerate(frames) if _has_targets(f)]
            ref = random.choice(usable or list(range(length)))
        else:
            ref = key_frame_id
        r = int(round(self.sampling_factor * n))
        window = [t for t in range(max(0, ref - r), min(length, ref + r + 1))
                  if t != ref]
        if len(window) >= n - 1:
            others = random.sample(window, n - 1)
        else:
            others = window + random.choices(window or [ref],
                                             k=n - 1 - len(window))
        return [ref] + others

    def transform(self, video_infos: dict) -> Dict[str, List]:
        inds = self.reference_indices(video_infos['images'],
                                      video_infos.get('key_frame_id'))
        ref = inds[0]
        inds = sorted(inds)
        results = self.prepare_data(video_infos, inds)
        first = inds.index(ref)
        results['key_frame_flags'] = [j == first for j in range(len(inds))]
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_frames={self.num_frames}, '
                f'sampling_factor={self.sampling_factor}, '
                f'consecutive={self.consecutive})')


def _has_targets(frame: dict) -> bool:
    """Whether a frame may be the reference frame of a clip."""
    flag = frame.get('has_things')
    if flag is not None:
        return bool(flag)
    return any(not i.get('ignore_flag', 0)
               for i in frame.get('instances') or [])
