# Copyright (c) mmvidseg contributors. All rights reserved.
"""Identity linking of overlapping windows: the one implementation.

Used by TeViT's chunked long-video mode
(:mod:`mmvidseg.models.segmentors.tevit_chunked`) and by the streaming
session of every clip-based model (:class:`mmvidseg.apis.VideoSession`).
Consecutive windows share ``overlap`` frames; the tracks of the newer window
take the ids of the older window's tracks they overlap best (mean mask IoU
over the shared frames, Hungarian matching, ``>= iou_thr``), new ids
otherwise. A frame is reported by the window that starts last before it,
handing over in the middle of the overlap (:func:`handover`).
"""
from typing import List, Optional, Tuple

import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor


def window_starts(num_frames: int, window: int, overlap: int) -> List[int]:
    """Start frames of windows of ``window`` frames overlapping by
    ``overlap`` that cover ``num_frames``; the last window ends at the end.
    """
    if not 0 <= overlap < window:
        raise ValueError(f'chunk overlap={overlap} must be in [0, '
                         f'num_frames={window}).')
    if num_frames <= window:
        return [0]
    starts = list(range(0, num_frames - window, window - overlap))
    starts.append(num_frames - window)
    return starts


def mask_iou_over_frames(prev: List[Tensor], cur: List[Tensor]) -> Tensor:
    """Mean over frames of the mask IoU of every (prev, cur) track pair.

    Args:
        prev (list[Tensor]): Per frame ``(n, H, W)`` bool masks.
        cur (list[Tensor]): Per frame ``(m, H, W)`` bool masks.

    Returns:
        Tensor: ``(n, m)``.
    """
    ious = []
    for a, b in zip(prev, cur):
        a = a.flatten(1).float()  # (n, HW)
        b = b.flatten(1).float()  # (m, HW)
        inter = a @ b.t()  # (n, m)
        union = a.sum(1)[:, None] + b.sum(1)[None, :] - inter
        ious.append(inter / union.clamp(min=1))
    return torch.stack(ious).mean(0)


def link_ids(prev_ids: Tensor, prev_masks: List[Tensor],
             cur_masks: List[Tensor], next_id: int,
             iou_thr: float, prev_labels: Optional[Tensor] = None,
             cur_labels: Optional[Tensor] = None) -> Tuple[Tensor, int]:
    """Global ids of the current window's tracks.

    Args:
        prev_ids (Tensor): ``(n, )`` global ids of the previous window.
        prev_masks (list[Tensor]): Per shared frame, ``(n, H, W)`` masks of
            the previous window.
        cur_masks (list[Tensor]): Per shared frame, ``(m, H, W)`` masks of
            the current window.
        next_id (int): The first unused global id.
        iou_thr (float): Minimum mean mask IoU to continue a track.
        prev_labels (Tensor, optional): ``(n, )`` class labels of the
            previous window's tracks. With ``cur_labels``, only tracks of the
            same class are linked (class-aware linking: a clip model that
            reports one query under several classes keeps one global id per
            class instead of chaining a query's classes across windows).
        cur_labels (Tensor, optional): ``(m, )`` labels of the current
            window's tracks.

    Returns:
        tuple: ``(m, )`` global ids and the next unused id.
    """
    num_cur = cur_masks[0].shape[0] if cur_masks else 0
    ids = torch.full((num_cur, ), -1, dtype=torch.long)
    if prev_masks and num_cur and prev_masks[0].shape[0]:
        iou = mask_iou_over_frames(prev_masks, cur_masks).cpu()
        if prev_labels is not None and cur_labels is not None:
            same = prev_labels.cpu()[:, None] == cur_labels.cpu()[None, :]
            iou = torch.where(same, iou, torch.full_like(iou, -1.))
        rows, cols = linear_sum_assignment(-iou.numpy())
        for r, c in zip(rows, cols):
            if iou[r, c] >= iou_thr:
                ids[c] = prev_ids[r]
    for c in range(num_cur):
        if ids[c] < 0:
            ids[c] = next_id
            next_id += 1
    return ids, next_id


def handover(prev_start: int, start: int, window: int) -> int:
    """First frame (relative to ``start``) the window starting at ``start``
    reports, when the previous window started at ``prev_start``: the middle
    of their overlap."""
    return (prev_start + window + start + 1) // 2 - start
