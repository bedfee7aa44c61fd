# Copyright (c) mmvidseg contributors. All rights reserved.
"""DAVIS 2017 (semi-supervised and unsupervised) read from the official
folders::

    DAVIS/JPEGImages/<resolution>/<seq>/<%05d>.jpg
    DAVIS/Annotations/<resolution>/<seq>/<%05d>.png              semi-sup.
    DAVIS/Annotations_unsupervised/<resolution>/<seq>/<%05d>.png unsupervised
    DAVIS/ImageSets/2017/{train,val,test-dev}.txt  (2019/ for unsup. test)

Annotation PNGs are indexed ('P') images: value = object id, 0 =
background, 255 = void.
"""
import os
import os.path as osp
from typing import List, Optional

import numpy as np
from .base_video_dataset import BaseVideoDataset
from PIL import Image

from mmvidseg.registry import DATASETS
from mmvidseg.structures.masks import encode_mask
from ._instance_utils import (DatasetFormatError, InstanceIdMap,
                              check_mask_format, drop_empty_frames,
                              make_instance)

DAVIS_TASKS = ('semi-supervised', 'unsupervised')
DAVIS_VOID_ID = 255


def read_davis_png(path: str) -> np.ndarray:
    """(H, W) uint8 object ids of an indexed DAVIS annotation PNG."""
    try:
        with Image.open(path) as img:
            if img.mode not in ('P', 'L'):
                raise DatasetFormatError(
                    f'{path}: a {img.mode} image; DAVIS annotations are '
                    'indexed (palette) PNGs whose values are object ids')
            return np.array(img, dtype=np.uint8)
    except (OSError, SyntaxError) as e:  # PIL.UnidentifiedImageError
        raise DatasetFormatError(f'{path}: not a readable PNG ({e})') from None


