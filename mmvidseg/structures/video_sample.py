# Copyright (c) mmvidseg contributors. All rights reserved.
"""Per-frame prediction / ground-truth records read out of data samples.

What the metric adapters, writers and the visualizer pass around
(:class:`YouTubeVISMetric`, :class:`DAVISMetric`, :class:`STQMetric`,
:class:`VPQMetric`, :class:`KITTIMOTSMetric`, :class:`BURSTHOTAMetric`,
:class:`COCOVideosMetric`, the referring metrics through
:mod:`mmvidseg.structures.refer_sample`). Only numpy and pycocotools are
imported: data samples are read through their ``to_dict()`` / dict form,
so mmdet's ``TrackDataSample`` / ``DetDataSample`` and plain dicts both
work. A data
sample is either a ``TrackDataSample`` (or its dict) with
``video_data_samples`` (one ``DetDataSample`` per frame), or one frame's
``DetDataSample`` (or dict) itself. Every frame carries ``video_id`` and
``frame_id`` (the frame's index in its video; without it, frames are taken
in arrival order).
"""
import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from .masks import encode_masks, to_json_rle


def to_numpy(x: Any) -> np.ndarray:
    """Tensor / array / list -> numpy array (detached, on the CPU)."""
    if hasattr(x, 'detach'):
        return x.detach().cpu().numpy()
    if hasattr(x, 'to_ndarray'):  # mmdet BitmapMasks / PolygonMasks
        return x.to_ndarray()
    return np.asarray(x)


def _as_dict(sample: Any) -> dict:
    return sample.to_dict() if hasattr(sample, 'to_dict') else dict(sample)


def sample_frames(sample: Any) -> List[dict]:
    """The frames of one data sample, as dicts.

    ``video_length`` defaults to the number of frames of a
    ``TrackDataSample`` when the frames do not carry it.
    """
    sample = _as_dict(sample)
    frames = sample.get('video_data_samples')
    if frames is None:
        return [sample]
    out = []
    for frame in frames:
        frame = _as_dict(frame)
        frame.setdefault('video_length', len(frames))
        out.append(frame)
    return out


def flatten(results: Sequence[list]) -> List[dict]:
    """Per-sample lists of frame records -> one list of frame records.

    The adapters append one list per data sample (not per frame), so that
    mmengine's ``collect_results(results, size)`` with ``size`` = number of
    dataset samples keeps everything, for video- and frame-level datasets.
    """
    return [rec for sample in results for rec in sample]


def frame_where(frame: dict) -> str:
    """``video <id> frame <id>`` for error messages."""
    return f'video {frame.get("video_id")!r} frame {frame.get("frame_id")}'


def require(frame: dict, key: str, hint: str) -> Any:
    """``frame[key]`` or a KeyError naming the frame, the key and the fix."""
    if key not in frame or frame[key] is None:
        raise KeyError(f'{frame_where(frame)}: the data sample has no '
                       f'"{key}"; {hint}')
    return frame[key]


class FrameOrder:
    """Assigns ``frame_id`` in arrival order to frames that lack one."""

    def __init__(self) -> None:
        self._next: Dict[Any, int] = {}

    def frame_id(self, frame: dict) -> int:
        vid = require(frame, 'video_id', 'set video_id in the metainfo')
        fid = frame.get('frame_id')
        if fid is None:
            fid = self._next.get(vid, 0)
        self._next[vid] = int(fid) + 1
        return int(fid)


def group_by_video(results: Sequence[dict]) -> 'OrderedDict[Any, list]':
    """``{video_id: [record, ...]}`` sorted by ``frame_id``.

    Records sharing ``(video_id, frame_id)`` (distributed padding adds
    copies) are kept once. Videos keep their first-arrival order.
    """
    videos: 'OrderedDict[Any, dict]' = OrderedDict()
    for rec in results:
        videos.setdefault(rec['video_id'], {}).setdefault(
            rec['frame_id'], rec)
    return OrderedDict((vid, [frames[f] for f in sorted(frames)])
                       for vid, frames in videos.items())


def frame_file_stem(frame: dict) -> str:
    """File-name stem of a frame: its image name, else ``%06d`` frame id."""
    path = frame.get('img_path')
    if path:
        return osp.splitext(osp.basename(str(path)))[0]
    return f'{int(frame["frame_id"]):06d}'


def masks_hw(masks: Any, where: str, field: str,
             shape: Optional[Sequence[int]] = None) -> np.ndarray:
    """``(N, H, W)`` bool masks, checked against ``shape`` when given."""
    arr = to_numpy(masks)
    if arr.ndim == 2 and arr.size == 0:
        arr = arr.reshape(0, *(shape or (0, 0)))
    if arr.ndim != 3:
        raise ValueError(f'{where}: {field} must be (N, H, W) masks, got '
                         f'shape {arr.shape}')
    if shape is not None and len(arr) and tuple(arr.shape[1:]) != tuple(
            shape):
        raise ValueError(f'{where}: {field} has mask size '
                         f'{tuple(arr.shape[1:])}, expected {tuple(shape)} '
                         '(the original frame size, ori_shape); resize the '
                         'masks to the original resolution')
    return arr.astype(bool)


