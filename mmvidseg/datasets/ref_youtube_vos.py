# Copyright (c) mmvidseg contributors. All rights reserved.
"""Refer-YouTube-VOS and Ref-DAVIS-17 read from the official folders::

    <root>/{train,valid}/JPEGImages/<video>/<frame>.jpg
    <root>/train/Annotations/<video>/<frame>.png     palette, value = obj id
    <root>/train/meta.json                           optional: frames per obj
    <root>/meta_expressions/{train,valid,test}/meta_expressions.json
        {"videos": {video: {"expressions": {exp_id: {"exp", "obj_id"}},
                            "frames": [frame names]}}}

Ref-DAVIS-17 (as ReferFormer prepares it) has the same layout with
``valid/Annotations`` present.
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Set

import numpy as np

from mmvidseg.registry import DATASETS
from mmvidseg.structures.masks import encode_mask
from ._instance_utils import DatasetFormatError, make_instance
from ._referring import ReferringVideoDataset, clean_text
from .davis import read_davis_png


def _toy_hint(path: str) -> str:
    """How to add the newer toy files where ``path`` is in a toy dataset.

    ``meta_expressions/train_all`` and ``valid_gt/kinds`` came after the
    first toy generator: a ``data/toy`` written before lacks them, and the
    generator does not rewrite a dataset whose stamp matches.
    """
    from .toy.generate import STAMP_FILE  # error path only
    folder = osp.dirname(osp.abspath(path))
    for _ in range(4):
        parent = osp.dirname(folder)
        if osp.isfile(osp.join(parent, STAMP_FILE)):
            return (f' ({folder} is in a toy dataset; one generated before '
                    'meta_expressions/train_all and valid_gt/kinds existed '
                    'lacks them: add them with python tools/'
                    f'dataset_converters/toy_ref_expressions.py {folder})')
        folder = parent
    return ''


def load_meta_expressions(path: str) -> Dict[str, dict]:
    """``videos`` of a ``meta_expressions.json`` with its format checked."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: meta_expressions file not found'
                                + _toy_hint(path))
    with open(path) as f:
        videos = json.load(f).get('videos')
    if not isinstance(videos, dict):
        raise DatasetFormatError(f'{path}: no "videos" dict (expected '
                                 '{"videos": {video: {"expressions", '
                                 '"frames"}}})')
    for name, video in videos.items():
        for key in ('expressions', 'frames'):
            if key not in video:
                raise DatasetFormatError(f'{path}: video {name!r} has no '
                                         f'{key!r}')
    return videos


def train_windows(frames: List[str], window_size: int) -> List[List[str]]:
    """Non-overlapping windows of ``window_size`` sorted frames; the last is
    completed with earlier frames, or by repeating the last frame when the
    video is shorter than a window (``mttr2021/MTTR:
    datasets/refer_youtube_vos/refer_youtube_vos_dataset.py::
    generate_train_video_samples``)."""
    frames = sorted(frames)
    windows = [frames[i:i + window_size]
               for i in range(0, len(frames), window_size)]
    if windows and len(windows[-1]) < window_size:
        if len(frames) >= window_size:
            windows[-1] = frames[-window_size:]
        else:
            windows[-1] = windows[-1] + [windows[-1][-1]] * (
                window_size - len(windows[-1]))
    return windows


