# Copyright (c) mmvidseg contributors. All rights reserved.
"""Videos as frame streams (one dataset item per frame), for Video-TTT.

A stream dataset lists the frames of every video in order, one item per
frame, with metainfo ``video_id`` (folder name), ``frame_id`` (position in
the video, from 0), ``frame_number`` (the number in the file name),
``video_length``, ``evaluate`` (whether the protocol scores this frame) and
``split``. :class:`mmvidseg.engine.OnlineTTTLoop` walks it by index.

Frame order: frames are sorted by the last number in the file name (the
official code sorts file names as strings, which equals numeric order for
zero-padded names). A gap in the numbering (``000003.png`` missing between
``000002`` and ``000004``) raises ``ValueError`` naming the folder and the
missing numbers, unless ``allow_gaps=True`` (then frames are consecutive
positions of the stream and ``frame_id`` counts positions, not numbers).
"""
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform
from mmengine.dataset import BaseDataset
from PIL import Image

from mmvidseg.registry import DATASETS, TRANSFORMS

_NUMBER = re.compile(r'(\d+)(?!.*\d)')
# KITTI-STEP 19 Cityscapes trainIds (deeplab2 / Video-TTT KITTI_STEP_SEM_SEG)
KITTI_STEP_SEM_CLASSES = (
    'road', 'sidewalk', 'building', 'wall', 'fence', 'pole', 'traffic light',
    'traffic sign', 'vegetation', 'terrain', 'sky', 'person', 'rider', 'car',
    'truck', 'bus', 'train', 'motorcycle', 'bicycle')
KITTI_STEP_TRAIN_SEQS = ('0000', '0001', '0003', '0004', '0005', '0009',
                         '0011', '0012', '0015', '0017', '0019', '0020')
KITTI_STEP_VAL_SEQS = ('0002', '0006', '0007', '0008', '0010', '0013',
                       '0014', '0016', '0018')


def list_frames(folder: str, suffix: str = '.png',
                allow_gaps: bool = False) -> List[Tuple[int, str]]:
    """``[(number, file name), ...]`` of a frame folder, numerically sorted.

    Raises:
        FileNotFoundError: no folder or no frame with ``suffix``.
        ValueError: a number repeats, or (``allow_gaps=False``) numbers
            are not consecutive.
    """
    if not osp.isdir(folder):
        raise FileNotFoundError(f'{folder}: frame folder not found')
    frames = []
    for name in os.listdir(folder):
        if not name.endswith(suffix) or name.endswith('_sem' + suffix):
            continue
        match = _NUMBER.search(name[:-len(suffix)])
        if match is None:
            raise ValueError(f'{osp.join(folder, name)}: no frame number in '
                             'the file name')
        frames.append((int(match.group(1)), name))
    if not frames:
        raise FileNotFoundError(f'{folder}: no *{suffix} frames')
    frames.sort()
    numbers = [n for n, _ in frames]
    if len(set(numbers)) != len(numbers):
        dup = sorted({n for n in numbers if numbers.count(n) > 1})
        raise ValueError(f'{folder}: frame numbers {dup[:5]} appear twice')
    if not allow_gaps:
        missing = sorted(set(range(numbers[0], numbers[-1] + 1)) -
                         set(numbers))
        if missing:
            raise ValueError(
                f'{folder}: frame numbers are not consecutive, missing '
                f'{missing[:10]}{" ..." if len(missing) > 10 else ""}; add '
                'the frames, or pass allow_gaps=True to stream the frames '
                'that exist as consecutive frames')
    return frames


@DATASETS.register_module()
class FrameStreamDataset(BaseDataset):
    """Frames of ``<data_root>/<img_dir>/<video>/<frame>`` as one stream.

    Args:
        img_dir (str): Folder of the video folders (under ``data_root``).
        videos (Sequence[str], optional): Videos in stream order; default
            all sub-folders, sorted.
        eval_interval (int): Frames at positions ``0, k, 2k, ...`` are
            evaluated (COCO-Videos: 10; KITTI-STEP: 1).
        img_suffix (str): Frame file suffix.
        allow_gaps (bool): Accept gaps in the frame numbering.
        split (str, optional): Stored in each frame's ``split``.
        **kwargs: :class:`mmengine.dataset.BaseDataset` arguments
            (``data_root``, ``pipeline``, ``test_mode``, ...).
    """

    METAINFO: dict = dict(classes=())

    def __init__(self, img_dir: str = '',
                 videos: Optional[Sequence[str]] = None,
                 eval_interval: int = 1, img_suffix: str = '.png',
                 allow_gaps: bool = False, split: Optional[str] = None,
                 **kwargs) -> None:
        if eval_interval < 1:
            raise ValueError(f'eval_interval must be >= 1, got '
                             f'{eval_interval}')
        self.img_dir = img_dir
        self.videos = None if videos is None else [str(v) for v in videos]
        self.eval_interval = eval_interval
        self.img_suffix = img_suffix
        self.allow_gaps = allow_gaps
        self.split = split
        kwargs.setdefault('serialize_data', False)
        super().__init__(**kwargs)

    def _video_list(self, root: str) -> List[str]:
        if self.videos is not None:
            return list(self.videos)
        if not osp.isdir(root):
            raise FileNotFoundError(f'{root}: stream folder not found')
        return sorted(d for d in os.listdir(root)
                      if osp.isdir(osp.join(root, d)))

    def load_data_list(self) -> List[dict]:
        root = osp.join(self.data_root or '', self.img_dir)
        data_list = []
        for video in self._video_list(root):
            folder = osp.join(root, video)
            frames = list_frames(folder, self.img_suffix, self.allow_gaps)
            for pos, (number, name) in enumerate(frames):
                info = dict(
                    img_path=osp.join(folder, name),
                    img_id=f'{video}/{name}', video_id=video, frame_id=pos,
                    frame_number=number, video_length=len(frames),
                    evaluate=pos % self.eval_interval == 0,
                    split=self.split)
                info.update(self.frame_annotation(video, pos, number, name))
                data_list.append(info)
        return data_list

    def frame_annotation(self, video: str, pos: int, number: int,
                         name: str) -> Dict:
        """Ground-truth fields of one frame (none here)."""
        return {}


