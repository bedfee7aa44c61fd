# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS video panoptic segmentation (VPS) inference assembly.

Re-implements (Athar et al., "TarViS", CVPR 2023):

* ``Ali2500/TarViS: tarvis/inference/result_accumulators/semantic_seg.py``
  -- ``SemanticSegmentationResultAccumulator``
  (:class:`TarViSSemanticAccumulator`);
* ``.../result_accumulators/panoptic_seg.py`` -- the instance + semantic
  accumulators side by side (:class:`TarViSVPSAssembler`);
* ``tarvis/inference/result_formatters/kitti_step.py`` --
  ``KITTISTEPResultFormatter.filter_instances`` / ``generate_panoptic_maps``
  (also the first step of the Cityscapes-VPS and VIPSeg formatters).

Output: one panoptic map per frame in mmdet's encoding ``label + track_id *
label_divisor`` (``PixelData.sem_seg``, ``(1, H, W)`` int64), which
:class:`~mmvidseg.evaluation.STQMetric` and :class:`~mmvidseg.evaluation.
VPQMetric` score and write in the official KITTI-STEP / VIPSeg layouts
(:mod:`mmvidseg.evaluation.functional.vps_writers` writes Cityscapes-VPS).
Stuff pixels have track id 0. A video without any kept thing track gives
pure stuff maps (every pixel ``label < label_divisor``, instance 0).
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.structures import PixelData
from torch import Tensor

from mmvidseg.registry import MODELS
from mmvidseg.structures.masks import decode_rles
from .tarvis_vis_linker import TarViSInstanceAccumulator, resize_clip_logits


class TarViSSemanticAccumulator:
    """Stitches per-clip semantic logits ``(C, T, h, w)`` into label maps.

    The logits of frames shared by two clips are averaged (this slice
    assignment does work upstream); thing-class logits are set to -1e3
    before the argmax, so the map holds stuff labels only; maps are at the
    original size (:func:`resize_clip_logits` then argmax).

    Deviation: a clip that shares no frame with its predecessor (overlap 0,
    not an official setting) finalises the predecessor; upstream loses it.

    Args:
        thing_classes (Sequence[int]): Labels whose logits are suppressed.
        stride (int): Output stride of the logits. Defaults to 4.
    """

    def __init__(self, thing_classes: Sequence[int], stride: int = 4) -> None:
        self.thing_classes = torch.as_tensor(list(thing_classes),
                                             dtype=torch.int64)
        self.stride = int(stride)
        self.reset(0, (0, 0), (0, 0))

    def reset(self, num_frames: int, pad: Tuple[int, int],
              ori_shape: Tuple[int, int]) -> None:
        """Starts a new video."""
        self.num_frames = int(num_frames)
        self.pad, self.ori_shape = tuple(pad), tuple(ori_shape)
        self.label_maps: List[Optional[Tensor]] = [None] * self.num_frames
        self._prev_frames: List[int] = []
        self._prev_logits = torch.empty(0)

    @torch.no_grad()
    def add_clip(self, semantic_logits: Tensor,
                 frame_ids: Sequence[int]) -> None:
        """Adds a clip's ``(C, T, h, w)`` logits for video frames
        ``frame_ids``."""
        frame_ids = [int(t) for t in frame_ids]
        logits = semantic_logits.float().clone()
        if logits.dim() != 4 or logits.size(1) != len(frame_ids):
            raise ValueError(f'semantic_logits must be (C, T, h, w) with T = '
                             f'{len(frame_ids)}, got {tuple(logits.shape)}')
        overlap = sorted(set(frame_ids) & set(self._prev_frames))
        n = len(overlap)
        if n:
            if overlap != self._prev_frames[-n:] or \
                    overlap != frame_ids[:n]:
                raise ValueError(f'clip frames {frame_ids} must start with '
                                 f'the last {n} frames of the previous clip '
                                 f'{self._prev_frames}')
            self._prev_logits[:, -n:] = (self._prev_logits[:, -n:] +
                                         logits[:, :n]) / 2.0
        self._finalize_previous()
        self._prev_logits = logits[:, n:]
        self._prev_frames = frame_ids[n:]
        if frame_ids[-1] == self.num_frames - 1:
            self._finalize_previous()

    def _finalize_previous(self) -> None:
        if not self._prev_frames:
            return
        logits = self._prev_logits
        if self.thing_classes.numel():
            logits = logits.index_fill(
                0, self.thing_classes.to(logits.device), -1e3)
        maps = resize_clip_logits(logits, self.pad, self.ori_shape,
                                  self.stride).argmax(0).cpu()  # (T, H, W)
        for t, map_t in zip(self._prev_frames, maps):
            if self.label_maps[t] is not None:
                raise RuntimeError(f'frame {t} was finalised twice')
            self.label_maps[t] = map_t
        self._prev_frames, self._prev_logits = [], torch.empty(0)

    def finalize(self) -> List[Tensor]:
        """``(H, W)`` int64 stuff-label maps, one per frame."""
        self._finalize_previous()
        missing = [t for t, m in enumerate(self.label_maps) if m is None]
        if missing:
            raise RuntimeError(f'frames {missing[:10]} got no clip; add '
                               'clips covering every frame')
        return self.label_maps


