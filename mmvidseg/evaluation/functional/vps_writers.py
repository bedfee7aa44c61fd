# Copyright (c) mmvidseg contributors. All rights reserved.
"""Writers of video panoptic predictions in the official submission layouts.

Input per frame: ``(label, instance)`` ``(H, W)`` integer maps (labels
``>= num_classes`` are void, instance 0 on stuff / void); the same
``instance`` value is the same track over a video.

* KITTI-STEP (``google-research/deeplab2``, TarViS
  ``KITTISTEPResultFormatter``): ``<out>/<sequence>/<frame>.png``, R =
  semantic id (255 void), G = id // 256, B = id % 256;
* VIPSeg (``VIPSeg-Dataset: eval_vpq_vspw.py`` / ``eval_stq_vspw.py``):
  ``<out>/pan_pred/<video_id>/<frame>.png`` (COCO-panoptic RGB) +
  ``<out>/pred.json`` = ``{"annotations": [{"video_id", "annotations":
  [{"file_name", "segments_info"}]}]}``;
* Cityscapes-VPS (``mcahny/vps: tools/eval_vpq.py``):
  ``<out>/pan_pred/<image id>.png`` + ``<out>/pred.json`` =
  ``{"annotations": [{"image_id", "file_name", "segments_info"}]}`` in GT
  order (the evaluation pairs them by position).

Segment ids are deterministic (``label + instance * label_divisor + 1``, as
:class:`~mmvidseg.evaluation.VPQMetric`'s writer) instead of panopticapi's
random ``IdGenerator`` colours: the evaluations only need ids that are
unique per frame and stable per track. Pure numpy / Pillow.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .panoptic_io import kitti_step_encode, write_panoptic_frame, write_png

Frame = Tuple[np.ndarray, np.ndarray]


def segment_ids(label: np.ndarray, instance: np.ndarray, num_classes: int,
                label_divisor: int = 1000
                ) -> Tuple[np.ndarray, Dict[int, int]]:
    """COCO-panoptic segment ids ``(H, W)`` (0 = void) and their labels."""
    label = np.asarray(label, np.int64)
    instance = np.asarray(instance, np.int64)
    void = (label < 0) | (label >= num_classes)
    ids = np.where(void, 0, label + instance * label_divisor + 1)
    if ids.size and int(ids.max()) >= 256**3:
        raise ValueError(f'segment id {int(ids.max())} does not fit in an RGB '
                         'PNG; use smaller track ids')
    labels = {int(i): (int(i) - 1) % label_divisor
              for i in np.unique(ids).tolist() if i != 0}
    return ids, labels


def write_kitti_step_video(out_dir: str, sequence: str,
                           file_stems: Sequence[str],
                           frames: Sequence[Frame],
                           num_classes: int) -> List[str]:
    """Writes ``<out_dir>/<sequence>/<stem>.png`` per frame; returns paths."""
    paths = []
    for stem, (label, inst) in zip(file_stems, frames):
        label = np.asarray(label, np.int64)
        label = np.where((label < 0) | (label >= num_classes), 255, label)
        inst = np.where(label == 255, 0, np.asarray(inst, np.int64))
        path = osp.join(out_dir, sequence, f'{stem}.png')
        write_png(path, kitti_step_encode(label, inst))
        paths.append(path)
    return paths


def _category_map(labels: Dict[int, int],
                  category_ids: Optional[Sequence[int]]) -> Dict[int, int]:
    if category_ids is None:
        return labels
    return {k: int(category_ids[v]) for k, v in labels.items()}


def write_vipseg(out_dir: str, videos: Sequence[Tuple[str, Sequence[str],
                                                      Sequence[Frame]]],
                 num_classes: int,
                 category_ids: Optional[Sequence[int]] = None,
                 label_divisor: int = 1000) -> str:
    """Writes the VIPSeg layout for ``(video_id, file_names, frames)``.

    Args:
        out_dir (str): Submission folder.
        videos: Per video its id, the GT PNG file names (``00001.png``) and
            the ``(label, instance)`` maps.
        num_classes (int): Labels ``>= num_classes`` are void.
        category_ids (Sequence[int], optional): Official category id of each
            label (VIPSeg: the label itself).
        label_divisor (int): Segment id encoding. Defaults to 1000.

    Returns:
        str: Path of ``pred.json``.
    """
    anns = []
    for video_id, names, frames in videos:
        entries = []
        for name, (label, inst) in zip(names, frames):
            ids, labels = segment_ids(label, inst, num_classes, label_divisor)
            info = write_panoptic_frame(
                osp.join(out_dir, 'pan_pred', str(video_id)), name, ids,
                _category_map(labels, category_ids))
            entries.append(info)
        anns.append(dict(video_id=str(video_id), annotations=entries))
    return _dump(osp.join(out_dir, 'pred.json'), anns)


def write_cityscapes_vps(out_dir: str,
                         frames: Sequence[Tuple[str, Frame]],
                         num_classes: int,
                         category_ids: Optional[Sequence[int]] = None,
                         label_divisor: int = 1000) -> str:
    """Writes the Cityscapes-VPS layout, frames in ground-truth order.

    Args:
        out_dir (str): Submission folder (``pan_pred/`` + ``pred.json``).
        frames: ``(image_id, (label, instance))`` per annotated frame, in
            the order of the GT JSON's ``images`` (ids such as
            ``0005_0025_frankfurt_000000_001736``). Track ids must be
            stable within each video.
        num_classes (int): Labels ``>= num_classes`` are void.
        category_ids (Sequence[int], optional): Official category id of each
            label (Cityscapes-VPS: the train id, i.e. the label).
        label_divisor (int): Segment id encoding. Defaults to 1000.

    Returns:
        str: Path of ``pred.json``.
    """
    anns = []
    for image_id, (label, inst) in frames:
        ids, labels = segment_ids(label, inst, num_classes, label_divisor)
        info = write_panoptic_frame(osp.join(out_dir, 'pan_pred'),
                                    f'{image_id}.png', ids,
                                    _category_map(labels, category_ids))
        anns.append(dict(image_id=image_id, **info))
    return _dump(osp.join(out_dir, 'pred.json'), anns)


def _dump(path: str, annotations: list) -> str:
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(dict(annotations=annotations), f)
    return path
