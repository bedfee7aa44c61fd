# Copyright (c) mmvidseg contributors. All rights reserved.
"""Loading and packing video panoptic targets (KITTI-STEP / Cityscapes-VPS /
VIPSeg), one frame at a time inside ``TransformBroadcaster``."""
from typing import Dict, Sequence, Tuple

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import PackTrackInputs
from mmdet.structures.mask import BitmapMasks
from mmengine.structures import PixelData

from mmvidseg.evaluation.functional.panoptic_io import (kitti_step_decode,
                                                        read_rgb_png, rgb2id)
from mmvidseg.registry import TRANSFORMS

IGNORE_LABEL = 255


class PanopticFormatError(ValueError):
    """A panoptic PNG disagrees with the category table / segments_info."""


def decode_kitti_step(path: str, num_classes: int,
                      thing_labels: Sequence[int]) -> Tuple[np.ndarray, dict]:
    """KITTI-STEP PNG -> ``(label (H, W), {key: (label, instance, crowd)})``.

    A thing segment is one (semantic id, instance id) pair; key =
    ``label * 65536 + instance`` (stable over a sequence). Instance 0 on a
    thing class is a crowd region.

    Raises:
        PanopticFormatError: naming the file and the semantic ids that are
            neither a class (``< num_classes``) nor void (255).
    """
    sem, inst = kitti_step_decode(read_rgb_png(path))  # (H, W) x 2
    ids = np.unique(sem)
    bad = [int(i) for i in ids if i >= num_classes and i != IGNORE_LABEL]
    if bad:
        raise PanopticFormatError(
            f'{path}: semantic ids {bad} are not in the category table '
            f'(labels 0..{num_classes - 1}, 255 = void); check the dataset '
            'classes (metainfo) against the panoptic maps')
    things = np.isin(sem, np.asarray(list(thing_labels), dtype=np.int64))
    keys = np.where(things, sem * 65536 + inst, -1)
    segments = {}
    for key in np.unique(keys).tolist():
        if key < 0:
            continue
        label, instance = divmod(int(key), 65536)
        segments[key] = (label, instance, instance == 0)
    return sem, dict(keys=keys, segments=segments)


def decode_coco_rgb(path: str, segments_info: Sequence[dict],
                    thing_labels: Sequence[int]) -> Tuple[np.ndarray, dict]:
    """COCO-panoptic RGB PNG + ``segments_info`` (``id``, ``label``,
    ``iscrowd``, ``instance_id``) -> label map and thing segments.

    Raises:
        PanopticFormatError: naming the file and the segment ids present in
            the PNG but missing from the annotation file.
    """
    seg_ids = rgb2id(read_rgb_png(path)).astype(np.int64)  # (H, W)
    info = {int(s['id']): s for s in segments_info}
    present = np.unique(seg_ids).tolist()
    missing = [i for i in present if i != 0 and i not in info]
    if missing:
        raise PanopticFormatError(
            f'{path}: segment ids {missing[:10]} are not in the annotation '
            'file\'s segments_info of this frame (so they have no category); '
            'the PNG and the JSON do not belong together')
    lut_ids = np.asarray([0] + [i for i in present if i != 0], np.int64)
    lut_labels = np.asarray(
        [IGNORE_LABEL] + [info[i]['label'] for i in lut_ids[1:].tolist()],
        np.int64)
    label = lut_labels[np.searchsorted(lut_ids, seg_ids)]  # (H, W)
    segments, keys = {}, np.full(seg_ids.shape, -1, np.int64)
    things = set(int(t) for t in thing_labels)
    for i in lut_ids[1:].tolist():
        s = info[i]
        if s['label'] in things and (s['instance_id'] > 0
                                     or s.get('iscrowd', 0)):
            key = s['instance_id'] if s['instance_id'] > 0 else -2 - i
            keys[seg_ids == i] = key
            segments[key] = (s['label'], s['instance_id'],
                             bool(s.get('iscrowd', 0)))
    return label, dict(keys=keys, segments=segments)


def kitti_step_has_things(path: str, thing_labels: Sequence[int]) -> bool:
    """Whether a KITTI-STEP PNG holds a (non-crowd) thing pixel."""
    sem, inst = kitti_step_decode(read_rgb_png(path))
    things = np.isin(sem, np.asarray(list(thing_labels), dtype=np.int64))
    return bool((things & (inst > 0)).any())


