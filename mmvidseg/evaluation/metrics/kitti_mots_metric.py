# Copyright (c) mmvidseg contributors. All rights reserved.
"""KITTI-MOTS (sMOTSA, MOTSA, MOTSP, IDS, HOTA) as an mmengine metric."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmvidseg.registry import METRICS
from mmvidseg.structures.masks import encode_masks
from mmvidseg.structures.video_sample import (FrameOrder, flatten, frame_shape,
                                              frame_where, group_by_video,
                                              gt_instances, masks_hw, require,
                                              sample_frames, to_numpy)
from ..functional.mots import IGNORE_CLASS, evaluate_mots
from ..functional.mots_hota import evaluate_mots_hota
from ..functional.panoptic_io import write_mots_txt
from ..functional.stemseg_outputs import (kitti_mots_frame_objects,
                                          kitti_mots_numbers,
                                          kitti_mots_postprocess)


def non_overlapping(masks: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Gives each pixel to the highest-scoring mask covering it.

    Args:
        masks: ``(N, H, W)`` bool.
        scores: ``(N,)``.

    Returns:
        np.ndarray: ``(N, H, W)`` bool masks that do not overlap.
    """
    if len(masks) < 2:
        return masks
    order = np.argsort(-scores, kind='stable')
    taken = np.zeros(masks.shape[1:], bool)
    out = np.zeros_like(masks)
    for i in order.tolist():
        out[i] = masks[i] & ~taken
        taken |= masks[i]
    return out


def pred_objects(frame: dict, class_ids: Sequence[int], score_thr: float,
                 shape: tuple) -> List[dict]:
    """``pred_track_instances`` of a frame as MOTS objects (no overlaps)."""
    where = frame_where(frame)
    pred = require(frame, 'pred_track_instances', 'the model must return '
                   'tracked instances (masks, labels, scores, instances_id)')
    for key in ('masks', 'labels', 'scores', 'instances_id'):
        require(pred, key, f'pred_track_instances needs "{key}"')
    masks = masks_hw(pred['masks'], where, 'pred_track_instances.masks',
                     shape)
    labels = to_numpy(pred['labels']).astype(np.int64).reshape(-1)
    scores = to_numpy(pred['scores']).astype(np.float64).reshape(-1)
    ids = to_numpy(pred['instances_id']).astype(np.int64).reshape(-1)
    if not len(labels) == len(scores) == len(ids) == len(masks):
        raise ValueError(f'{where}: pred_track_instances fields have '
                         f'lengths masks {len(masks)}, labels {len(labels)}, '
                         f'scores {len(scores)}, instances_id {len(ids)}')
    if len(set(ids.tolist())) != len(ids):
        raise ValueError(f'{where}: pred_track_instances.instances_id has '
                         f'duplicates {ids.tolist()}; ids must be unique '
                         'per frame')
    if len(labels) and (labels.min() < 0 or labels.max() >= len(class_ids)):
        raise ValueError(f'{where}: predicted labels {labels.tolist()} '
                         f'outside [0, {len(class_ids)}) of class_ids')
    keep = scores >= score_thr
    masks, labels, scores, ids = masks[keep], labels[keep], scores[keep], \
        ids[keep]
    masks = non_overlapping(masks, scores)
    nonempty = masks.reshape(len(masks), -1).any(1)
    return [dict(track_id=int(i), class_id=int(class_ids[lab]), rle=rle)
            for i, lab, rle in zip(ids[nonempty].tolist(),
                                   labels[nonempty].tolist(),
                                   encode_masks(masks[nonempty]))]


