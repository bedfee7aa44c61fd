# Copyright (c) mmvidseg contributors. All rights reserved.
"""A2D-Sentences read from the official files::

    <root>/Release/videoset.csv            no header; col 0 video, last subset
    <root>/Release/clips320H/<video>.mp4
    <root>/text_annotations/a2d_annotation.txt       video_id,instance_id,query
    <root>/text_annotations/a2d_missed_videos.txt    videos excluded
    <root>/text_annotations/a2d_annotation_with_instances/<video>/<%05d>.h5
        'instance': instance ids in the frame; 'reMask': masks stored W x H
        (no instance axis when there is a single instance)

Frame numbers of the h5 files are 1-based (mp4 frame index = frame - 1).
"""
import csv
import glob
import os.path as osp
from typing import List, Optional, Tuple

import numpy as np

from mmvidseg.registry import DATASETS
from mmvidseg.structures.masks import encode_mask
from ._instance_utils import DatasetFormatError, make_instance
from ._referring import ReferringVideoDataset, clean_text

A2D_SUBSETS = {'train': 0, 'test': 1}


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError('A2D-Sentences masks are HDF5 files: pip install '
                          'h5py (listed in requirements/optional.txt)'
                          ) from None
    return h5py


def read_a2d_h5(path: str) -> Tuple[List[int], np.ndarray]:
    """Instance ids and (N, H, W) uint8 masks of an A2D annotation file."""
    h5py = _h5py()
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: A2D mask file not found')
    with h5py.File(path, 'r') as f:  # 'r': no file lock (MTTR PR #1)
        for key in ('instance', 'reMask'):
            if key not in f:
                raise DatasetFormatError(f'{path}: no {key!r} dataset (A2D '
                                         'h5 files hold instance + reMask)')
        ids = [int(i) for i in np.array(f['instance']).reshape(-1)]
        masks = np.array(f['reMask'])
    if len(ids) == 1 and masks.ndim == 2:
        masks = masks[None]
    if masks.ndim != 3 or len(masks) != len(ids):
        raise DatasetFormatError(f'{path}: reMask of shape {masks.shape} for '
                                 f'{len(ids)} instances')
    return ids, masks.transpose(0, 2, 1).astype(np.uint8)  # (N, H, W)


