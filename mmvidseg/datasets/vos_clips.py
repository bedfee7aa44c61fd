# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS's VOS training clips, drawn once from a video dataset."""
import copy
import math
import random
from collections import defaultdict
from typing import List, Union

import numpy as np

from mmengine.dataset import BaseDataset

from mmvidseg.registry import DATASETS
from ._instance_utils import DatasetFormatError


def _object_ids(frame: dict) -> List[int]:
    return [i['instance_id'] for i in frame['instances']
            if not i.get('ignore_flag', 0)]


@DATASETS.register_module()
class TarViSVOSClips(BaseDataset):
    """VOS training samples as ``Ali2500/TarViS: tarvis/data/vos_dataset.py``
    (``VOSDataset.create_training_samples``) draws them.

    With ``random.seed(seed)`` (2202, the same samples on every process):
    every frame ``t < len - clip_length`` with >= 1 object is a candidate
    reference frame, binned by ``min(max_num_objects, #objects)``; for
    ``n = max_num_objects .. 1`` (candidates with >= n objects), ``ceil(
    num_samples / max_num_objects)`` samples take the candidates in turn,
    ``n`` of their objects (``random.sample``) and ``clip_length - 1`` other
    frames (sorted ``random.sample`` of frames ``t+1 .. t + round(factor x
    clip_length) - 1``); the first ``num_samples`` are kept. So the object
    counts 1..4 have equal shares (a count that no frame reaches is left out,
    its share going to the others: the reference divides by zero there), and
    :meth:`sample_num_objects` lets the batch sampler group them.

    An item is the video restricted to its clip, reference frame first
    (``frame_id`` kept), each frame's instances restricted to the chosen
    objects; the pipeline takes all its frames in order
    (``VideoClipSample(mode='all')``) and may re-sample nothing.

    Args:
        dataset (BaseDataset | dict): A video dataset in the
            ``BaseVideoDataset`` layout (``DAVISDataset`` semi-supervised,
            ``BURSTDataset`` ...); its pipeline is not used.
        num_samples (int): Samples to draw (the reference: iterations x
            batch x the dataset's weight).
        clip_length (int): Frames per clip (3).
        frame_sampling_factor (float): DAVIS 7.5, BURST 3.
        max_num_objects (int): Objects per clip (4).
        seed (int): Seed of the draw (2202).
        pipeline (list): Clip pipeline.
    """

    def __init__(self, dataset: Union[BaseDataset, dict], num_samples: int,
                 clip_length: int = 3, frame_sampling_factor: float = 7.5,
                 max_num_objects: int = 4, seed: int = 2202,
                 pipeline: list = (), **kwargs) -> None:
        if max_num_objects < 1 or frame_sampling_factor < 1 or \
                num_samples < 1 or clip_length < 1:
            raise ValueError('num_samples, clip_length, max_num_objects and '
                             'frame_sampling_factor must be >= 1')
        self.videos = DATASETS.build(dataset) if isinstance(dataset, dict) \
            else dataset
        self.num_samples = num_samples
        self.clip_length = clip_length
        self.factor = frame_sampling_factor
        self.max_num_objects = max_num_objects
        self.seed = seed
        kwargs.setdefault('serialize_data', False)
        super().__init__(ann_file='', pipeline=list(pipeline),
                         metainfo=copy.deepcopy(self.videos.metainfo),
                         **kwargs)

    def load_data_list(self) -> List[dict]:
        """The videos; the samples are kept as int arrays (a fine-tuning
        pool holds ~10^5-10^6 of them): ``_clips`` ``(N, 1 + T)`` video
        index + frame indices, ``_objects`` ``(N, max_num_objects)``
        instance ids padded with -1."""
        videos = [self.videos.get_data_info(i)
                  for i in range(len(self.videos))]
        state = random.getstate()
        random.seed(self.seed)
        try:
            samples = self._draw(videos)
        finally:
            random.setstate(state)
        self._clips = np.asarray([[v] + f for v, f, _ in samples],
                                 dtype=np.int64)
        self._objects = np.full((len(samples), self.max_num_objects), -1,
                                dtype=np.int64)
        for k, (_, _, ids) in enumerate(samples):
            self._objects[k, :len(ids)] = ids
        return videos

    def __len__(self) -> int:
        self.full_init()
        return len(self._clips)

    def get_data_info(self, idx: int) -> dict:
        """The video restricted to clip ``idx`` (reference frame first)."""
        v, *frame_ids = self._clips[idx].tolist()
        ids = [i for i in self._objects[idx].tolist() if i >= 0]
        info = self._clip(self.data_list[v], frame_ids, ids)
        info['sample_idx'] = idx
        return copy.deepcopy(info)

    def _draw(self, videos: List[dict]) -> List[dict]:
        bins = defaultdict(list)
        span = int(round(self.factor * self.clip_length))
        for v, video in enumerate(videos):
            frames = video['images']
            for t in range(len(frames) - self.clip_length):
                ids = _object_ids(frames[t])
                if ids:
                    bins[min(self.max_num_objects, len(ids))].append(
                        (v, t, ids))
        if not bins:
            raise DatasetFormatError(
                f'{type(self.videos).__name__}: no frame with an object is '
                f'followed by {self.clip_length} more frames; nothing to '
                'sample VOS clips from')
        # counts no frame has (e.g. 4 objects in a dataset of pairs) are
        # left out and their share goes to the others (the reference divides
        # by zero there)
        counts = [n for n in range(self.max_num_objects, 0, -1)
                  if any(bins[m] for m in range(n, self.max_num_objects + 1))]
        per_count = int(math.ceil(self.num_samples / len(counts)))
        pool, out = [], []
        for n in range(self.max_num_objects, 0, -1):
            pool = bins[n] + pool
            if not pool:
                continue
            for k in range(per_count):
                v, t, ids = pool[k % len(pool)]
                if len(ids) > n:
                    ids = random.sample(ids, n)
                video = videos[v]
                others = list(range(t + 1, min(len(video['images']),
                                               t + span)))
                others = sorted(random.sample(others, self.clip_length - 1))
                out.append((v, [t] + others, list(ids)))
        return out[:self.num_samples]

    @staticmethod
    def _clip(video: dict, frame_ids: List[int], ids: List[int]) -> dict:
        keep = set(ids)
        frames = []
        for t in frame_ids:
            frame = dict(video['images'][t])
            frame['instances'] = [i for i in frame['instances']
                                  if i['instance_id'] in keep]
            frames.append(frame)
        return dict(video_id=video['video_id'],
                    video_name=video.get('video_name'),
                    video_length=len(frames), images=frames,
                    num_objects=len(ids), ref_frame_index=0)

    def sample_num_objects(self) -> List[int]:
        """Object count of every sample (for the batch sampler)."""
        self.full_init()
        return (self._objects >= 0).sum(1).tolist()
