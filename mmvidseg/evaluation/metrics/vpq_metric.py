# Copyright (c) mmvidseg contributors. All rights reserved.
"""VPQ (Cityscapes-VPS / VIPSeg windows) as an mmengine metric."""
import json
import os
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
from ..functional.panoptic_io import write_panoptic_frame
from ..functional.vpq import (VOID, WINDOW_CONVENTIONS, FrameStats,
                              compute_vpq, frame_stats)
from .stq_metric import class_count, thing_labels


def _segments(label: np.ndarray, inst: np.ndarray, void: np.ndarray,
              things: np.ndarray, divisor: int, crowd: bool) -> tuple:
    """Compact segment ids ``(H, W)``, their ``segments_info`` and keys.

    A segment is one (label, instance) pair; stuff instance ids are
    dropped (one segment per stuff class); with ``crowd`` a thing segment
    of instance 0 is a crowd region. Keys are ``label + instance *
    divisor`` (+ 1, 0 = void): stable over the frames of a video.
    """
    inst = np.where(things[label], inst, 0)
    key = np.where(void, 0, label + inst * divisor + 1)  # (H, W)
    uniq, compact = np.unique(key, return_inverse=True)
    compact = compact.reshape(key.shape)
    if len(uniq) and uniq[0] != 0:
        uniq = np.concatenate([[0], uniq])
        compact = compact + 1
    infos = []
    for i, k in enumerate(uniq.tolist()):
        if k == 0:
            continue
        lab = (k - 1) % divisor
        infos.append(dict(id=i, category_id=lab,
                          iscrowd=int(crowd and bool(things[lab])
                                      and (k - 1) // divisor == 0)))
    return compact, infos, uniq


def _rename(stats: FrameStats, gt_keys: np.ndarray,
            pred_keys: np.ndarray) -> FrameStats:
    """Replaces per-frame compact ids by the video-stable keys."""
    g, p = gt_keys.tolist(), pred_keys.tolist()
    g_of = {i: g[i] for i in range(len(g))}
    g_of[-1] = -1
    return FrameStats(
        gt_segments={g[k]: v for k, v in stats.gt_segments.items()},
        pred_segments={p[k]: v for k, v in stats.pred_segments.items()},
        pairs={(g_of[a], p[b]): n for (a, b), n in stats.pairs.items()})


@METRICS.register_module()
class VPQMetric(BaseMetric):
    """Video Panoptic Quality by tube matching, averaged over windows.

    Adapter of :func:`mmvidseg.evaluation.functional.vpq.compute_vpq`, which
    re-implements ``mcahny/vps: tools/eval_vpq.py`` (Kim et al., "Video
    Panoptic Segmentation", CVPR 2020) and ``VIPSeg-Dataset:
    ClipPanoFCN/eval_vpq_vspw.py`` (Miao et al., "Large-scale Video Panoptic
    Segmentation in the Wild", CVPR 2022). Windows of ``nframes`` scored
    frames slide over each video; PQ is summed over all windows of all
    videos per class, averaged over classes, and the window scores are
    averaged: ``window_convention='vipseg'`` (nframes 1, 2, 4, 6, 8) or
    ``'cityscapes_vps'`` (k = 0, 5, 10, 15, i.e. 1-4 annotated frames).

    Expected data-sample fields per frame: as :class:`STQMetric`
    (``video_id``, ``frame_id``, ``pred_panoptic_seg.sem_seg`` and
    ``gt_panoptic_seg.sem_seg`` = ``label + instance_id * label_divisor``,
    labels ``>= num_classes`` void). A segment is a (label, instance id)
    pair, stable over the video (tube identity); stuff instance ids are
    ignored; a GT thing segment of instance 0 is crowd. Only frames with
    ``gt_panoptic_seg`` are scored (Cityscapes-VPS: the annotated frames).
    Category ids of the official files are the labels, or
    ``category_ids[label]``.

    Args:
        window_convention (str): ``'vipseg'`` or ``'cityscapes_vps'``.
        num_classes (int, optional): Defaults to ``len(classes)``.
        things (Sequence[int], optional): Thing labels. Defaults to the
            labels of ``dataset_meta['thing_classes']``.
        label_divisor (int): Defaults to 1000 (mmdet).
        category_ids (Sequence[int], optional): Official category id of
            each label, for the submission files. Defaults to the label.
        outfile_prefix (str, optional): Writes the VIPSeg submission layout
            ``<prefix>/pan_pred/<video_id>/<frame>.png`` (COCO-panoptic
            RGB) + ``<prefix>/pred.json``. Defaults to None.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Defaults to ``'vpq'``.
    """

    default_prefix: Optional[str] = 'vpq'

    def __init__(self,
                 window_convention: str = 'vipseg',
                 num_classes: Optional[int] = None,
                 things: Optional[Sequence[int]] = None,
                 label_divisor: int = 1000,
                 category_ids: Optional[Sequence[int]] = None,
                 outfile_prefix: Optional[str] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if window_convention not in WINDOW_CONVENTIONS:
            raise ValueError(f'window_convention must be one of '
                             f'{sorted(WINDOW_CONVENTIONS)}, got '
                             f'{window_convention!r}')
        self.window_convention = window_convention
        self.num_classes = num_classes
        self.things = things
        self.label_divisor = int(label_divisor)
        self.category_ids = category_ids
        self.outfile_prefix = outfile_prefix
        self._order = FrameOrder()

    def _meta(self) -> tuple:
        n = class_count(self.dataset_meta, self.num_classes, 'VPQMetric')
        things = np.zeros(n + 1, bool)
        things[thing_labels(self.dataset_meta, self.things,
                            'VPQMetric')] = True
        cats = {c: dict(id=c, isthing=int(things[c])) for c in range(n)}
        return n, things, cats

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        """Collects each scored frame's tube statistics (small dicts).

        Args:
            data_batch (dict): Unused.
            data_samples (Sequence): Frame or video data samples.
        """
        meta = self._meta()
        for sample in data_samples:
            records = [self._frame_record(frame, *meta)
                       for frame in sample_frames(sample)]
            self.results.append([r for r in records if r is not None])

    def _frame_record(self, frame: dict, n: int, things: np.ndarray,
                      cats: dict) -> Optional[dict]:
        div = self.label_divisor
        frame['frame_id'] = self._order.frame_id(frame)
        where = frame_where(frame)
        p_lab, p_inst, p_void = panoptic_map(frame, 'pred_panoptic_seg', n,
                                             div)
        p_ids, p_info, p_keys = _segments(p_lab, p_inst, p_void, things, div,
                                          crowd=False)
        rec = dict(video_id=frame['video_id'], frame_id=frame['frame_id'],
                   stats=None, file_name=frame_file_stem(frame) + '.png')
        if self.outfile_prefix is not None:
            rec['segments_info'] = self._write(frame, rec['file_name'],
                                               p_lab, p_inst, p_void, things)
        if frame.get('gt_panoptic_seg') is not None:
            g_lab, g_inst, g_void = panoptic_map(frame, 'gt_panoptic_seg', n,
                                                 div)
            g_ids, g_info, g_keys = _segments(g_lab, g_inst, g_void, things,
                                              div, crowd=True)
            stats = frame_stats(g_ids, p_ids, g_info, p_info, cats,
                                where=where)
            rec['stats'] = _rename(stats, g_keys, p_keys)
        if rec['stats'] is None and self.outfile_prefix is None:
            return None
        return rec

    def _write(self, frame: dict, file_name: str, label: np.ndarray,
               inst: np.ndarray, void: np.ndarray,
               things: np.ndarray) -> List[dict]:
        inst = np.where(things[label], inst, 0)
        ids = np.where(void, VOID, label + inst * self.label_divisor + 1)
        if ids.size and int(ids.max()) >= 256**3:
            raise ValueError(f'{frame_where(frame)}: segment id '
                             f'{int(ids.max())} does not fit in an RGB PNG; '
                             'use smaller instance ids')
        cat_of = self.category_ids
        categories = {
            int(k): int(cat_of[(k - 1) % self.label_divisor]
                        if cat_of is not None else
                        (k - 1) % self.label_divisor)
            for k in np.unique(ids).tolist() if k != VOID}
        out_dir = osp.join(self.outfile_prefix, 'pan_pred',
                           str(frame['video_id']))
        return write_panoptic_frame(out_dir, file_name, ids,
                                    categories)['segments_info']

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """VPQ (all / thing / stuff) per window and averaged, in percent.

        Args:
            results (list): Per-frame records from all ranks.

        Returns:
            dict[str, float]: ``VPQ``, ``VPQ_thing``, ``VPQ_stuff`` and
            ``VPQ_<window>[_thing|_stuff]`` for every window.
        """
        _, _, cats = self._meta()
        videos = group_by_video(flatten(results))
        if self.outfile_prefix is not None:
            self._write_json(videos)
        scored = {vid: [r['stats'] for r in frames if r['stats'] is not None]
                  for vid, frames in videos.items()}
        res = compute_vpq(scored, cats, self.window_convention)
        return {k: float(v) for k, v in res.items()
                if k.startswith('VPQ')}

    def _write_json(self, videos: dict) -> None:
        anns = [dict(video_id=str(vid), annotations=[
            dict(file_name=r['file_name'],
                 segments_info=r.get('segments_info', []))
            for r in frames]) for vid, frames in videos.items()]
        os.makedirs(self.outfile_prefix, exist_ok=True)
        path = osp.join(self.outfile_prefix, 'pred.json')
        with open(path, 'w') as f:
            json.dump(dict(annotations=anns), f)
        MMLogger.get_current_instance().info(
            f'VIPSeg-format submission written to {path} and '
            f'{osp.join(self.outfile_prefix, "pan_pred")}')
