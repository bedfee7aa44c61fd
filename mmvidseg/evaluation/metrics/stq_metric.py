# Copyright (c) mmvidseg contributors. All rights reserved.
"""STQ (KITTI-STEP / VIPSeg) as an mmengine metric."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmvidseg.registry import METRICS
from mmvidseg.structures.video_sample import (FrameOrder, flatten,
                                              frame_file_stem, frame_where,
                                              group_by_video, panoptic_map,
                                              sample_frames)
from ..functional.panoptic_io import kitti_step_encode, write_png
from ..functional.stq import STQuality

# wide enough for mmdet's largest instance id (2**31 // 1000 < 2**22)
_BIT_SHIFT = 22


def thing_labels(dataset_meta: Optional[dict],
                 things: Optional[Sequence[int]], name: str) -> List[int]:
    """Thing labels from the argument or ``dataset_meta['thing_classes']``."""
    if things is not None:
        return [int(t) for t in things]
    meta = dataset_meta or {}
    if 'thing_classes' in meta and 'classes' in meta:
        thing_names = set(meta['thing_classes'])
        return [i for i, c in enumerate(meta['classes']) if c in thing_names]
    raise ValueError(f'{name} needs the thing classes: pass things=[label, '
                     '...] or give the dataset metainfo "classes" and '
                     '"thing_classes"')


def class_count(dataset_meta: Optional[dict], num_classes: Optional[int],
                name: str) -> int:
    """``num_classes`` or ``len(dataset_meta['classes'])``."""
    if num_classes is not None:
        return int(num_classes)
    classes = (dataset_meta or {}).get('classes')
    if classes is None:
        raise ValueError(f'{name} needs num_classes or dataset_meta '
                         '"classes"')
    return len(classes)


@METRICS.register_module()
class STQMetric(BaseMetric):
    """Segmentation and Tracking Quality (STQ = sqrt(AQ x SQ)) of videos.

    Adapter of :class:`mmvidseg.evaluation.functional.stq.STQuality`, which
    re-implements ``google-research/deeplab2: evaluation/numpy/
    segmentation_and_tracking_quality.py`` (Weber et al., "STEP: Segmenting
    and Tracking Every Pixel", NeurIPS 2021 D&B). One sequence per
    ``video_id``; AQ is pooled over all GT tubes of all videos and SQ is the
    class IoU of the confusion matrix summed over all frames, exactly as
    the official evaluation of KITTI-STEP / VIPSeg.

    Expected data-sample fields, per frame (``DetDataSample`` s, directly or
    as ``video_data_samples`` of a ``TrackDataSample``):

    * ``video_id``, ``frame_id`` (index in the video);
    * ``pred_panoptic_seg.sem_seg`` and ``gt_panoptic_seg.sem_seg``:
      ``(1, H, W)`` integer maps in mmdet's panoptic encoding ``label +
      instance_id * label_divisor`` (``INSTANCE_OFFSET = 1000``), with
      0-based class labels; a label ``>= num_classes`` (mmdet's
      ``num_classes``, or 255) is void. Thing pixels carry the track id
      (``>= 1``, stable over the video); a GT thing pixel with instance 0
      is crowd and excluded from AQ; stuff instance ids are ignored. Frames
      without ``gt_panoptic_seg`` are not scored.
    * ``img_path`` (optional): names the submission PNG.

    Per-frame statistics (confusion matrix, tube areas) are computed in
    :meth:`process`, so memory does not grow with the resolution.

    Deviation: predicted void pixels are label ``num_classes`` (mmdet)
    instead of 255; as upstream, valid GT pixels predicted as void add a
    "void" class of IoU 0 to SQ.

    Args:
        num_classes (int, optional): Number of classes. Defaults to
            ``len(dataset_meta['classes'])``.
        things (Sequence[int], optional): Thing labels. Defaults to the
            labels of ``dataset_meta['thing_classes']``.
        label_divisor (int): Divisor of the panoptic encoding. Defaults to
            1000 (mmdet's ``INSTANCE_OFFSET``).
        outfile_prefix (str, optional): Writes KITTI-STEP PNGs
            ``<outfile_prefix>/<video_id>/<frame>.png`` (R = label, 255 =
            void, G * 256 + B = instance id), the layout the official
            evaluation and server read. Defaults to None.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Defaults to ``'stq'``.
    """

    default_prefix: Optional[str] = 'stq'

    def __init__(self,
                 num_classes: Optional[int] = None,
                 things: Optional[Sequence[int]] = None,
                 label_divisor: int = 1000,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.num_classes = num_classes
        self.things = things
        self.label_divisor = int(label_divisor)
        self.outfile_prefix = outfile_prefix
        self._order = FrameOrder()
        self._quality: Optional[STQuality] = None

    def _new_quality(self) -> STQuality:
        n = class_count(self.dataset_meta, self.num_classes, 'STQMetric')
        return STQuality(n, thing_labels(self.dataset_meta, self.things,
                                         'STQMetric'), n, _BIT_SHIFT,
                         (n + 1) << _BIT_SHIFT)

    def _decode(self, frame: dict, key: str, n: int) -> tuple:
        label, inst, _ = panoptic_map(frame, key, n, self.label_divisor)
        if inst.size and int(inst.max()) >= (1 << _BIT_SHIFT):
            raise ValueError(f'{frame_where(frame)}: {key} instance id '
                             f'{int(inst.max())} >= 2**{_BIT_SHIFT}')
        return label, inst

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        """Computes each scored frame's STQ statistics.

        Args:
            data_batch (dict): Unused.
            data_samples (Sequence): Frame or video data samples (see the
                class docstring).
        """
        if self._quality is None:  # dataset_meta is known from here on
            self._quality = self._new_quality()
        quality = self._quality
        n = quality.num_classes
        for sample in data_samples:
            records = []
            for frame in sample_frames(sample):
                frame['frame_id'] = self._order.frame_id(frame)
                label, inst = self._decode(frame, 'pred_panoptic_seg', n)
                if self.outfile_prefix is not None:
                    self._write(frame, label, inst, n)
                if frame.get('gt_panoptic_seg') is None:
                    continue
                gt_label, gt_inst = self._decode(frame, 'gt_panoptic_seg', n)
                if gt_label.shape != label.shape:
                    raise ValueError(
                        f'{frame_where(frame)}: pred_panoptic_seg is '
                        f'{label.shape}, gt_panoptic_seg {gt_label.shape}; '
                        'predict at the original size')
                records.append(dict(
                    video_id=frame['video_id'], frame_id=frame['frame_id'],
                    stats=quality.frame_statistics_parts(
                        gt_label, gt_inst, label, inst, frame_where(frame))))
            self.results.append(records)

    def _write(self, frame: dict, label: np.ndarray, inst: np.ndarray,
               n: int) -> None:
        label = np.where(label >= n, 255, label)
        path = osp.join(self.outfile_prefix, str(frame['video_id']),
                        frame_file_stem(frame) + '.png')
        write_png(path, kitti_step_encode(label, inst))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """STQ, AQ, SQ over all videos (+ per video in the log).

        Args:
            results (list): Per-frame statistics from all ranks.

        Returns:
            dict[str, float]: ``STQ``, ``AQ``, ``SQ`` in [0, 1].
        """
        quality = self._new_quality()
        for vid, frames in group_by_video(flatten(results)).items():
            for rec in frames:
                quality.add_statistics(rec['stats'], vid)
        res = quality.result()
        logger = MMLogger.get_current_instance()
        for vid, stq, aq, iou in zip(res['ID_per_seq'], res['STQ_per_seq'],
                                     res['AQ_per_seq'], res['IoU_per_seq']):
            logger.info(f'STQ video {vid}: STQ {stq:.4f} AQ {aq:.4f} '
                        f'SQ {iou:.4f}')
        if self.outfile_prefix is not None:
            logger.info(f'KITTI-STEP PNGs written to {self.outfile_prefix}')
        return dict(STQ=res['STQ'], AQ=res['AQ'], SQ=res['IoU'])
