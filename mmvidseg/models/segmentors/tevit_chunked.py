# Copyright (c) mmvidseg contributors. All rights reserved.
"""Chunked long-video inference for TeViT (mmvidseg extension).

The official TeViT runs every video as one clip, so activation memory grows
linearly with the video length. :func:`predict_chunked` runs overlapping
windows of ``num_frames`` frames instead and links the tracks of consecutive
windows by their mask IoU on the overlapping frames (Hungarian matching),
so peak activation memory depends on the window, not on the video.
"""
from typing import List

import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from torch import Tensor

from ..trackers.window_linking import handover, link_ids, window_starts


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
            ids, next_id = link_ids(prev_ids, prev_masks,
                                    [p.masks for p in preds[:shared]],
                                    next_id, iou_thr)
        ids = ids.to(preds[0].scores.device)
        # frames owned by this window: from the middle of the overlap with
        # the previous window up to the middle of the next overlap
        own_from = 0 if w == 0 else handover(starts[w - 1], start,
                                             num_frames)
        for offset in range(own_from, len(preds)):
            pred = preds[offset]
            pred.instances_id = ids.clone()
            outputs[start + offset] = pred
        if w + 1 < len(starts):
            next_start = starts[w + 1]
            prev_masks = [p.masks for p in preds[next_start - start:]]
        prev_ids = ids.cpu()
    return outputs