@DATASETS.register_module()
class DAVISDataset(BaseVideoDataset):
    """DAVIS 2017 video object segmentation, class-agnostic.

    One item per sequence (``BaseVideoDataset`` layout). Every object id
    ``k`` of a sequence becomes one instance per frame where it shows, with
    ``bbox_label`` 0 (one class, ``'object'``), ``instance_id`` unique over
    the dataset (>= 1, numbered by sequence then object id) and ``mask`` an
    RLE dict (``mask_format='rle'``, what ``LoadTrackAnnotations`` reads) or
    an (H, W) uint8 array (``'bitmap'``). Void pixels (255) form one ignored
    instance per frame (``ignore_flag=1``) when ``with_void=True``.

    STEm-Seg's DAVIS loader (``sabarim/STEm-Seg:
    stemseg/data/davis_data_loader.py``) reads the same annotations from its
    converted ``davis_{train,val}.json`` (see :mod:`.stemseg_json`) and, in
    training, drops frames without objects: so does this class
    (``filter_cfg.filter_empty_gt``, default True; test mode keeps all).

    Args:
        data_root (str): Folder holding ``JPEGImages``, ``Annotations*``
            and ``ImageSets`` (the ``DAVIS`` folder).
        task (str): ``'unsupervised'`` (``Annotations_unsupervised``) or
            ``'semi-supervised'`` (``Annotations``).
        split (str): ImageSets list name (``train``, ``val``, ``test-dev``);
            ignored when ``ann_file`` is given.
        ann_file (str): Optional path of a sequence list (one name per line);
            defaults to ``ImageSets/<year>/<split>.txt``.
        resolution (str): ``'480p'`` or ``'Full-Resolution'``.
        mask_format (str): ``'rle'`` or ``'bitmap'``.
        with_void (bool): Keep void pixels as an ignore region.
        require_annotations (bool): Every frame must have its PNG (True in
            training); with False (default in test mode) frames without a
            PNG have no instances (test-dev ships first frames only).
        min_clip_frames (int): Training: skip videos with fewer frames.
        **kwargs: ``BaseVideoDataset`` arguments (``pipeline``,
            ``test_mode``, ``filter_cfg``, ``metainfo`` ...).
    """

    METAINFO = dict(classes=('object', ))

    def __init__(self,
                 data_root: str = '',
                 task: str = 'unsupervised',
                 split: str = 'train',
                 ann_file: str = '',
                 resolution: str = '480p',
                 mask_format: str = 'rle',
                 with_void: bool = True,
                 require_annotations: Optional[bool] = None,
                 min_clip_frames: int = 1,
                 **kwargs) -> None:
        if task not in DAVIS_TASKS:
            raise ValueError(f'task must be one of {DAVIS_TASKS}, got '
                             f'{task!r}')
        check_mask_format(mask_format)
        self.task = task
        self.split = split
        self.resolution = resolution
        self.mask_format = mask_format
        self.with_void = with_void
        self.min_clip_frames = min_clip_frames
        test_mode = kwargs.get('test_mode', False)
        self.require_annotations = (not test_mode) \
            if require_annotations is None else require_annotations
        if not ann_file:
            year = '2019' if task == 'unsupervised' and split in (
                'test-dev', 'test-challenge') else '2017'
            ann_file = osp.join('ImageSets', year, f'{split}.txt')
        kwargs.setdefault('data_prefix', dict(img_path=''))
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)

    @property
    def ann_dir(self) -> str:
        folder = 'Annotations_unsupervised' if self.task == 'unsupervised' \
            else 'Annotations'
        return osp.join(self.data_root, folder, self.resolution)

    @property
    def img_dir(self) -> str:
        return osp.join(self.data_root, 'JPEGImages', self.resolution)

    def load_data_list(self) -> List[dict]:
        """One dict per sequence of the ImageSets list."""
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'{self.ann_file}: DAVIS sequence list not found; data_root '
                'must be the DAVIS folder (with ImageSets/2017/<split>.txt) '
                'or ann_file a list of sequence names')
        with open(self.ann_file) as f:
            names = [line.strip() for line in f if line.strip()]
        if len(set(names)) != len(names):
            raise DatasetFormatError(f'{self.ann_file}: duplicate sequence '
                                     'names')
        ids = InstanceIdMap()
        return [self._load_sequence(vid, name, ids)
                for vid, name in enumerate(names)]

    def _load_sequence(self, vid: int, name: str, ids: InstanceIdMap) -> dict:
        img_dir = osp.join(self.img_dir, name)
        if not osp.isdir(img_dir):
            raise DatasetFormatError(
                f'{self.ann_file}: sequence {name!r} has no frame folder '
                f'{img_dir}')
        frames = sorted(f for f in os.listdir(img_dir)
                        if f.lower().endswith(('.jpg', '.jpeg', '.png')))
        if not frames:
            raise DatasetFormatError(f'{img_dir}: sequence {name!r} has no '
                                     'frames')
        images = []
        for frame_id, file_name in enumerate(frames):
            stem = osp.splitext(file_name)[0]
            png = osp.join(self.ann_dir, name, f'{stem}.png')
            info = dict(img_path=osp.join(img_dir, file_name),
                        img_id=vid * 100000 + frame_id, frame_id=frame_id,
                        video_id=vid, video_name=name,
                        file_name=f'{name}/{file_name}', instances=[])
            if osp.isfile(png):
                labels = read_davis_png(png)
                info.update(height=labels.shape[0], width=labels.shape[1])
                info['instances'] = self._frame_instances(labels, name, ids)
            elif self.require_annotations:
                raise DatasetFormatError(
                    f'sequence {name!r} frame {frame_id} ({file_name}): '
                    f'annotation {png} is missing; every frame needs one in '
                    'training (set require_annotations=False to allow it)')
            else:
                with Image.open(info['img_path']) as img:
                    info.update(height=img.height, width=img.width)
            images.append(info)
        sizes = {(f['height'], f['width']) for f in images}
        if len(sizes) > 1:
            raise DatasetFormatError(
                f'sequence {name!r}: frames / annotations of different '
                f'sizes {sorted(sizes)} (height, width)')
        return dict(video_id=vid, video_name=name,
                    video_length=len(images), images=images)

    def _frame_instances(self, labels: np.ndarray, name: str,
                         ids: InstanceIdMap) -> List[dict]:
        out = []
        for k in np.unique(labels).tolist():
            if k == 0 or (k == DAVIS_VOID_ID and not self.with_void):
                continue
            void = k == DAVIS_VOID_ID
            inst = make_instance(encode_mask(labels == k), 0, ids(name, k),
                                 void, self.mask_format)
            if inst is not None:
                out.append(inst)
        return out

    def filter_data(self) -> List[dict]:
        """Training drops frames without objects (as STEm-Seg), then videos
        shorter than ``min_clip_frames``; test mode keeps everything."""
        if self.test_mode or not (self.filter_cfg or {}).get(
                'filter_empty_gt', True):
            return self.data_list
        kept = drop_empty_frames(self.data_list, self.min_clip_frames)
        if not kept:
            raise DatasetFormatError(
                f'{self.ann_file}: no sequence has {self.min_clip_frames} or '
                'more annotated frames; nothing to train on')
        return kept
