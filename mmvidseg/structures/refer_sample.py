# Copyright (c) mmvidseg contributors. All rights reserved.
"""Reading referring-segmentation predictions / ground truth from samples.

Shared by :class:`ReferMetric`, :class:`ReferJFMetric` and
:class:`COCOVideosMetric`. A data sample is a ``TrackDataSample`` (or its
dict) holding ``video_data_samples`` (one per frame), or one frame's
``DetDataSample`` (or dict).

Fields read per frame:

* metainfo ``video_id`` (required), ``frame_id`` (index in the video;
  arrival order when missing), ``exp_id`` (expression id, referring only),
  ``ori_shape`` (original ``(H, W)``, required), optional ``img_path``
  (frame file name) and ``image_id``;
* predictions: ``pred_instances`` or ``pred_track_instances`` with
  ``masks`` (N, H, W) at the original resolution and ``scores`` (N, );
  optional ``labels`` (N, ) and ``instances_id`` (N, );
* ground truth: ``gt_instances.masks`` (N, H, W) (``labels`` for COCO
  metrics), else the metainfo ``instances`` list (``mask`` as RLE, polygons
  or an (H, W) array, ``bbox_label``), else the metainfo ``gt_mask``
  (one (H, W) mask or RLE). Without any of them a frame is "not
  annotated": :class:`ReferJFMetric` writes its prediction but does not
  score it. ``gt_instances`` with N = 0 masks means "annotated, object
  absent": :class:`ReferJFMetric` scores it against an empty mask, while
  :class:`ReferMetric` skips it (MTTR ignores frames where the referred
  instance does not appear).
"""
from typing import Any, List, Optional, Tuple

import numpy as np

from .masks import encode_masks
from .video_sample import (frame_shape, frame_where, gt_rle, masks_hw,
                           require, to_numpy)


def pred_field(frame: dict) -> Optional[dict]:
    """``pred_instances`` or ``pred_track_instances`` of a frame (or None)."""
    for key in ('pred_instances', 'pred_track_instances'):
        pred = frame.get(key)
        if pred is not None:
            return pred
    return None


def pred_masks_scores(frame: dict, shape: Tuple[int, int]
                      ) -> Tuple[np.ndarray, np.ndarray, dict]:
    """``(N, H, W)`` bool masks, ``(N,)`` scores and the raw field.

    A frame without ``pred_instances`` / ``pred_track_instances`` has no
    prediction (N = 0).
    """
    where = frame_where(frame)
    pred = pred_field(frame)
    if pred is None:
        raise KeyError(f'{where}: the data sample has neither '
                       '"pred_instances" nor "pred_track_instances"; the '
                       'model must predict masks + scores per frame')
    if 'masks' not in pred:
        raise KeyError(f'{where}: predictions have no "masks" (N, H, W)')
    masks = masks_hw(pred['masks'], where, 'pred masks', shape)
    if 'scores' in pred:
        scores = to_numpy(pred['scores']).astype(np.float64).reshape(-1)
    elif len(masks) <= 1:
        scores = np.ones(len(masks))
    else:
        raise KeyError(f'{where}: {len(masks)} predicted masks but no '
                       '"scores"; the metric needs one score per mask')
    if len(scores) != len(masks):
        raise ValueError(f'{where}: {len(masks)} predicted masks but '
                         f'{len(scores)} scores')
    return masks, scores, pred


def gt_masks(frame: dict, shape: Tuple[int, int],
             with_labels: bool = False
             ) -> Optional[Tuple[List[dict], np.ndarray]]:
    """Ground-truth RLEs (and labels) of a frame, or None when it has none.

    Returns:
        tuple | None: (list of RLE dicts with ``str`` counts, (N,) int64
        labels (0 when not given)).
    """
    where = frame_where(frame)
    h, w = shape
    gts = frame.get('gt_instances')
    if gts is not None and 'masks' in gts:
        masks = masks_hw(gts['masks'], where, 'gt_instances.masks', (h, w))
        labels = to_numpy(gts['labels']).astype(np.int64).reshape(-1) \
            if 'labels' in gts else np.zeros(len(masks), np.int64)
        return encode_masks(masks), labels
    if frame.get('instances') is not None:
        rles, labels = [], []
        for inst in frame['instances']:
            if inst.get('mask') is None:
                raise KeyError(f'{where}: a ground-truth instance has no '
                               '"mask"; load annotations with with_mask=True')
            rles.append(gt_rle(inst['mask'], h, w, where))
            labels.append(int(inst.get('bbox_label', 0)))
        return rles, np.array(labels, dtype=np.int64)
    if frame.get('gt_mask') is not None:
        mask = frame['gt_mask']
        return [gt_rle(mask if isinstance(mask, (dict, list)) else
                        to_numpy(mask).astype(bool), h, w, where)], \
            np.zeros(1, np.int64)
    if with_labels:
        raise KeyError(f'{where}: no ground truth ("gt_instances.masks" or '
                       'the metainfo "instances"); pack the annotations or '
                       'give ann_file')
    return None


def frame_name(frame: dict) -> str:
    """Submission frame name: the image file stem, else ``%05d``."""
    import os.path as osp
    path = frame.get('img_path')
    if path:
        return osp.splitext(osp.basename(str(path)))[0]
    return f'{int(frame["frame_id"]):05d}'


def shape_of(frame: dict) -> Tuple[int, int]:
    """Original ``(H, W)`` of a frame (``ori_shape``)."""
    return frame_shape(frame)


def as_int_or_str(value: Any) -> Any:
    """Plain ``int`` / ``str`` of a metainfo id (tensors, numpy scalars)."""
    if hasattr(value, 'item'):
        value = value.item()
    return value


def frame_key(frame: dict, index: int) -> Tuple[Any, Any, int]:
    """``(video_id, exp_id, frame_id)`` of a referring frame (``frame_id``
    defaults to ``index``), with errors naming the missing key."""
    vid = as_int_or_str(require(frame, 'video_id',
                                'set video_id in the metainfo'))
    exp = as_int_or_str(require(frame, 'exp_id', 'set exp_id (the '
                                'expression id) in the metainfo'))
    fid = frame.get('frame_id')
    return vid, exp, int(index if fid is None else as_int_or_str(fid))