@DATASETS.register_module()
class RefYouTubeVOSDataset(ReferringVideoDataset):
    """Refer-YouTube-VOS (Seo et al., ECCV 2020) as MTTR reads it.

    Re-implements ``ReferYouTubeVOSDataset`` of ``mttr2021/MTTR:
    datasets/refer_youtube_vos/refer_youtube_vos_dataset.py``:

    * training (``test_mode=False``): every expression x every
      non-overlapping window of ``window_size`` annotated frames
      (:func:`train_windows`); windows where the referred object does not
      appear are dropped (read from ``train/meta.json`` when given, else from
      the PNGs, as the official code); every object of the window is a
      target, ``referred_instance_id`` = the expression's ``obj_id``;
    * test: one sample per expression holding the whole video (every frame
      of ``frames``); the CodaLab "valid" set is ``valid - test``
      (``exclude_ann_file``, 202 videos).

    Expressions are lower-cased and whitespace-normalised. Instance ids are
    the PNG object ids (>= 1; unique within a video, which is all MTTR
    needs). Deviations: the official samples-metadata cache json is not
    written (listing is fast with ``meta.json``).

    Args:
        data_root (str): The ``refer_youtube_vos`` folder.
        ann_file (str): ``meta_expressions/<split>/meta_expressions.json``.
        data_prefix (dict): ``img_path`` (``<split>/JPEGImages``) and
            ``ann_path`` (``<split>/Annotations``; None: no masks, e.g. the
            valid split).
        window_size (int): Training window (8 or 12 in the reference).
        meta_file (str, optional): ``train/meta.json`` (object -> frames)
            used to drop windows without the referred object; None or a
            missing file: read the PNGs.
        exclude_ann_file (str, optional): Test mode: videos listed in this
            meta_expressions file are dropped (the CodaLab valid = valid -
            test).
        expected_num_videos (int, optional): Fail unless exactly this many
            videos remain (the official strict counts: 3471 / 202).
        **kwargs: :class:`ReferringVideoDataset` arguments.
    """

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = 'meta_expressions/train/meta_expressions.json',
                 data_prefix: Optional[dict] = None,
                 window_size: int = 12,
                 meta_file: Optional[str] = None,
                 exclude_ann_file: Optional[str] = None,
                 expected_num_videos: Optional[int] = None,
                 **kwargs) -> None:
        if window_size < 1:
            raise ValueError(f'window_size must be >= 1, got {window_size}')
        self.window_size = window_size
        self.meta_file = meta_file
        self.exclude_ann_file = exclude_ann_file
        self.expected_num_videos = expected_num_videos
        data_prefix = dict(img_path='train/JPEGImages',
                           ann_path='train/Annotations') \
            if data_prefix is None else dict(data_prefix)
        self._ann_path = data_prefix.pop('ann_path', None)
        super().__init__(data_root=data_root, ann_file=ann_file,
                         data_prefix=data_prefix, **kwargs)

    # paths --------------------------------------------------------------
    def _root_path(self, path: Optional[str]) -> Optional[str]:
        if path is None or osp.isabs(path) or not self.data_root:
            return path
        return osp.join(self.data_root, path)

    @property
    def ann_dir(self) -> Optional[str]:
        """The Annotations folder (None: no masks)."""
        return self._root_path(self._ann_path)

    def _png(self, video: str, frame: str) -> str:
        return osp.join(self.ann_dir, video, f'{frame}.png')

    # listing ------------------------------------------------------------
    def _videos(self) -> Dict[str, dict]:
        videos = load_meta_expressions(self.ann_file)
        exclude = self._root_path(self.exclude_ann_file)
        if self.test_mode and exclude is not None:
            if not osp.isfile(exclude):
                raise FileNotFoundError(
                    f'{exclude}: exclude_ann_file not found (the CodaLab '
                    'valid set is valid - test); give the test '
                    'meta_expressions.json or set exclude_ann_file=None to '
                    'use every video of the valid file')
            dropped = set(load_meta_expressions(exclude))
            videos = {k: v for k, v in videos.items() if k not in dropped}
        if self.expected_num_videos is not None and \
                len(videos) != self.expected_num_videos:
            raise DatasetFormatError(
                f'{self.ann_file}: {len(videos)} videos, expected '
                f'{self.expected_num_videos} (official split size); the '
                'download is incomplete or the wrong split was given')
        return videos

    def _object_frames(self, name: str, video: dict) -> Dict[int, Set[str]]:
        """Frames where each object id appears (meta.json, else PNGs)."""
        meta = self._root_path(self.meta_file)
        if meta is not None and osp.isfile(meta):
            if not hasattr(self, '_meta_cache'):
                with open(meta) as f:
                    self._meta_cache = json.load(f).get('videos', {})
            if name not in self._meta_cache:
                raise DatasetFormatError(f'{meta}: no entry for video '
                                         f'{name!r}')
            return {int(k): set(o['frames']) for k, o in
                    self._meta_cache[name]['objects'].items()}
        out: Dict[int, Set[str]] = {}
        for frame in video['frames']:
            for k in np.unique(self._read_png(name, frame)).tolist():
                if k:
                    out.setdefault(int(k), set()).add(frame)
        return out

    def _read_png(self, video: str, frame: str) -> np.ndarray:
        path = self._png(video, frame)
        if not osp.isfile(path):
            raise DatasetFormatError(
                f'video {video!r} frame {frame}: annotation {path} is '
                'missing (train/Annotations must hold every frame listed in '
                f'{self.ann_file})')
        return read_davis_png(path)

    def load_data_list(self) -> List[dict]:
        """One item per (expression, window) in training, per expression in
        test mode."""
        if self.ann_dir is None and not self.test_mode:
            raise ValueError('RefYouTubeVOSDataset: training needs '
                             'data_prefix.ann_path (train/Annotations)')
        videos = self._videos()
        items: List[dict] = []
        for name in sorted(videos):
            items += self._video_items(name, videos[name], len(items))
        if not items:
            raise DatasetFormatError(f'{self.ann_file}: no sample (no '
                                     'expression whose object appears)')
        return items

    def _check_video(self, name: str, video: dict) -> None:
        img_dir = osp.join(self.data_prefix['img_path'], name)
        if not osp.isdir(img_dir):
            raise DatasetFormatError(
                f'{self.ann_file}: video {name!r} is not in the split: no '
                f'frame folder {img_dir}; the expressions file and '
                'data_prefix.img_path must be the same split')
        if not video['frames']:
            raise DatasetFormatError(f'{self.ann_file}: video {name!r} lists '
                                     'no frames')

    def _referred_id(self, name: str, exp_id: str, exp: dict) -> int:
        if 'obj_id' not in exp:
            if self.test_mode and self.ann_dir is None:
                return -1  # valid split: no ground truth
            raise DatasetFormatError(
                f'{self.ann_file}: video {name!r} expression {exp_id!r} has '
                'no "obj_id" (needed with annotations)')
        return int(exp['obj_id'])

    def _video_items(self, name: str, video: dict, start: int) -> List[dict]:
        self._check_video(name, video)
        frames = sorted(video['frames'])
        if self.test_mode:
            windows = [frames]
        else:
            windows = train_windows(frames, self.window_size)
            present = self._object_frames(name, video)
        items = []
        for exp_id, exp in video['expressions'].items():
            where = f'{self.ann_file}: video {name!r} expression {exp_id!r}'
            text = clean_text(exp.get('exp'), where)
            ref_id = self._referred_id(name, exp_id, exp)
            for window in windows:
                if not self.test_mode and not present.get(
                        ref_id, set()).intersection(window):
                    continue  # the referred object is not in the window
                items.append(self._item(start + len(items), name, frames,
                                        window, exp_id, text, ref_id))
        return items

    def _item(self, index: int, name: str, frames: List[str],
              window: List[str], exp_id: str, text: str,
              ref_id: int) -> dict:
        images = []
        for t, frame in enumerate(window):
            images.append(dict(
                img_path=osp.join(self.data_prefix['img_path'], name,
                                  f'{frame}.jpg'),
                img_id=index * 1000 + t, frame_id=frames.index(frame),
                frame_name=frame, video_id=name, video_name=name,
                exp_id=exp_id, text=text, referred_instance_id=ref_id,
                obj_id=ref_id if ref_id > 0 else None, is_annotated=True,
                instances=[]))
        return dict(video_id=name, video_name=name,
                    video_length=len(frames), images=images)

    def load_annotations(self, item: dict) -> dict:
        """Read the window's PNGs into ``instances`` (all objects, or the
        referred one with ``referred_only``)."""
        if self.ann_dir is None:
            return item
        images = []
        for frame in item['images']:
            labels = self._read_png(frame['video_name'], frame['frame_name'])
            ids = [k for k in np.unique(labels).tolist() if k not in (0, 255)]
            if self.referred_only:
                ids = [k for k in ids if k == frame['referred_instance_id']]
            instances = [make_instance(encode_mask(labels == k), 0, k, False,
                                       'rle') for k in ids]
            images.append(dict(frame, height=labels.shape[0],
                               width=labels.shape[1],
                               instances=[i for i in instances if i]))
        return dict(item, images=images)