def gt_instances(frame: dict, shape: Sequence[int]) -> List[dict]:
    """GT objects of a frame: ``[{'instance_id', 'label', 'ignore', 'rle'}]``.

    Read from ``gt_instances`` (``masks``, ``labels``, ``instances_id`` or
    ``instances_ids``, optional ``ignore_flags``) when present, else from the metainfo
    ``instances`` list (``mask`` as RLE, polygons or an ``(H, W)`` array,
    ``bbox_label``, ``instance_id``, optional ``ignore_flag``).
    """
    where = frame_where(frame)
    h, w = int(shape[0]), int(shape[1])
    gts = frame.get('gt_instances')
    if gts is not None and 'masks' in gts:
        masks = masks_hw(gts['masks'], where, 'gt_instances.masks', (h, w))
        labels = to_numpy(require(gts, 'labels', 'pack gt labels'))
        # 'instances_id' (predictions' name) or 'instances_ids' (the name
        # mmdet's PackTrackInputs gives the ground truth)
        key = 'instances_id' if 'instances_id' in gts else 'instances_ids'
        ids = to_numpy(gts[key]) if key in gts else None
        if ids is None:
            raise KeyError(f'{where}: gt_instances has no "instances_id"; '
                           'load tracking annotations (instance ids)')
        ignore = to_numpy(gts['ignore_flags']) if 'ignore_flags' in gts \
            else np.zeros(len(masks), bool)
        return [dict(instance_id=int(i), label=int(lab), ignore=bool(ig),
                     rle=rle) for i, lab, ig, rle in zip(
                         ids.tolist(), labels.tolist(), ignore.tolist(),
                         encode_masks(masks))]
    instances = require(frame, 'instances', 'pack gt_instances or keep the '
                        'annotation "instances" in the metainfo')
    out = []
    for inst in instances:
        mask = inst.get('mask')
        if mask is None:
            raise KeyError(f'{where}: a ground-truth instance has no "mask"; '
                           'load annotations with with_mask=True')
        out.append(dict(instance_id=int(inst['instance_id']),
                        label=int(inst['bbox_label']),
                        ignore=bool(inst.get('ignore_flag', 0)),
                        rle=gt_rle(mask, h, w, where)))
    return out


def gt_rle(mask: Any, h: int, w: int, where: str) -> dict:
    """JSON RLE of one ground-truth mask (RLE, polygons or an ``(H, W)``
    array / tensor), checked against the frame size ``(h, w)``."""
    if isinstance(mask, np.ndarray) or hasattr(mask, 'detach'):
        arr = to_numpy(mask)
        if arr.shape != (h, w):
            raise ValueError(f'{where}: a ground-truth mask has size '
                             f'{arr.shape}, the frame is {(h, w)}')
        return encode_masks(arr[None].astype(bool))[0]
    rle = to_json_rle(mask, h, w)
    if list(rle['size']) != [h, w]:
        raise ValueError(f'{where}: a ground-truth RLE has size '
                         f'{rle["size"]}, the frame is {[h, w]}')
    return rle


def frame_shape(frame: dict) -> tuple:
    """``(H, W)`` original frame size from ``ori_shape``."""
    shape = require(frame, 'ori_shape', 'keep ori_shape in the metainfo')
    return int(shape[0]), int(shape[1])


def panoptic_map(frame: dict, key: str, num_classes: int,
                 label_divisor: int) -> tuple:
    """Decodes ``frame[key].sem_seg`` (mmdet's panoptic encoding).

    The map holds ``label + instance_id * label_divisor`` per pixel (mmdet's
    ``INSTANCE_OFFSET`` convention, ``label_divisor = 1000``); labels
    outside ``[0, num_classes)`` (mmdet writes ``num_classes``; datasets
    often 255) are void.

    Returns:
        tuple: ``(label, instance, void)`` ``(H, W)`` arrays (int64, int64,
        bool); void pixels have label ``num_classes`` and instance 0.
    """
    where = frame_where(frame)
    data = require(frame, key, f'set {key}.sem_seg (1, H, W) = label + '
                   f'instance_id * {label_divisor}')
    seg = data.get('sem_seg') if isinstance(data, dict) else getattr(
        data, 'sem_seg', None)
    if seg is None:
        raise KeyError(f'{where}: {key} has no "sem_seg" map')
    pan = to_numpy(seg).astype(np.int64)
    if pan.ndim == 3 and pan.shape[0] == 1:
        pan = pan[0]  # (H, W)
    if pan.ndim != 2:
        raise ValueError(f'{where}: {key}.sem_seg must be (1, H, W) or '
                         f'(H, W), got shape {pan.shape}')
    label = pan % label_divisor
    instance = pan // label_divisor
    void = (pan < 0) | (label >= num_classes)
    label[void] = num_classes
    instance[void] = 0
    return label, instance, void
