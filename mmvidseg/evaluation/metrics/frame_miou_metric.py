# Copyright (c) mmvidseg contributors. All rights reserved.
"""Per-frame semantic mIoU of Video-TTT (KITTI-STEP), per video and split."""
from typing import Any, Dict, List, Optional, Sequence

from mmengine.evaluator import BaseMetric

from mmvidseg.registry import METRICS
from mmvidseg.structures.video_sample import (flatten, frame_where,
                                              require, sample_frames,
                                              to_numpy)
from ..functional.frame_miou import (KITTI_STEP_LENGTHS, frame_miou,
                                     weighted_video_mean)


@METRICS.register_module()
class FrameMIoUMetric(BaseMetric):
    """Semantic mIoU per frame, per-video mean, frame-weighted per split.

    Re-implements the KITTI-STEP protocol of Video-TTT (Wang et al.,
    "Test-Time Training on Video Streams"; ``renwang435/video-ttt-release:
    mask2former/utils/tabulate_results.py`` over detectron2
    ``SemSegEvaluator`` run per frame) via
    :func:`mmvidseg.evaluation.functional.frame_miou.frame_miou`. Reads
    ``pred_sem_seg.sem_seg`` and ``gt_sem_seg.sem_seg`` (original
    resolution) and the metainfo ``video_id``, ``frame_id`` and ``split``.
    Results: ``<split>/overall`` (videos weighted by their frame count, or
    by the official table's lengths with ``weights='official'``) and
    ``<split>/<video>`` per-video means; frames without a split are in
    ``all``.

    Args:
        num_classes (int, optional): Default ``len(dataset_meta['classes'])``
            (19 for KITTI-STEP).
        ignore_index (int): Defaults to 255.
        weights (str, optional): None (frames scored) or ``'official'``.
    """

    default_prefix: Optional[str] = 'ttt_semseg'

    def __init__(self, num_classes: Optional[int] = None,
                 ignore_index: int = 255, weights: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if weights not in (None, 'official'):
            raise ValueError(f"weights must be None or 'official', got "
                             f'{weights!r}')
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.weights = weights

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        num_classes = self.num_classes or len(
            (self.dataset_meta or {}).get('classes', ()))
        if not num_classes:
            raise ValueError('FrameMIoUMetric needs num_classes (or '
                             'dataset_meta["classes"])')
        for sample in data_samples:
            records = []
            for frame in sample_frames(sample):
                where = frame_where(frame)
                pred = require(frame, 'pred_sem_seg', 'the model must fill '
                               'pred_sem_seg (semantic_on)')
                gt = require(frame, 'gt_sem_seg', 'load the semantic map '
                             '(LoadStreamSemSeg) and pack it')
                p = to_numpy(_sem(pred)).reshape(to_numpy(_sem(gt)).shape)
                records.append(dict(
                    video_id=str(frame.get('video_id')),
                    frame_id=frame.get('frame_id'),
                    split=frame.get('split') or 'all',
                    value=frame_miou(to_numpy(_sem(gt)), p, num_classes,
                                     self.ignore_index, where)))
            self.results.append(records)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        by_split: Dict[str, Dict[str, List[float]]] = {}
        for rec in flatten(results):
            by_split.setdefault(rec['split'], {}).setdefault(
                rec['video_id'], []).append(rec['value'])
        out: Dict[str, float] = {}
        for split, per_video in by_split.items():
            weights = None
            if self.weights == 'official':
                missing = set(per_video) - set(KITTI_STEP_LENGTHS)
                if missing:
                    raise KeyError(f'sequences {sorted(missing)} have no '
                                   'official length')
                weights = KITTI_STEP_LENGTHS
            summary = weighted_video_mean(per_video, weights)
            out[f'{split}/overall'] = summary['overall']
            out.update({f'{split}/{v}': m
                        for v, m in summary['per_video'].items()})
        return out


def _sem(field: Any) -> Any:
    data = field.get('sem_seg') if isinstance(field, dict) else getattr(
        field, 'sem_seg', None)
    if data is None:
        raise KeyError('a semantic field has no "sem_seg" map')
    return data
