# Copyright (c) mmvidseg contributors. All rights reserved.
"""KITTI-MOTS read from the official txt annotations::

    <root>/training/image_02/<seq %04d>/<frame %06d>.png
    <root>/instances_txt/<seq %04d>.txt
    <root>/{train,val}.seqmap          (optional sequence lists)

txt lines ``frame obj_id class_id img_height img_width rle`` (format of
``VisualComputingInstitute/mots_tools: mots_common/io.py``), with
``obj_id = class_id * 1000 + instance``, class 1 = car, 2 = pedestrian,
10 = ignore region.
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

from .base_video_dataset import BaseVideoDataset
from PIL import Image

from mmvidseg.registry import DATASETS
from mmvidseg.structures.masks import check_rle_counts
from ._instance_utils import (DatasetFormatError, InstanceIdMap,
                              check_mask_format, drop_empty_frames,
                              make_instance, split_videos)

KITTI_MOTS_IGNORE_CLASS = 10
# The official train / val split (mots_tools: mots_eval/val.seqmap).
KITTI_MOTS_VAL_SEQS = ('0002', '0006', '0007', '0008', '0010', '0013',
                       '0014', '0016', '0018')
KITTI_MOTS_TRAIN_SEQS = ('0000', '0001', '0003', '0004', '0005', '0009',
                         '0011', '0012', '0015', '0017', '0019', '0020')


def read_seqmap(path: str) -> List[str]:
    """Sequence names of a ``<seq> empty <first> <last>`` seqmap file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: seqmap not found')
    with open(path) as f:
        return [line.split()[0] for line in f if line.strip()]


def parse_mots_txt(path: str) -> Dict[int, List[dict]]:
    """``{frame: [{obj_id, class_id, rle}]}`` of one sequence's txt file.

    Raises:
        DatasetFormatError: naming the file and line of a malformed line, an
            ``obj_id`` repeated within a frame, a class id that disagrees
            with ``obj_id // 1000`` or a size that varies.
    """
    frames: Dict[int, List[dict]] = {}
    size = None
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            fields = line.split()
            if not fields:
                continue
            where = f'{path}:{line_no}'
            if len(fields) != 6:
                raise DatasetFormatError(
                    f'{where}: expected 6 fields "frame obj_id class_id '
                    f'img_height img_width rle", got {len(fields)}')
            try:
                t, obj_id, class_id, h, w = (int(x) for x in fields[:5])
            except ValueError:
                raise DatasetFormatError(
                    f'{where}: the first 5 fields must be integers') from None
            if obj_id // 1000 != class_id and obj_id != \
                    KITTI_MOTS_IGNORE_CLASS * 1000:
                raise DatasetFormatError(
                    f'{where}: obj_id {obj_id} does not encode class_id '
                    f'{class_id} (obj_id = class_id * 1000 + instance)')
            if size is not None and size != (h, w):
                raise DatasetFormatError(
                    f'{where} (frame {t}): image size {(h, w)} differs from '
                    f'{size} of earlier lines')
            size = (h, w)
            objs = frames.setdefault(t, [])
            if any(o['obj_id'] == obj_id for o in objs):
                raise DatasetFormatError(
                    f'{where}: frame {t} lists obj_id {obj_id} twice')
            objs.append(dict(obj_id=obj_id, class_id=class_id,
                             rle=dict(size=[h, w], counts=fields[5])))
    return frames


