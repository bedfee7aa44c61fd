# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS clip linking for video instance segmentation (VIS).

Re-implements the inference post-processing of TarViS (Athar et al.,
"TarViS: A Unified Approach for Target-based Video Segmentation", CVPR 2023):

* ``Ali2500/TarViS: tarvis/data/inference_dataset.py`` -- the split of a
  video into overlapping clips (:func:`clip_frame_ids`);
* ``tarvis/inference/result_accumulators/result_accumulator_base.py`` --
  ``resize_to_original_dims`` (:func:`resize_clip_logits`);
* ``tarvis/inference/result_accumulators/instance_seg.py`` --
  ``InstanceSegmentationResultAccumulator``
  (:class:`TarViSInstanceAccumulator`);
* ``tarvis/inference/result_formatters/ovis.py`` -- ``OVISResultFormatter``,
  used by the official code for both YouTube-VIS and OVIS (the top-K over
  track x class, :class:`TarViSVISLinker`).

Everything here is pure torch / numpy (RLE buffers through ``mmvidseg.structures.masks``);
it runs without the model.
"""
from collections import defaultdict
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from mmvidseg.registry import MODELS
from mmvidseg.structures.masks import decode_rles, encode_masks

RLE = dict


def clip_frame_ids(num_frames: int, clip_length: int, overlap: int,
                   start: int = 0) -> List[List[int]]:
    """Frame ids of the overlapping inference clips of a video.

    As ``InferenceDataset``: clips start every ``clip_length - overlap``
    frames from ``start``; the last clip ends at the last frame (it may be
    shorter) and no clip follows it.

    Args:
        num_frames (int): Frames in the video.
        clip_length (int): Frames per clip (official: YTVIS / OVIS / VIPSeg
            12, KITTI-STEP 6, Cityscapes-VPS 10).
        overlap (int): Frames shared by consecutive clips (< clip_length).
        start (int): First frame (VOS: the first exemplar frame).

    Returns:
        list[list[int]]: One list of consecutive frame ids per clip.
    """
    if not 0 <= overlap < clip_length:
        raise ValueError(f'need 0 <= overlap < clip_length, got overlap '
                         f'{overlap}, clip_length {clip_length}')
    if not 0 <= start < num_frames:
        raise ValueError(f'start frame {start} is outside the video '
                         f'(num_frames {num_frames})')
    clips = []
    for t in range(start, num_frames, clip_length - overlap):
        end = min(t + clip_length, num_frames)
        clips.append(list(range(t, end)))
        if end == num_frames:
            break
    return clips


def resize_clip_logits(x: Tensor, pad: Tuple[int, int],
                       ori_shape: Tuple[int, int], stride: int = 4) -> Tensor:
    """Model-resolution logits -> logits at the original frame size.

    Official ``resize_to_original_dims``: bilinear x ``stride`` upsampling
    (``scale_factor``, ``align_corners=False``), the bottom / right padding
    cut off, bilinear resize to ``ori_shape``.

    Args:
        x (Tensor): ``(N, T, h, w)`` logits at 1 / ``stride`` of the padded
            input (T plays the channel role, as upstream).
        pad (tuple[int, int]): ``(pad_right, pad_bottom)`` in input pixels.
        ori_shape (tuple[int, int]): ``(H, W)`` of the original frames.
        stride (int): Output stride of the logits (1: already at input
            resolution).

    Returns:
        Tensor: ``(N, T, H, W)``.
    """
    if stride != 1:
        x = F.interpolate(x, scale_factor=float(stride), mode='bilinear',
                          align_corners=False)
    pad_right, pad_bottom = (int(p) for p in pad)
    if pad_right or pad_bottom:
        x = F.pad(x, (0, -pad_right, 0, -pad_bottom))
    if tuple(x.shape[-2:]) != tuple(ori_shape):
        x = F.interpolate(x, tuple(int(s) for s in ori_shape),
                          mode='bilinear', align_corners=False)
    return x


def mask_iou_matrix(a: Tensor, b: Tensor) -> Tensor:
    """``(I + 1) / (U + 1)`` of binarised logits (N, ...) x (M, ...)."""
    a = (a > 0).flatten(1)[:, None, :]  # (N, 1, P)
    b = (b > 0).flatten(1)[None, :, :]  # (1, M, P)
    inter = torch.logical_and(a, b).sum(2, dtype=torch.float32)  # (N, M)
    union = torch.logical_or(a, b).sum(2, dtype=torch.float32)  # (N, M)
    return (inter + 1.) / (union + 1.)


class TarViSInstanceAccumulator:
    """Links the instance tracks of consecutive overlapping clips.

    ``InstanceSegmentationResultAccumulator`` step by step:

    1. per clip, score = max non-background softmax probability; keep
       scores ``>= track_score_threshold`` (only when it is > 0), then the
       top ``max_tracks_per_clip`` (``torch.topk`` order);
    2. a clip that keeps no track ends all tracks (the buffers are reset);
    3. tracks are matched to the previous clip's by Hungarian matching
       (``scipy.optimize.linear_sum_assignment``, maximising) on mask IoU
       ``(I + 1) / (U + 1)`` of the overlap frames (logits > 0, at model
       resolution); a match needs IoU > ``association_iou_threshold``;
       unmatched tracks get new ids in clip order. With the +1 smoothing
       two tracks that are both empty on the overlap frames have IoU 1 and
       are linked (a track that ended before the overlap is continued by
       one that starts after it), as upstream;
    4. a track's class logits are averaged over its clips;
    5. masks are resized to the original size, thresholded at 0 and stored
       as RLE. **Overlap frames come from the earlier clip**: the frames a
       clip shares with its predecessor are dropped from it, so a track that
       starts in a clip has no mask on the clip's overlap frames.

    Deviation flag: ``average_overlap_logits``. The official code means to
    average the matched tracks' overlap logits, but writes into an
    advanced-indexing copy (``x[idx][:, -n:] = avg``), which changes
    nothing (tarvis.md section 11.4). False (default) reproduces what runs;
    True does the intended averaging.

    Args:
        max_tracks_per_clip (int): Top-K per clip (YTVIS / OVIS 10, VPS 1000).
        track_score_threshold (float): Per-clip score threshold (YTVIS 0,
            VPS 0.5).
        association_iou_threshold (float): Defaults to 0.5.
        average_overlap_logits (bool): See above. Defaults to False.
        stride (int): Output stride of the mask logits. Defaults to 4.
    """

    def __init__(self,
                 max_tracks_per_clip: int = 10,
                 track_score_threshold: float = 0.0,
                 association_iou_threshold: float = 0.5,
                 average_overlap_logits: bool = False,
                 stride: int = 4) -> None:
        self.max_tracks_per_clip = int(max_tracks_per_clip)
        self.track_score_threshold = float(track_score_threshold)
        self.association_iou_threshold = float(association_iou_threshold)
        self.average_overlap_logits = bool(average_overlap_logits)
        self.stride = int(stride)
        self.reset(0, (0, 0), (0, 0))

    def reset(self, num_frames: int, pad: Tuple[int, int],
              ori_shape: Tuple[int, int]) -> None:
        """Starts a new video of ``num_frames`` frames."""
        self.num_frames = int(num_frames)
        self.pad = tuple(int(p) for p in pad)
        self.ori_shape = tuple(int(s) for s in ori_shape)
        self.next_track_id = 1
        self.track_class_logits: Dict[int, List[Tensor]] = defaultdict(list)
        self.track_masks: List[Dict[int, RLE]] = [
            dict() for _ in range(self.num_frames)]
        self._clear_previous()

    def _clear_previous(self) -> None:
        self._prev_frames: List[int] = []
        self._prev_logits = torch.empty(0)  # (N, T', h, w)
        self._prev_ids = torch.empty(0, dtype=torch.int64)  # (N, )

    def filter_clip_tracks(self, mask_logits: Tensor,
                           class_logits: Tensor) -> Tuple[Tensor, Tensor]:
        """Score threshold then top-K of one clip (``filter_clip_tracks``)."""
        scores = class_logits.softmax(1)[:, 1:].max(1).values  # (Q, )
        if self.track_score_threshold > 0:
            keep = scores >= self.track_score_threshold
            mask_logits, class_logits = mask_logits[keep], class_logits[keep]
            scores = scores[keep]
        if class_logits.size(0) > self.max_tracks_per_clip:
            top = scores.topk(self.max_tracks_per_clip).indices
            mask_logits, class_logits = mask_logits[top], class_logits[top]
        return mask_logits, class_logits

    def associate(self, prev_logits: Tensor,
                  cur_logits: Tensor) -> Tuple[Tensor, Tensor]:
        """Hungarian matching on overlap mask IoU; returns index pairs."""
        iou = mask_iou_matrix(prev_logits, cur_logits).cpu()  # (N, M)
        rows, cols = linear_sum_assignment(iou.numpy(), maximize=True)
        rows = torch.from_numpy(rows).long()
        cols = torch.from_numpy(cols).long()
        valid = iou[rows, cols] > self.association_iou_threshold
        return rows[valid], cols[valid]

    @torch.no_grad()
    def add_clip(self, clip: dict, frame_ids: Sequence[int]) -> None:
        """Adds one clip's ``mask_logits`` (Q, T, h, w) and ``class_logits``
        (Q, 1 + C); ``frame_ids`` are its T video frame ids."""
        frame_ids = [int(t) for t in frame_ids]
        mask_logits = clip['mask_logits'].float()
        class_logits = clip['class_logits'].float()
        if mask_logits.dim() != 4 or mask_logits.size(1) != len(frame_ids):
            raise ValueError(f'mask_logits must be (Q, T, h, w) with T = '
                             f'{len(frame_ids)} frame ids, got shape '
                             f'{tuple(mask_logits.shape)}')
        if class_logits.dim() != 2 or class_logits.size(0) != \
                mask_logits.size(0):
            raise ValueError(f'class_logits must be (Q, 1 + C) with Q = '
                             f'{mask_logits.size(0)}, got '
                             f'{tuple(class_logits.shape)}')
        if self.average_overlap_logits:
            mask_logits = mask_logits.clone()  # written into below
        mask_logits, class_logits = self.filter_clip_tracks(
            mask_logits, class_logits)
        if mask_logits.size(0) == 0:  # no track: end all tracks
            self._finalize_previous()
            self._clear_previous()
        num_overlap = len(set(frame_ids) & set(self._prev_frames))
        if num_overlap:
            if frame_ids[:num_overlap] != self._prev_frames[-num_overlap:]:
                raise ValueError(
                    f'clip frames {frame_ids} must start with the last '
                    f'{num_overlap} frames of the previous clip '
                    f'{self._prev_frames}')
            prev_ov = self._prev_logits[:, -num_overlap:]  # (N, To, h, w)
            cur_ov = mask_logits[:, :num_overlap]  # (M, To, h, w)
            idx_prev, idx_cur = self.associate(prev_ov, cur_ov)
            if idx_prev.numel() and self.average_overlap_logits:
                self._prev_logits[idx_prev, -num_overlap:] = (
                    prev_ov[idx_prev] + cur_ov[idx_cur]) / 2.0
            ids = torch.full((mask_logits.size(0), ), -1, dtype=torch.int64)
            ids[idx_cur] = self._prev_ids[idx_prev]
            new = ids < 0
            num_new = int(new.sum())
            ids[new] = torch.arange(self.next_track_id,
                                    self.next_track_id + num_new)
        else:
            num_new = mask_logits.size(0)
            ids = torch.arange(self.next_track_id,
                               self.next_track_id + num_new)
        self.next_track_id += num_new
        self._finalize_previous()
        for track_id, logits in zip(ids.tolist(), class_logits.cpu()):
            self.track_class_logits[track_id].append(logits)
        self._prev_frames = frame_ids[num_overlap:]
        self._prev_logits = mask_logits[:, num_overlap:]
        self._prev_ids = ids
        if frame_ids[-1] == self.num_frames - 1:  # last clip
            self._finalize_previous()
            self._clear_previous()

    def _finalize_previous(self) -> None:
        if self._prev_logits.numel() == 0:
            return
        masks = resize_clip_logits(self._prev_logits, self.pad,
                                   self.ori_shape, self.stride) > 0
        masks = masks.transpose(0, 1).cpu().numpy().astype(np.uint8)
        ids = self._prev_ids.tolist()
        for t, masks_t in zip(self._prev_frames, masks):  # (N, H, W)
            rles = encode_masks(masks_t, as_json=False)  # (N, H, W) in
            for track_id, rle in zip(ids, rles):
                if track_id in self.track_masks[t]:
                    raise RuntimeError(f'track {track_id} already has a mask '
                                       f'on frame {t}')
                self.track_masks[t][track_id] = rle

    def finalize(self) -> Tuple[List[Dict[int, RLE]], Dict[int, Tensor]]:
        """Per-frame ``{track_id: RLE}`` and clip-averaged class logits."""
        self._finalize_previous()
        self._clear_previous()
        logits = {tid: torch.stack(v).mean(0)
                  for tid, v in self.track_class_logits.items()}
        return self.track_masks, logits


def make_masks_nonoverlapping(masks: Tensor, scores: Tensor) -> Tensor:
    """Official ``make_masks_nonoverlapping``: a pixel stays with the
    highest-scoring mask covering it. ``masks`` (N, ...) bool, ``scores``
    (N, ). Ties: the earlier mask of a stable descending sort wins."""
    order = scores.argsort(descending=True, stable=True)
    first = masks[order].cumsum(0, dtype=torch.int64) == 1  # (N, ...)
    kept = torch.where(first, masks[order], torch.zeros_like(masks))
    return kept[order.argsort()]


@MODELS.register_module()
class TarViSVISLinker:
    """TarViS VIS inference: clip linking + the YouTube-VIS / OVIS output.

    :class:`TarViSInstanceAccumulator` links the clips; :meth:`finalize`
    then does ``OVISResultFormatter``: softmax of each track's averaged
    logits, top ``max_tracks_per_video`` over (track x class) pairs (a
    track may be kept with several classes, each copy a new track), and
    copies of one class made non-overlapping by score, per frame.

    Deviations (documented): the top-K is taken ``sorted=True`` (upstream
    ``sorted=False``: the same set, only the new track ids' order differs);
    K is capped at the number of (track, class) pairs and a video without
    tracks gives empty frames (upstream raises).

    Args:
        max_tracks_per_clip (int): Defaults to 10.
        track_score_threshold (float): Defaults to 0.
        association_iou_threshold (float): Defaults to 0.5.
        max_tracks_per_video (int): 10 for YouTube-VIS, 20 for OVIS.
        average_overlap_logits (bool): See :class:`TarViSInstanceAccumulator`.
        stride (int): Output stride of the mask logits. Defaults to 4.
    """

    output_field = 'pred_track_instances'

    def __init__(self,
                 max_tracks_per_clip: int = 10,
                 track_score_threshold: float = 0.0,
                 association_iou_threshold: float = 0.5,
                 max_tracks_per_video: int = 10,
                 average_overlap_logits: bool = False,
                 stride: int = 4) -> None:
        self.accumulator = TarViSInstanceAccumulator(
            max_tracks_per_clip, track_score_threshold,
            association_iou_threshold, average_overlap_logits, stride)
        self.max_tracks_per_video = int(max_tracks_per_video)

    def reset(self, num_frames: int, pad: Tuple[int, int],
              ori_shape: Tuple[int, int]) -> None:
        """Starts a new video (see :meth:`TarViSInstanceAccumulator.reset`)."""
        self.accumulator.reset(num_frames, pad, ori_shape)

    def add_clip(self, clip: dict, frame_ids: Sequence[int]) -> None:
        """Adds one clip (see :meth:`TarViSInstanceAccumulator.add_clip`)."""
        self.accumulator.add_clip(clip, frame_ids)

    def select_tracks(self, logits: Dict[int, Tensor]
                      ) -> Tuple[List[int], Tensor, Tensor]:
        """Top-K (track, class) pairs: source track ids, scores, labels."""
        if not logits:
            return [], torch.zeros(0), torch.zeros(0, dtype=torch.int64)
        track_ids = list(logits)
        scores = torch.stack([logits[t] for t in track_ids]).float().softmax(
            1)[:, 1:]  # (N, C)
        num_classes = scores.size(1)
        k = min(self.max_tracks_per_video, scores.numel())
        top_scores, top = scores.flatten().topk(k)  # (K, )
        rows = torch.div(top, num_classes, rounding_mode='floor')
        return [track_ids[r] for r in rows.tolist()], top_scores, \
            top % num_classes

    def finalize(self) -> List[InstanceData]:
        """Per frame ``InstanceData`` (``masks`` bool (N, H, W) at the
        original size, ``scores``, ``labels`` 0-based, ``instances_id``
        from 1) of the kept (track, class) pairs."""
        track_masks, logits = self.accumulator.finalize()
        sources, scores, labels = self.select_tracks(logits)
        h, w = self.accumulator.ori_shape
        frames = []
        for masks_t in track_masks:
            present = [i for i, src in enumerate(sources) if src in masks_t]
            masks = torch.zeros((len(present), h, w), dtype=torch.bool)
            if present:
                masks = torch.from_numpy(decode_rles(
                    [masks_t[sources[i]] for i in present]).astype(bool))
            idx = torch.as_tensor(present, dtype=torch.int64)
            masks = self._nonoverlap_per_class(masks, scores[idx],
                                               labels[idx])
            frames.append(InstanceData(
                masks=masks, scores=scores[idx].clone(),
                labels=labels[idx].clone(), instances_id=idx + 1))
        return frames

    @staticmethod
    def _nonoverlap_per_class(masks: Tensor, scores: Tensor,
                              labels: Tensor) -> Tensor:
        for label in labels.unique().tolist():
            sel = (labels == label).nonzero().flatten()
            if sel.numel() > 1:
                masks[sel] = make_masks_nonoverlapping(masks[sel],
                                                       scores[sel])
        return masks