@DATASETS.register_module()
class RefDAVISDataset(RefYouTubeVOSDataset):
    """Ref-DAVIS-17 (Khoreva et al., ACCV 2018) in the layout ReferFormer
    prepares (``wjn922/ReferFormer: docs/data.md``): Refer-YouTube-VOS
    folders with ``valid/Annotations``; evaluation only (MTTR reports no
    Ref-DAVIS training), one sample per expression over the whole video,
    ``obj_id`` in the metainfo for :class:`ReferJFMetric`'s
    ``protocol='ref_davis'`` (the annotator comes from the expression
    order).

    Args:
        data_root (str): The ``ref-davis`` folder.
        ann_file (str): Defaults to the valid meta_expressions.
        data_prefix (dict): Defaults to ``valid/JPEGImages`` and
            ``valid/Annotations``.
        **kwargs: :class:`RefYouTubeVOSDataset` arguments.
    """

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = 'meta_expressions/valid/meta_expressions.json',
                 data_prefix: Optional[dict] = None,
                 **kwargs) -> None:
        kwargs.setdefault('test_mode', True)
        super().__init__(
            data_root=data_root, ann_file=ann_file,
            data_prefix=data_prefix or dict(img_path='valid/JPEGImages',
                                            ann_path='valid/Annotations'),
            **kwargs)