def stemseg_objects(frame: dict, class_ids: Sequence[int],
                    shape: tuple) -> List[dict]:
    """``pred_track_instances`` of a frame as STEm-Seg's reference writer
    makes MOTS objects (all tracks of the video, ``lifetimes`` given)."""
    where = frame_where(frame)
    pred = require(frame, 'pred_track_instances', 'the model must return '
                   'tracked instances')
    for key in ('masks', 'labels', 'instances_id', 'lifetimes'):
        require(pred, key, f'pred_format="stemseg" needs "{key}" in '
                'pred_track_instances (STEm-Seg predicts it)')
    masks = masks_hw(pred['masks'], where, 'pred_track_instances.masks',
                     shape)
    labels = to_numpy(pred['labels']).astype(np.int64).reshape(-1)
    ids = to_numpy(pred['instances_id']).astype(np.int64).reshape(-1)
    lifetimes = to_numpy(pred['lifetimes']).astype(np.int64).reshape(-1)
    if len(labels) and (labels.min() < 0 or labels.max() >= len(class_ids)):
        raise ValueError(f'{where}: predicted labels {labels.tolist()} '
                         f'outside [0, {len(class_ids)}) of class_ids')
    objs = kitti_mots_frame_objects(masks, ids.tolist(), labels.tolist(),
                                    class_ids,
                                    kitti_mots_numbers(lifetimes.tolist()))
    return [dict(track_id=o['track_id'], class_id=o['class_id'],
                 rle=o['rle']) for o in objs]