def filter_thing_tracks(logits: Dict[int, Tensor],
                        thing_classes: Sequence[int],
                        score_threshold: float, max_tracks: int
                        ) -> Tuple[Dict[int, float], Dict[int, int]]:
    """``KITTISTEPResultFormatter.filter_instances`` on averaged logits.

    Keeps a track when the argmax of its softmax is not background, is a
    thing class and its probability is ``> score_threshold``; then the top
    ``max_tracks`` by score.

    Returns:
        tuple: ``({track_id: score}, {track_id: label})``.
    """
    if not logits:
        return {}, {}
    ids = torch.as_tensor(list(logits), dtype=torch.int64)
    scores, cls = torch.stack([logits[int(t)] for t in ids]).softmax(1).max(
        1)  # (N, ), (N, )
    things = torch.as_tensor(list(thing_classes), dtype=torch.int64)
    keep = (cls > 0) & torch.isin(cls - 1, things) & (scores >
                                                      score_threshold)
    ids, scores, labels = ids[keep], scores[keep], cls[keep] - 1
    if ids.numel() > max_tracks:
        scores, top = scores.topk(max_tracks)
        ids, labels = ids[top], labels[top]
    return (dict(zip(ids.tolist(), scores.tolist())),
            dict(zip(ids.tolist(), labels.tolist())))


def paste_tracks(stuff_map: Tensor, rles: Dict[int, dict],
                 scores: Dict[int, float], labels: Dict[int, int]
                 ) -> Tuple[Tensor, Tensor]:
    """``generate_panoptic_maps`` for one frame.

    Kept tracks are pasted in ascending score order (a higher score
    overwrites; ties keep the frame's track order, stable sort) over the
    stuff map.

    Returns:
        tuple: ``(label, instance)`` ``(H, W)`` int64 maps.
    """
    label_map = stuff_map.clone().long()
    inst_map = torch.zeros_like(label_map)
    ids = [t for t in rles if t in scores]
    if not ids:
        return label_map, inst_map
    order = torch.as_tensor([scores[t] for t in ids]).argsort(stable=True)
    masks = torch.from_numpy(decode_rles([rles[t] for t in ids]).astype(
        bool))  # (N, H, W)
    for i in order.tolist():
        label_map[masks[i]] = labels[ids[i]]
        inst_map[masks[i]] = ids[i]
    return label_map, inst_map


