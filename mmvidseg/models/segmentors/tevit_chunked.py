# Copyright (c) mmvidseg contributors. All rights reserved.
"""Chunked long-video inference for TeViT (mmvidseg extension).

The official TeViT runs every video as one clip, so activation memory grows
linearly with the video length. :func:`predict_chunked` runs overlapping
windows of ``num_frames`` frames instead and links the tracks of consecutive
windows by their mask IoU on the overlapping frames (Hungarian matching),
so peak activation memory depends on the window, not on the video.
"""
from typing import List, Tuple

import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
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


def _link(prev_ids: Tensor, prev_masks: List[Tensor], cur_masks: List[Tensor],
          next_id: int, iou_thr: float) -> Tuple[Tensor, int]:
    """Global ids of the current window's tracks."""
    num_cur = cur_masks[0].shape[0] if cur_masks else 0
    ids = torch.full((num_cur, ), -1, dtype=torch.long)
    if prev_masks and num_cur and prev_masks[0].shape[0]:
        iou = mask_iou_over_frames(prev_masks, cur_masks).cpu()
        rows, cols = linear_sum_assignment(-iou.numpy())
        for r, c in zip(rows, cols):
            if iou[r, c] >= iou_thr:
                ids[c] = prev_ids[r]
    for c in range(num_cur):
        if ids[c] < 0:
            ids[c] = next_id
            next_id += 1
    return ids, next_id


def predict_chunked(model,
                    img: Tensor,
                    frames: List[DetDataSample],
                    num_frames: int,
                    overlap: int = 0,
                    iou_thr: float = 0.5,
                    rescale: bool = True) -> List[InstanceData]:
    """TeViT inference on overlapping windows with identity linking.

    Each window is predicted like a short video (``model.predict_clip``).
    Frame f's tracks come from the window that starts last before it
    (windows hand over in the middle of their overlap); the ids of a window
    are linked to the previous window's by the mean mask IoU over their
    overlap (``>= iou_thr``), new ids otherwise.

    Args:
        model (TeViT): The model.
        img (Tensor): ``(T, C, H, W)`` all frames of one video.
        frames (list[DetDataSample]): T frame samples.
        num_frames (int): Window length.
        overlap (int): Frames shared by consecutive windows (>= 1 to link).
        iou_thr (float): Minimum mean mask IoU to continue a track.
        rescale (bool): Masks and boxes at the original frame size.

    Returns:
        list[InstanceData]: T frames with ``instances_id`` linked over the
        whole video.
    """
    total = img.shape[0]
    starts = window_starts(total, num_frames, overlap)
    outputs: List[InstanceData] = [None] * total
    prev_ids, prev_masks, next_id = torch.zeros(0, dtype=torch.long), [], 0
    for w, start in enumerate(starts):
        stop = start + num_frames
        preds = model.predict_clip(img[start:stop], frames[start:stop],
                                   rescale=rescale)
        if w == 0 or not prev_masks:
            ids = torch.arange(len(preds[0]))
            next_id = len(ids)
        else:
            shared = len(prev_masks)
            ids, next_id = _link(prev_ids, prev_masks,
                                 [p.masks for p in preds[:shared]], next_id,
                                 iou_thr)
        ids = ids.to(preds[0].scores.device)
        # frames owned by this window: from the middle of the overlap with
        # the previous window up to the middle of the next overlap
        own_from = 0 if w == 0 else (starts[w - 1] + num_frames + start +
                                     1) // 2 - start
        for offset in range(own_from, len(preds)):
            pred = preds[offset]
            pred.instances_id = ids.clone()
            outputs[start + offset] = pred
        if w + 1 < len(starts):
            next_start = starts[w + 1]
            prev_masks = [p.masks for p in preds[next_start - start:]]
        prev_ids = ids.cpu()
    return outputs
