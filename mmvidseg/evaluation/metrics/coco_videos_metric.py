# Copyright (c) mmvidseg contributors. All rights reserved.
"""COCO-Videos metric of Video-TTT (per-frame AP / PQ, per-video mean)."""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric

from mmvidseg.registry import METRICS
from mmvidseg.structures.masks import encode_masks, rle_area, rle_bboxes
from mmvidseg.structures.refer_sample import (as_int_or_str, gt_masks,
                                              pred_masks_scores, shape_of)
from mmvidseg.structures.video_sample import (flatten, frame_where,
                                              group_by_video, panoptic_map,
                                              require, sample_frames,
                                              to_numpy)
from ..functional.coco_videos import (coco_videos_summary, frame_mask_ap,
                                      frame_pq)


@METRICS.register_module()
class COCOVideosMetric(BaseMetric):
    """Per-frame COCO mask AP or PQ, averaged per video, frame-weighted.

    Re-implements the COCO-Videos protocol of Video-TTT (Wang et al.,
    "Test-Time Training on Video Streams"; ``renwang435/video-ttt-release:
    mask2former/utils/tabulate_results_cv.py`` and the detectron2 COCO /
    panoptic evaluators it runs per frame) through
    :mod:`mmvidseg.evaluation.functional.coco_videos`: every frame is scored
    on its own (AP in percent from ``COCOeval`` ``segm`` stats[0], or PQ in
    percent with the panopticapi definition), per video the mean of its
    frames, overall the mean of the videos weighted by their number of
    scored frames (``weights='official'``: the official table's hard-coded
    lengths).

    Fields read per frame (all at the original resolution ``ori_shape``;
    metainfo ``video_id`` and ``frame_id``):

    * ``task='instance'``: ``pred_instances`` (or ``pred_track_instances``)
      ``masks`` (N, H, W), ``scores`` (N, ), ``labels`` (N, ); ground truth
      ``gt_instances.masks`` + ``labels`` or the metainfo ``instances``
      (``mask``, ``bbox_label``). Category id = label + 1.
    * ``task='panoptic'``: ``pred_panoptic_seg.sem_seg`` and
      ``gt_panoptic_seg.sem_seg`` in mmdet's encoding ``label + instance *
      label_divisor`` (labels outside ``[0, num_classes)`` are void); labels
      below ``num_things`` are things.

    Parity notes: a frame without predictions has AP NaN (detectron2 has no
    AP then), which makes its video's mean NaN, as in the functional code.
    Ground-truth crowd flags are not read (every object counts).

    Args:
        task (str): ``'instance'`` or ``'panoptic'``.
        weights (str, optional): None (scored frames) or ``'official'``.
        num_classes (int, optional): Panoptic classes; default
            ``len(dataset_meta['classes'])``.
        num_things (int, optional): Panoptic thing classes (the first
            labels); default ``len(dataset_meta['thing_classes'])``.
        label_divisor (int): Panoptic encoding divisor. Defaults to 1000.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Defaults to ``'coco_videos'``.
    """

    default_prefix: Optional[str] = 'coco_videos'

    def __init__(self, task: str = 'instance',
                 weights: Optional[str] = None,
                 num_classes: Optional[int] = None,
                 num_things: Optional[int] = None,
                 label_divisor: int = 1000, collect_device: str = 'cpu',
                 prefix: Optional[str] = 'coco_videos') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if task not in ('instance', 'panoptic'):
            raise ValueError("task must be 'instance' or 'panoptic', got "
                             f'{task!r}')
        if weights not in (None, 'official'):
            raise ValueError(f"weights must be None or 'official', got "
                             f'{weights!r}')
        self.task = task
        self.weights = weights
        self.num_classes = num_classes
        self.num_things = num_things
        self.label_divisor = label_divisor

    def _classes(self) -> Tuple[int, int]:
        meta = self.dataset_meta or {}
        num_classes = self.num_classes if self.num_classes is not None else \
            len(meta.get('classes', ()))
        num_things = self.num_things if self.num_things is not None else \
            len(meta.get('thing_classes', ()))
        if not num_classes:
            raise ValueError('COCOVideosMetric(task="panoptic") needs '
                             'num_classes (or dataset_meta["classes"])')
        return num_classes, num_things

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        """Score every frame on its own (AP or PQ) and keep the value."""
        for sample in data_samples:
            records = []
            for i, frame in enumerate(sample_frames(sample)):
                vid = as_int_or_str(require(frame, 'video_id',
                                            'set video_id in the metainfo'))
                fid = frame.get('frame_id')
                fid = i if fid is None else int(as_int_or_str(fid))
                shape = shape_of(frame)
                rec = dict(video_id=vid, frame_id=fid, shape=shape)
                if self.task == 'instance':
                    masks, scores, pred = pred_masks_scores(frame, shape)
                    labels = to_numpy(require(
                        pred, 'labels', 'predictions need labels')).reshape(-1)
                    gt_rles, gt_labels = gt_masks(frame, shape, True)
                    # AP of this frame alone (COCOeval per image): keep the
                    # value, not the masks
                    rec['value'] = _video_ap([dict(
                        shape=shape, preds=encode_masks(masks),
                        scores=scores.tolist(),
                        labels=labels.astype(int).tolist(), gt=gt_rles,
                        gt_labels=gt_labels.tolist())])[0]
                else:  # PQ needs this frame only: keep just the value
                    num_classes, num_things = self._classes()
                    cats = {c: dict(id=c, isthing=int(c < num_things))
                            for c in range(num_classes)}
                    (g_ids, g_segs), (p_ids, p_segs) = (
                        self._panoptic(frame, 'gt_panoptic_seg'),
                        self._panoptic(frame, 'pred_panoptic_seg'))
                    rec['value'] = frame_pq(g_ids, p_ids, g_segs, p_segs,
                                            cats, frame_where(rec))
                records.append(rec)
            self.results.append(records)

    def _panoptic(self, frame: dict, key: str) -> tuple:
        """(H, W) segment ids (0 = void) and ``segments_info``."""
        num_classes, num_things = self._classes()
        label, instance, void = panoptic_map(frame, key, num_classes,
                                             self.label_divisor)
        code = np.where(void, -1, label * (1 << 20) + instance)
        uniq, inv = np.unique(code, return_inverse=True)
        ids = (inv.reshape(code.shape) + 1).astype(np.int32)  # (H, W)
        segments = []
        for k, c in enumerate(uniq.tolist()):
            if c < 0:
                ids[ids == k + 1] = 0
                continue
            lab = c >> 20
            segments.append(dict(id=k + 1, category_id=int(lab), iscrowd=0,
                                 isthing=int(lab < num_things)))
        return ids, segments

    def compute_metrics(self, results: list) -> Dict[str, float]:
        per_video: Dict[Any, List[float]] = {}
        for vid, frames in group_by_video(flatten(results)).items():
            per_video[str(vid)] = [f['value'] for f in frames]
        summary = coco_videos_summary(per_video, self.weights)
        out = {'overall': summary['overall']}
        out.update({f'{v}': m for v, m in summary['per_video'].items()})
        return out


def _video_ap(frames: List[dict]) -> List[float]:
    """AP per frame (image id = position in ``frames``), as
    :func:`mmvidseg.evaluation.functional.coco_videos.frame_mask_ap`."""
    gt = dict(images=[], annotations=[], categories=[])
    preds, cats = [], set()
    for img_id, f in enumerate(frames):
        h, w = f['shape']
        gt['images'].append(dict(id=img_id, height=h, width=w))
        for rle, lab in zip(f['gt'], f['gt_labels']):
            gt['annotations'].append(dict(
                id=len(gt['annotations']) + 1, image_id=img_id,
                category_id=lab + 1, iscrowd=0, segmentation=rle,
                area=float(rle_area(rle)),
                bbox=rle_bboxes([rle])[0].tolist()))
            cats.add(lab + 1)
        for rle, s, lab in zip(f['preds'], f['scores'], f['labels']):
            preds.append(dict(image_id=img_id, category_id=lab + 1,
                              segmentation=rle, score=s))
            cats.add(lab + 1)
    gt['categories'] = [dict(id=c, name=str(c)) for c in sorted(cats)]
    values = frame_mask_ap(gt, preds)
    return [values[i] for i in range(len(frames))]