@METRICS.register_module()
class KITTIMOTSMetric(BaseMetric):
    """KITTI-MOTS CLEAR-MOTS metrics (sMOTSA ...) and HOTA per class.

    Adapter of :func:`mmvidseg.evaluation.functional.mots.evaluate_mots`
    (re-implements ``VisualComputingInstitute/mots_tools:
    mots_eval/MOTS_metrics.py``; Voigtlaender et al., "MOTS: Multi-Object
    Tracking and Segmentation", CVPR 2019) and of
    :func:`mmvidseg.evaluation.functional.mots_hota.evaluate_mots_hota`
    (TrackEval ``kitti_mots`` HOTA). One sequence per ``video_id``,
    counters summed over sequences per class, as the official tools.

    Expected data-sample fields per frame: ``video_id``, ``frame_id``,
    ``ori_shape``; ``pred_track_instances`` with ``masks`` ``(N, H, W)`` at
    the original size, ``labels`` (0-based), ``scores`` and
    ``instances_id`` (track id, unique per frame); ground truth in
    ``gt_instances`` (``masks``, ``labels``, ``instances_id``, optional
    ``ignore_flags``) or the metainfo ``instances`` (``mask``,
    ``bbox_label``, ``instance_id``, ``ignore_flag``). Labels map to KITTI
    class ids through ``class_ids`` (default car = 1, pedestrian = 2); GT
    instances with an ignore flag, or whose label maps to 10, are the
    frame's ignore regions.

    Deliberate deviation: the official format forbids overlapping masks, so
    each pixel goes to the highest-scoring prediction covering it, and
    predictions left empty are dropped (the official tool aborts instead).

    With ``pred_format='stemseg'`` the predictions are turned into MOTS
    objects as STEm-Seg's reference writer does
    (:mod:`mmvidseg.evaluation.functional.stemseg_outputs`): every frame
    carries all tracks of the video, ``pred_track_instances.lifetimes``
    ranks them (numbered 1..K by ascending lifetime, object id
    ``class_id * 1000 + number``), overlapping pixels go to the largest raw
    ``instances_id``, and with ``postprocess=True`` the reference's
    ``results_nms`` filters (area, area ratio, time breaks, track length)
    are applied per sequence before scoring and writing.

    Args:
        metric (str | list[str]): ``'clear'`` (sMOTSA, MOTSA, MOTSP, IDS)
            and / or ``'hota'`` (HOTA, DetA, AssA, LocA). Defaults to both.
        class_ids (Sequence[int]): KITTI class id of each label.
        score_thr (float): Predictions below are dropped. Defaults to 0.
        pred_format (str): ``'score'`` or ``'stemseg'`` (see above).
        postprocess (bool): ``'stemseg'`` only: apply the reference's
            ``results_nms`` filters. Defaults to True.
        outfile_prefix (str, optional): Writes ``<prefix>/<seq>.txt`` per
            video (``frame track_id class_id h w rle``), the format of the
            official tools and server. Defaults to None.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Defaults to ``'kitti_mots'``.
    """

    default_prefix: Optional[str] = 'kitti_mots'
    CLASS_NAMES = {1: 'cars', 2: 'pedestrians'}

    def __init__(self,
                 metric: Union[str, Sequence[str]] = ('clear', 'hota'),
                 class_ids: Sequence[int] = (1, 2),
                 score_thr: float = 0.0,
                 pred_format: str = 'score',
                 postprocess: bool = True,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.metrics = [metric] if isinstance(metric, str) else list(metric)
        for name in self.metrics:
            if name not in ('clear', 'hota'):
                raise KeyError(f"metric must be 'clear' or 'hota', got "
                               f'{name!r}')
        self.class_ids = [int(c) for c in class_ids]
        self.score_thr = float(score_thr)
        if pred_format not in ('score', 'stemseg'):
            raise ValueError("pred_format must be 'score' or 'stemseg', got "
                             f'{pred_format!r}')
        self.pred_format = pred_format
        self.postprocess = postprocess
        self.outfile_prefix = outfile_prefix
        self._order = FrameOrder()

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        """Encodes each frame's predictions and GT as MOTS objects (RLE).

        Args:
            data_batch (dict): Unused.
            data_samples (Sequence): Frame or video data samples.
        """
        for sample in data_samples:
            self.results.append([self._frame_record(frame)
                                 for frame in sample_frames(sample)])

    def _frame_record(self, frame: dict) -> dict:
        frame['frame_id'] = self._order.frame_id(frame)
        shape = frame_shape(frame)
        gts = []
        for obj in gt_instances(frame, shape):
            if obj['label'] < 0 or obj['label'] >= len(self.class_ids):
                raise ValueError(f'{frame_where(frame)}: GT label '
                                 f'{obj["label"]} has no entry in class_ids '
                                 f'{self.class_ids}')
            cls = self.class_ids[obj['label']]
            gts.append(dict(track_id=obj['instance_id'],
                            class_id=IGNORE_CLASS if obj['ignore'] else cls,
                            rle=obj['rle']))
        if self.pred_format == 'stemseg':
            pred = stemseg_objects(frame, self.class_ids, shape)
        else:
            pred = pred_objects(frame, self.class_ids, self.score_thr, shape)
        return dict(video_id=frame['video_id'], frame_id=frame['frame_id'],
                    gt=gts, pred=pred)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Per-class metrics over all sequences (fractions, not percent).

        Args:
            results (list): Per-frame records from all ranks.

        Returns:
            dict[str, float]: ``sMOTSA_cars``, ``MOTSA_cars``,
            ``MOTSP_cars``, ``IDS_cars``, ``HOTA_cars``, ``DetA_cars``,
            ``AssA_cars``, ``LocA_cars`` and the same for pedestrians.
        """
        gt, pred, max_frames = {}, {}, {}
        for vid, frames in group_by_video(flatten(results)).items():
            seq = f'{vid:04d}' if isinstance(vid, int) else str(vid)
            gt[seq] = {r['frame_id']: r['gt'] for r in frames}
            pred[seq] = {r['frame_id']: r['pred'] for r in frames}
            if self.pred_format == 'stemseg' and self.postprocess:
                kept = kitti_mots_postprocess(
                    {t: objs for t, objs in pred[seq].items() if objs})
                pred[seq] = {t: kept.get(t, []) for t in pred[seq]}
            max_frames[seq] = max(r['frame_id'] for r in frames)
        if self.outfile_prefix is not None:
            for seq, frames in pred.items():
                write_mots_txt(osp.join(self.outfile_prefix, seq + '.txt'),
                               frames)
            MMLogger.get_current_instance().info(
                f'KITTI-MOTS txt files written to {self.outfile_prefix}')
        classes = {self.CLASS_NAMES.get(c, f'class{c}'): c
                   for c in dict.fromkeys(self.class_ids)
                   if c != IGNORE_CLASS}
        out: Dict[str, float] = {}
        if 'clear' in self.metrics:
            res = evaluate_mots(gt, pred, max_frames, classes)
            for name, values in res.items():
                for key in ('sMOTSA', 'MOTSA', 'MOTSP', 'IDS'):
                    out[f'{key}_{name}'] = float(values[key])
        if 'hota' in self.metrics:
            res = evaluate_mots_hota(gt, pred, max_frames, classes)
            for name, values in res.items():
                for key in ('HOTA', 'DetA', 'AssA', 'LocA'):
                    out[f'{key}_{name}'] = float(values[key])
        return out