@TRANSFORMS.register_module()
class LoadVideoPanopticAnnotations(BaseTransform):
    """Reads one frame's panoptic PNG into semantic + thing-instance targets.

    Required keys (set by the VPS datasets): ``seg_map_path``,
    ``panoptic_format``, ``num_classes``, ``thing_labels``,
    ``instance_id_base`` and, for ``'coco_rgb'``, ``segments_info``. A frame
    with ``seg_map_path=None`` (no ground truth) is left unchanged.

    Added keys: ``gt_seg_map`` (H, W) uint8 labels, 255 = void;
    ``gt_masks`` (BitmapMasks), ``gt_bboxes`` ((N, 4) float32 xyxy),
    ``gt_bboxes_labels`` (int64, the thing's class label),
    ``gt_instances_ids`` (int64, dataset-wide, >= 1), ``gt_ignore_flags``
    (crowd regions: KITTI-STEP instance 0 on a thing class, ``iscrowd``);
    with ``with_panoptic`` also ``gt_panoptic_seg`` (H, W) int64 = ``label +
    instance * label_divisor`` (void 255, crowd / stuff instance 0) for the
    STQ / VPQ metrics. ``gt_panoptic_seg`` is for evaluation: geometric
    transforms (Resize, RandomFlip, RandomCrop) do not touch it, so it
    stays at the original size.

    Args:
        with_panoptic (bool): Also produce ``gt_panoptic_seg``.
            Defaults to False.
        label_divisor (int): Defaults to 1000 (mmdet).
    """

    def __init__(self, with_panoptic: bool = False,
                 label_divisor: int = 1000) -> None:
        self.with_panoptic = with_panoptic
        self.label_divisor = int(label_divisor)

    def transform(self, results: dict) -> dict:
        path = results.get('seg_map_path')
        if path is None:
            return results
        fmt = results['panoptic_format']
        if fmt == 'kitti_step':
            label, things = decode_kitti_step(path, results['num_classes'],
                                              results['thing_labels'])
        elif fmt == 'coco_rgb':
            label, things = decode_coco_rgb(path, results['segments_info'],
                                            results['thing_labels'])
        else:
            raise ValueError(f'{path}: unknown panoptic_format {fmt!r}; use '
                             '"kitti_step" or "coco_rgb"')
        results['gt_seg_map'] = label.astype(np.uint8)
        self._add_instances(results, things, label.shape)
        if self.with_panoptic:
            results['gt_panoptic_seg'] = self._panoptic(label, things)
        return results

    def _add_instances(self, results: dict, things: dict,
                       shape: Tuple[int, int]) -> None:
        masks, boxes, labels, ids, crowd = [], [], [], [], []
        base = int(results['instance_id_base'])
        for key, (lab, inst, is_crowd) in sorted(things['segments'].items()):
            mask = things['keys'] == key  # (H, W)
            ys, xs = np.nonzero(mask)
            masks.append(mask.astype(np.uint8))
            boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
            labels.append(lab)
            ids.append(base + key if key >= 0 and not is_crowd else 0)
            crowd.append(is_crowd)
        h, w = shape
        results['gt_masks'] = BitmapMasks(
            np.stack(masks) if masks else np.zeros((0, h, w), np.uint8), h, w)
        # numpy boxes as LoadTrackAnnotations (PackTrackInputs needs them;
        # mmdet's transforms autocast them to HorizontalBoxes)
        results['gt_bboxes'] = np.asarray(boxes, np.float32).reshape(-1, 4)
        results['gt_bboxes_labels'] = np.asarray(labels, np.int64)
        results['gt_instances_ids'] = np.asarray(ids, np.int64)
        results['gt_ignore_flags'] = np.asarray(crowd, bool)

    def _panoptic(self, label: np.ndarray, things: dict) -> np.ndarray:
        inst = np.zeros(label.shape, np.int64)
        for key, (_, instance, is_crowd) in things['segments'].items():
            if not is_crowd:
                inst[things['keys'] == key] = instance
        return label.astype(np.int64) + inst * self.label_divisor

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(with_panoptic={self.with_panoptic}, '
                f'label_divisor={self.label_divisor})')


@TRANSFORMS.register_module()
class PackVideoPanopticInputs(PackTrackInputs):
    """mmdet's ``PackTrackInputs`` + per-frame panoptic targets.

    Every frame's ``DetDataSample`` also gets ``gt_sem_seg`` (PixelData,
    ``sem_seg`` (1, H, W) int64, 255 = void) from ``gt_seg_map`` and
    ``gt_panoptic_seg`` (PixelData, ``sem_seg`` (1, H, W) int64) when the
    loader made it. Thing instances are packed by ``PackTrackInputs``
    (``gt_instances`` with ``masks``, ``bboxes``, ``labels``,
    ``instances_ids``; crowd regions in ``ignored_instances``).
    """

    _PIXEL_KEYS: Dict[str, str] = {'gt_seg_map': 'gt_sem_seg',
                                   'gt_panoptic_seg': 'gt_panoptic_seg'}

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        frames = packed['data_samples'].video_data_samples
        for key, field in self._PIXEL_KEYS.items():
            maps = results.get(key)
            if maps is None:
                continue
            for frame, seg in zip(frames, maps):
                if seg is None:
                    continue
                data = torch.from_numpy(
                    np.ascontiguousarray(seg).astype(np.int64))[None]
                frame.set_field(PixelData(sem_seg=data), field)
        return packed