@MODELS.register_module()
class TarViSVPSAssembler:
    """TarViS VPS inference: thing tracks + stuff map -> panoptic maps.

    Things come from the instance queries (:class:`TarViSInstanceAccumulator`
    with the per-clip filter ``max_tracks_per_clip`` / ``track_score_
    threshold``), stuff from the semantic queries
    (:class:`TarViSSemanticAccumulator`); per video, tracks are filtered by
    :func:`filter_thing_tracks` (``video_score_threshold``, official 0.5)
    and pasted by :func:`paste_tracks`. Official settings: KITTI-STEP
    (things 11, 13; clips 6 / 3), Cityscapes-VPS (things 11-18; clips 10 /
    5 over the 6 annotated frames), VIPSeg (58 things; clips 12 / 6), all
    with ``max_tracks_per_clip=1000`` and thresholds 0.5.

    Args:
        thing_classes (Sequence[int]): Thing labels (0-based, dataset
            ``classes`` order).
        max_tracks_per_clip (int): Defaults to 1000.
        track_score_threshold (float): Per clip. Defaults to 0.5.
        video_score_threshold (float): Per video. Defaults to 0.5.
        max_tracks_per_video (int): Defaults to 1000.
        association_iou_threshold (float): Defaults to 0.5.
        average_overlap_logits (bool): Instance overlap averaging flag (see
            :class:`TarViSInstanceAccumulator`). Defaults to False.
        label_divisor (int): Panoptic encoding. Defaults to 1000.
        stride (int): Output stride of the logits. Defaults to 4.
    """

    output_field = 'pred_panoptic_seg'

    def __init__(self,
                 thing_classes: Sequence[int],
                 max_tracks_per_clip: int = 1000,
                 track_score_threshold: float = 0.5,
                 video_score_threshold: float = 0.5,
                 max_tracks_per_video: int = 1000,
                 association_iou_threshold: float = 0.5,
                 average_overlap_logits: bool = False,
                 label_divisor: int = 1000,
                 stride: int = 4) -> None:
        self.thing_classes = [int(c) for c in thing_classes]
        self.instances = TarViSInstanceAccumulator(
            max_tracks_per_clip, track_score_threshold,
            association_iou_threshold, average_overlap_logits, stride)
        self.semantic = TarViSSemanticAccumulator(self.thing_classes, stride)
        self.video_score_threshold = float(video_score_threshold)
        self.max_tracks_per_video = int(max_tracks_per_video)
        self.label_divisor = int(label_divisor)
        self.track_scores: Dict[int, float] = {}
        self.track_labels: Dict[int, int] = {}

    def reset(self, num_frames: int, pad: Tuple[int, int],
              ori_shape: Tuple[int, int]) -> None:
        """Starts a new video of ``num_frames`` frames."""
        self.instances.reset(num_frames, pad, ori_shape)
        self.semantic.reset(num_frames, pad, ori_shape)

    def add_clip(self, clip: dict, frame_ids: Sequence[int]) -> None:
        """Adds one clip: ``mask_logits`` (Q, T, h, w), ``class_logits``
        (Q, 1 + C), ``semantic_logits`` (C, T, h, w)."""
        if 'semantic_logits' not in clip:
            raise KeyError('TarViSVPSAssembler needs "semantic_logits" '
                           '(C, T, h, w) of the semantic queries per clip')
        self.instances.add_clip(clip, frame_ids)
        self.semantic.add_clip(clip['semantic_logits'], frame_ids)

    def finalize_maps(self) -> List[Tuple[Tensor, Tensor]]:
        """``(label, instance)`` ``(H, W)`` int64 maps per frame; sets
        ``track_scores`` / ``track_labels`` of the kept tracks."""
        track_masks, logits = self.instances.finalize()
        stuff = self.semantic.finalize()
        self.track_scores, self.track_labels = filter_thing_tracks(
            logits, self.thing_classes, self.video_score_threshold,
            self.max_tracks_per_video)
        return [paste_tracks(s, r, self.track_scores, self.track_labels)
                for s, r in zip(stuff, track_masks)]

    def finalize(self) -> List[PixelData]:
        """Per frame ``PixelData(sem_seg=(1, H, W) int64)`` = ``label +
        track_id * label_divisor``."""
        out = []
        for label, inst in self.finalize_maps():
            pan = label + inst * self.label_divisor  # (H, W)
            out.append(PixelData(sem_seg=pan[None]))
        return out