@DATASETS.register_module()
class KITTIMOTSDataset(BaseVideoDataset):
    """KITTI-MOTS multi-object tracking and segmentation.

    One item per sequence (``BaseVideoDataset`` layout, see
    :mod:`._instance_utils`). Objects of ``class_ids`` become instances with
    ``bbox_label`` = index in ``class_ids``; class 10 (ignore regions)
    becomes an instance with ``ignore_flag=1`` and ``bbox_label`` -1 (packed
    into ``ignored_instances``); other classes are skipped. ``instance_id``
    is unique over the dataset (>= 1).

    Training (``test_mode=False``) splits sequences as STEm-Seg's
    ``MOTSDataLoader`` (``sabarim/STEm-Seg: stemseg/data/mots_data_loader.py``)
    when ``split_gap`` is set (default 6): frames without a car / pedestrian
    are dropped, and ``split_gap`` consecutive such frames end a piece; the
    pieces are videos named ``<seq>_<k>``. Test mode keeps every frame of
    every sequence.

    Args:
        data_root (str): KITTI-MOTS root.
        ann_file (str): A seqmap file (``val.seqmap``); empty to use
            ``sequences``.
        sequences (Sequence[str], optional): Sequence names (default: the
            official train split, or val in test mode).
        img_dir (str): Frame folder under ``data_root``.
        txt_dir (str): Annotation folder under ``data_root``.
        class_ids (Sequence[int]): KITTI class ids in label order (car = 1,
            pedestrian = 2).
        split_gap (int, optional): Empty-frame run that splits sequences in
            training; None keeps sequences whole (empty frames still go).
        mask_format (str): ``'rle'`` or ``'bitmap'``.
        **kwargs: ``BaseVideoDataset`` arguments.
    """

    METAINFO = dict(classes=('car', 'pedestrian'))

    def __init__(self,
                 data_root: str = '',
                 ann_file: str = '',
                 sequences: Optional[Sequence[str]] = None,
                 img_dir: str = 'training/image_02',
                 txt_dir: str = 'instances_txt',
                 class_ids: Sequence[int] = (1, 2),
                 split_gap: Optional[int] = 6,
                 mask_format: str = 'rle',
                 **kwargs) -> None:
        check_mask_format(mask_format)
        if KITTI_MOTS_IGNORE_CLASS in class_ids:
            raise ValueError(f'class_ids {list(class_ids)} must not contain '
                             f'the ignore class {KITTI_MOTS_IGNORE_CLASS}')
        self.sequences = list(sequences) if sequences is not None else None
        self.img_dir = img_dir
        self.txt_dir = txt_dir
        self.class_ids = [int(c) for c in class_ids]
        self.split_gap = split_gap
        self.mask_format = mask_format
        super().__init__(data_root=data_root, ann_file=ann_file, **kwargs)
        if len(self.metainfo['classes']) != len(self.class_ids):
            raise ValueError(
                f'{len(self.metainfo["classes"])} classes '
                f'{self.metainfo["classes"]} but {len(self.class_ids)} '
                f'class_ids {self.class_ids}; give one id per class')

    def _sequence_names(self) -> List[str]:
        if self.ann_file:
            return read_seqmap(self.ann_file)
        if self.sequences is not None:
            return self.sequences
        return list(KITTI_MOTS_VAL_SEQS if self.test_mode else
                    KITTI_MOTS_TRAIN_SEQS)

    def load_data_list(self) -> List[dict]:
        """One dict per sequence (pieces of sequences in training)."""
        ids = InstanceIdMap()
        videos = [self._load_sequence(vid, name, ids)
                  for vid, name in enumerate(self._sequence_names())]
        if self.test_mode or self.split_gap is None:
            return videos
        return split_videos(videos, self.split_gap)

    def _load_sequence(self, vid: int, name: str, ids: InstanceIdMap) -> dict:
        txt = osp.join(self.data_root, self.txt_dir, f'{name}.txt')
        img_dir = osp.join(self.data_root, self.img_dir, name)
        if not osp.isfile(txt):
            raise DatasetFormatError(f'sequence {name!r}: annotation file '
                                     f'{txt} not found')
        if not osp.isdir(img_dir):
            raise DatasetFormatError(f'sequence {name!r}: frame folder '
                                     f'{img_dir} not found')
        frames = sorted(f for f in os.listdir(img_dir)
                        if f.endswith(('.png', '.jpg')))
        anns = parse_mots_txt(txt)
        frame_ids = [int(osp.splitext(f)[0]) for f in frames]
        unknown = sorted(set(anns) - set(frame_ids))
        if unknown:
            raise DatasetFormatError(
                f'{txt}: frames {unknown[:5]} have annotations but no image '
                f'in {img_dir}')
        images = []
        for t, (file_name, frame_no) in enumerate(zip(frames, frame_ids)):
            instances = []
            for obj in anns.get(frame_no, []):
                where = f'{txt}: frame {frame_no} obj_id {obj["obj_id"]}'
                inst = self._instance(obj, name, ids, where)
                if inst is not None:
                    instances.append(inst)
            h, w = (anns[min(anns)][0]['rle']['size'] if anns else (0, 0))
            images.append(dict(img_path=osp.join(img_dir, file_name),
                               img_id=vid * 100000 + t, frame_id=t,
                               video_id=vid, video_name=name,
                               height=h, width=w,
                               file_name=f'{name}/{file_name}',
                               instances=instances))
        if not anns:
            with Image.open(images[0]['img_path']) as img:
                for f in images:
                    f.update(height=img.height, width=img.width)
        return dict(video_id=vid, video_name=name, video_length=len(images),
                    images=images)

    def _instance(self, obj: dict, name: str, ids: InstanceIdMap,
                  where: str) -> Optional[dict]:
        ignore = obj['class_id'] == KITTI_MOTS_IGNORE_CLASS
        if not ignore and obj['class_id'] not in self.class_ids:
            return None
        label = -1 if ignore else self.class_ids.index(obj['class_id'])
        check_rle_counts(obj['rle']['counts'], *obj['rle']['size'], where,
                         DatasetFormatError)
        return make_instance(obj['rle'], label, ids(name, obj['obj_id']),
                             ignore, self.mask_format)

    def filter_data(self) -> List[dict]:
        """Training drops frames without a car / pedestrian (as STEm-Seg);
        test mode keeps everything."""
        if self.test_mode:
            return self.data_list
        kept = drop_empty_frames(self.data_list, 1)
        if not kept:
            raise DatasetFormatError(
                f'{self.data_root}: no frame with a car / pedestrian '
                f'(class_ids {self.class_ids}); nothing to train on')
        return kept