def centred_window(frame_index: int, window_size: int) -> List[int]:
    """Indices ``frame_index - ws//2 ... frame_index + (ws+1)//2 - 1`` (the
    annotated frame at position ``ws // 2``); edge padding is left to the
    reader (``mttr2021/MTTR: a2d_sentences_dataset.py::__getitem__``)."""
    return list(range(frame_index - window_size // 2,
                      frame_index + (window_size + 1) // 2))


@DATASETS.register_module()
class A2DSentencesDataset(ReferringVideoDataset):
    """A2D-Sentences (Gavrilyuk et al., CVPR 2018) as MTTR reads it.

    Re-implements ``A2DSentencesDataset`` of ``mttr2021/MTTR:
    datasets/a2d_sentences/a2d_sentences_dataset.py``: one sample per
    (expression, annotated frame that contains the referred instance) of
    the videos of ``split`` not in ``a2d_missed_videos.txt`` (the row with
    instance ``'1 (copy)'`` is skipped). The window of ``window_size`` frames
    is centred on the annotated frame (edge-padded, decoded by
    :class:`LoadVideoFrames`); only that frame has ``is_annotated=True`` and
    masks (all instances of the frame in training, the referred one with
    ``referred_only``). ``image_id`` = ``v_<video>_f_<frame>_i_<instance>``
    (the official COCO ground-truth ids).

    Deviations: instance ids are the A2D ids + 1 (mmdet reads id 0 as "no
    instance"; ``image_id`` keeps the A2D id); the official samples cache
    json is not written.

    Args:
        data_root (str): The ``a2d_sentences`` folder.
        split (str): ``'train'`` or ``'test'``.
        window_size (int): Frames per sample (8 or 10 in the reference).
        ann_file (str): Expressions CSV.
        data_prefix (dict): ``video_path`` (``Release/clips320H``) and
            ``ann_path`` (the h5 folder).
        videoset_file (str): ``Release/videoset.csv``.
        missed_file (str, optional): Videos to exclude.
        **kwargs: :class:`ReferringVideoDataset` arguments.
    """

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 window_size: int = 8,
                 ann_file: str = 'text_annotations/a2d_annotation.txt',
                 data_prefix: Optional[dict] = None,
                 videoset_file: str = 'Release/videoset.csv',
                 missed_file: Optional[
                     str] = 'text_annotations/a2d_missed_videos.txt',
                 **kwargs) -> None:
        if split not in A2D_SUBSETS:
            raise ValueError(f"split must be 'train' or 'test', got "
                             f'{split!r}')
        self.split = split
        self.window_size = window_size
        self.videoset_file = videoset_file
        self.missed_file = missed_file
        super().__init__(
            data_root=data_root, ann_file=ann_file,
            data_prefix=data_prefix or dict(
                video_path='Release/clips320H',
                ann_path='text_annotations/a2d_annotation_with_instances'),
            **kwargs)

    def _path(self, name: Optional[str]) -> Optional[str]:
        if name is None or osp.isabs(name) or not self.data_root:
            return name
        return osp.join(self.data_root, name)

    def _split_videos(self) -> List[str]:
        path = self._path(self.videoset_file)
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: A2D videoset.csv not found')
        with open(path) as f:
            rows = [r for r in csv.reader(f) if r]
        missed = set()
        missed_path = self._path(self.missed_file)
        if missed_path is not None and osp.isfile(missed_path):
            with open(missed_path) as f:
                missed = {line.strip() for line in f if line.strip()}
        subset = A2D_SUBSETS[self.split]
        try:
            return [r[0] for r in rows
                    if int(r[-1]) == subset and r[0] not in missed]
        except ValueError as e:
            raise DatasetFormatError(f'{path}: the last column must be the '
                                     f'subset (0 train / 1 test): {e}'
                                     ) from None

    def load_data_list(self) -> List[dict]:
        """(expression, frame) samples of the split's videos."""
        videos = set(self._split_videos())
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(f'{self.ann_file}: A2D expressions '
                                    'file not found')
        with open(self.ann_file) as f:
            rows = list(csv.DictReader(f))
        items: List[dict] = []
        for line, row in enumerate(rows, 2):
            missing = {'video_id', 'instance_id', 'query'} - set(row)
            if missing:
                raise DatasetFormatError(f'{self.ann_file}: no column(s) '
                                         f'{sorted(missing)}')
            video, inst = row['video_id'], row['instance_id']
            if video not in videos or inst == '1 (copy)':
                continue  # other split / the official annotation mistake
            where = f'{self.ann_file}:{line} (video {video!r})'
            text = clean_text(row['query'], where)
            try:
                inst_id = int(inst)
            except ValueError:
                raise DatasetFormatError(f'{where}: instance_id {inst!r} is '
                                         'not an integer') from None
            for h5 in sorted(glob.glob(osp.join(
                    self.data_prefix['ann_path'], video, '*.h5'))):
                ids, _ = read_a2d_h5(h5)
                if inst_id in ids:
                    frame = int(osp.splitext(osp.basename(h5))[0])
                    items.append(self._item(len(items), video, frame,
                                            inst_id, text, h5))
        return items

    def _item(self, index: int, video: str, frame: int, inst_id: int,
              text: str, h5: str) -> dict:
        mp4 = osp.join(self.data_prefix['video_path'], f'{video}.mp4')
        centre = self.window_size // 2
        image_id = f'v_{video}_f_{frame}_i_{inst_id}'
        images = []
        for t, idx in enumerate(centred_window(frame - 1, self.window_size)):
            images.append(dict(
                video_path=mp4, frame_index=idx, img_id=index * 1000 + t,
                frame_id=idx, video_id=video, video_name=video,
                exp_id=f'{inst_id}', text=text,
                referred_instance_id=inst_id + 1, is_annotated=t == centre,
                image_id=image_id if t == centre else None,
                mask_file=h5 if t == centre else None, instances=[]))
        return dict(video_id=video, video_name=video,
                    video_length=len(images), images=images)

    def load_annotations(self, item: dict) -> dict:
        images = []
        for frame in item['images']:
            if frame['mask_file'] is not None:
                ids, masks = read_a2d_h5(frame['mask_file'])
                instances = []
                for a2d_id, mask in zip(ids, masks):
                    if self.referred_only and \
                            a2d_id + 1 != frame['referred_instance_id']:
                        continue
                    inst = make_instance(encode_mask(mask.astype(bool)), 0,
                                         a2d_id + 1, False, 'rle')
                    if inst is not None:
                        instances.append(inst)
                frame = dict(frame, instances=instances)
            images.append(frame)
        return dict(item, images=images)