@DATASETS.register_module()
class KITTIStepStream(FrameStreamDataset):
    """KITTI-STEP semantic segmentation as Video-TTT streams it.

    Layout (Video-TTT's export, ``renwang435/video-ttt-release:
    mask2former/data/datasets/register_in_train_loop_kitti.py``)::

        <data_root>/images/{train,val}/<seq>/<%06d>.png
        <data_root>/panoptic_maps/{train,val}/<seq>/<%06d>_sem.png

    ``_sem.png``: trainIds 0-18, 255 ignore. Without a ``_sem.png`` the
    official KITTI-STEP panoptic map ``<%06d>.png`` (RGB, R = semantic id)
    is read (:class:`LoadStreamSemSeg`). Every frame is evaluated. Each
    frame's ``split`` is the folder it came from; the metric reports train
    and val sequences separately (the paper uses the KITTI-STEP train split
    as its "test" set).

    Args:
        splits (Sequence[str]): Split folders, streamed in this order.
        videos (Sequence[str], optional): Sequences to keep (all if None);
            integers are zero-padded to 4 digits (``2`` -> ``'0002'``).
    """

    METAINFO = dict(classes=KITTI_STEP_SEM_CLASSES)

    def __init__(self, splits: Sequence[str] = ('train', 'val'),
                 **kwargs) -> None:
        self.splits = tuple(splits)
        kwargs.setdefault('eval_interval', 1)
        if kwargs.get('videos') is not None:  # 2 -> '0002' (--cfg-options)
            kwargs['videos'] = [f'{v:04d}' if isinstance(v, int) else v
                                for v in kwargs['videos']]
        super().__init__(**kwargs)

    def load_data_list(self) -> List[dict]:
        data_list = []
        keep = None if self.videos is None else set(self.videos)
        found: set = set()
        for split in self.splits:
            root = osp.join(self.data_root or '', 'images', split)
            if not osp.isdir(root):
                raise FileNotFoundError(f'{root}: KITTI-STEP split folder not '
                                        'found (images/{train,val}/<seq>/)')
            seqs = sorted(d for d in os.listdir(root)
                          if osp.isdir(osp.join(root, d)) and
                          (keep is None or d in keep))
            found.update(seqs)
            for seq in seqs:
                folder = osp.join(root, seq)
                frames = list_frames(folder, self.img_suffix, self.allow_gaps)
                for pos, (number, name) in enumerate(frames):
                    stem = name[:-len(self.img_suffix)]
                    gt_dir = osp.join(self.data_root or '', 'panoptic_maps',
                                      split, seq)
                    sem = osp.join(gt_dir, f'{stem}_sem.png')
                    seg = sem if osp.isfile(sem) else osp.join(
                        gt_dir, f'{stem}.png')
                    data_list.append(dict(
                        img_path=osp.join(folder, name),
                        img_id=f'{seq}/{name}', video_id=seq, frame_id=pos,
                        frame_number=number, video_length=len(frames),
                        evaluate=pos % self.eval_interval == 0, split=split,
                        seg_map_path=seg, reduce_zero_label=False,
                        seg_fields=[]))
        if keep is not None and keep - found:
            raise FileNotFoundError(
                f'KITTI-STEP sequences {sorted(keep - found)} not found '
                f'under {self.data_root}images/{{{",".join(self.splits)}}}/ '
                '(sequence names are strings such as "0002")')
        return data_list


@TRANSFORMS.register_module()
class LoadStreamSemSeg(BaseTransform):
    """Read ``seg_map_path`` into ``gt_seg_map`` (H, W) uint8 at the size
    of the file (place it after ``Resize`` so the map stays at the original
    resolution). A 3-channel PNG is a KITTI-STEP panoptic map: the semantic
    id is its red channel.
    """

    def transform(self, results: dict) -> dict:
        path = results['seg_map_path']
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: semantic map of frame '
                                    f'{results.get("img_path")} not found')
        seg = np.asarray(Image.open(path))
        if seg.ndim == 3:
            seg = seg[..., 0]  # KITTI-STEP panoptic PNG: R = semantic id
        results['gt_seg_map'] = np.ascontiguousarray(seg).astype(np.uint8)
        results.setdefault('seg_fields', []).append('gt_seg_map')
        return results


@TRANSFORMS.register_module()
class AddEmptyInstances(BaseTransform):
    """Empty ``gt_bboxes`` / ``gt_bboxes_labels`` / ``gt_masks`` /
    ``gt_ignore_flags`` for semantic-only training of a Mask2Former (every
    class a stuff class, read from ``gt_seg_map``; mmdet's head still
    expects ``gt_instances``)."""

    def transform(self, results: dict) -> dict:
        from mmdet.structures.bbox import HorizontalBoxes
        from mmdet.structures.mask import BitmapMasks
        h, w = results['img'].shape[:2]
        results['gt_bboxes'] = HorizontalBoxes(np.zeros((0, 4), np.float32))
        results['gt_bboxes_labels'] = np.zeros((0, ), np.int64)
        results['gt_ignore_flags'] = np.zeros((0, ), bool)
        results['gt_masks'] = BitmapMasks(np.zeros((0, h, w), np.uint8), h, w)
        return results
