# Copyright (c) mmvidseg contributors. All rights reserved.
"""JHMDB-Sentences read from the official files::

    <root>/Rename_Images/<action>/<video>/<%05d>.png    1-based frames
    <root>/puppet_mask/<action>/<video>/puppet_mask.mat  'part_mask' H x W x T
    <root>/jhmdb_annotation.txt                          video_id,query
"""
import csv
import glob
import json
import os.path as osp
import random
from typing import Dict, List, Optional, Tuple

import numpy as np

from mmvidseg.registry import DATASETS
from mmvidseg.structures.masks import encode_mask
from ._instance_utils import DatasetFormatError, make_instance
from ._referring import ReferringVideoDataset, clean_text
from .a2d_sentences import centred_window


def read_puppet_masks(path: str) -> np.ndarray:
    """(T, H, W) uint8 masks of a ``puppet_mask.mat``."""
    import scipy.io
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: JHMDB puppet mask not found')
    mat = scipy.io.loadmat(path)
    if 'part_mask' not in mat or mat['part_mask'].ndim != 3:
        raise DatasetFormatError(f'{path}: no H x W x T "part_mask"')
    return mat['part_mask'].transpose(2, 0, 1).astype(np.uint8)


@DATASETS.register_module()
class JHMDBSentencesDataset(ReferringVideoDataset):
    """JHMDB-Sentences (Gavrilyuk et al., CVPR 2018), evaluation only.

    Re-implements ``JHMDBSentencesDataset`` of ``mttr2021/MTTR:
    datasets/jhmdb_sentences/jhmdb_sentences_dataset.py``: for every
    expression three frames are sampled among the frames that have a puppet
    mask; each is one sample, a window of ``window_size`` frames centred on
    it (1-based frame numbers, edge-padded to ``[1, #frames]``), the centre
    frame annotated with the one (referred) mask. ``image_id`` =
    ``v_<video>_f_<frame>``.

    The sampled frames are reproducible: either read from the official
    ``jhmdb_sentences_samples_metadata.json`` (``samples_file``; its entries
    ``[video_id, frame_path, mask_path, num_frames, query]``) or drawn with
    ``random.Random(seed)`` (one generator for the whole list, in file order,
    as the official script with a seeded ``random``; the official file was
    drawn with an unknown global state, so use ``samples_file`` to score the
    same frames).

    Args:
        data_root (str): The ``jhmdb_sentences`` folder.
        window_size (int): Frames per sample.
        ann_file (str): ``jhmdb_annotation.txt``.
        samples_file (str, optional): Official sampled-frames json.
        seed (int): Seed of the frame sampling. Defaults to 42.
        num_samples (int): Frames per expression. Defaults to 3.
        **kwargs: :class:`ReferringVideoDataset` arguments.
    """

    def __init__(self,
                 data_root: str = '',
                 window_size: int = 8,
                 ann_file: str = 'jhmdb_annotation.txt',
                 samples_file: Optional[str] = None,
                 seed: int = 42,
                 num_samples: int = 3,
                 **kwargs) -> None:
        if not kwargs.get('test_mode', True):
            raise ValueError('JHMDB-Sentences is evaluation only (as in '
                             'MTTR); build it with test_mode=True')
        kwargs['test_mode'] = True
        self.window_size = window_size
        self.samples_file = samples_file
        self.seed = seed
        self.num_samples = num_samples
        kwargs.setdefault('data_prefix', dict(img_path='Rename_Images',
                                              ann_path='puppet_mask'))
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)

    def _expressions(self) -> List[Tuple[str, str]]:
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'{self.ann_file}: JHMDB expressions '
                                    'file not found')
        with open(self.ann_file) as f:
            rows = list(csv.DictReader(f))
        out = []
        for line, row in enumerate(rows, 2):
            if 'video_id' not in row or 'query' not in row:
                raise DatasetFormatError(f'{self.ann_file}: columns must be '
                                         'video_id,query')
            where = f'{self.ann_file}:{line} (video {row["video_id"]!r})'
            out.append((row['video_id'], clean_text(row['query'], where)))
        return out

    def _sampled(self) -> List[Tuple[str, int, str]]:
        """(video, 1-based frame, text) for every sample."""
        if self.samples_file is not None:
            path = self.samples_file if osp.isabs(self.samples_file) or \
                not self.data_root else osp.join(self.data_root,
                                                 self.samples_file)
            with open(path) as f:
                entries = json.load(f)
            return [(e[0], int(osp.splitext(osp.basename(e[1]))[0]),
                     clean_text(e[4], f'{path}: entry {i}'))
                    for i, e in enumerate(entries)]
        frames_dirs = {osp.basename(osp.normpath(p)): p for p in glob.glob(
            osp.join(self.data_prefix['img_path'], '*', '*', ''))}
        rng = random.Random(self.seed)
        out = []
        for video, text in self._expressions():
            if video not in frames_dirs:
                raise DatasetFormatError(
                    f'{self.ann_file}: video {video!r} has no frame folder '
                    f'under {self.data_prefix["img_path"]}/<action>/')
            count = self._num_frames(video, frames_dirs[video])
            if count < self.num_samples:
                raise DatasetFormatError(
                    f'video {video!r}: {count} frames with masks, fewer '
                    f'than the {self.num_samples} to sample')
            for frame in sorted(rng.sample(range(1, count + 1),
                                           self.num_samples)):
                out.append((video, frame, text))
        return out

    def _num_frames(self, video: str, frames_dir: str) -> int:
        """Frames that have a mask (later frames are dropped, official)."""
        pngs = glob.glob(osp.join(frames_dir, '*.png'))
        return min(len(pngs), len(read_puppet_masks(self._mask_path(video))))

    def _mask_path(self, video: str) -> str:
        if not hasattr(self, '_masks'):
            self._masks = {osp.basename(osp.dirname(p)): p for p in glob.glob(
                osp.join(self.data_prefix['ann_path'], '*', '*',
                         'puppet_mask.mat'))}
        if video not in self._masks:
            raise DatasetFormatError(
                f'video {video!r}: no puppet_mask.mat under '
                f'{self.data_prefix["ann_path"]}/<action>/{video}/')
        return self._masks[video]

    def load_data_list(self) -> List[dict]:
        items: List[dict] = []
        frames_dirs = {osp.basename(osp.normpath(p)): p for p in glob.glob(
            osp.join(self.data_prefix['img_path'], '*', '*', ''))}
        counts: Dict[str, int] = {}
        for video, frame, text in self._sampled():
            if video not in frames_dirs:
                raise DatasetFormatError(f'video {video!r}: no frame folder')
            if video not in counts:
                counts[video] = self._num_frames(video, frames_dirs[video])
            items.append(self._item(len(items), video, frame, text,
                                    frames_dirs[video], counts[video]))
        return items

    def _item(self, index: int, video: str, frame: int, text: str,
              frames_dir: str, count: int) -> dict:
        centre = self.window_size // 2
        images = []
        for t, idx in enumerate(centred_window(frame, self.window_size)):
            idx = min(max(idx, 1), count)  # edge padding, 1-based
            images.append(dict(
                img_path=osp.join(frames_dir, f'{idx:05d}.png'),
                img_id=index * 1000 + t, frame_id=idx, video_id=video,
                video_name=video, exp_id='0', text=text,
                referred_instance_id=1, is_annotated=t == centre,
                image_id=f'v_{video}_f_{frame}' if t == centre else None,
                mask_index=frame - 1 if t == centre else None,
                instances=[]))
        return dict(video_id=video, video_name=video,
                    video_length=count, images=images)

    def load_annotations(self, item: dict) -> dict:
        images = []
        for frame in item['images']:
            if frame['mask_index'] is not None:
                masks = read_puppet_masks(self._mask_path(frame['video_name']))
                inst = make_instance(
                    encode_mask(masks[frame['mask_index']].astype(bool)), 0,
                    1, False, 'rle')
                frame = dict(frame, instances=[inst] if inst else [])
            images.append(frame)
        return dict(item, images=images)
