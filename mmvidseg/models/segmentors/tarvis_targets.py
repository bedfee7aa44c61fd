# Copyright (c) mmvidseg contributors. All rights reserved.
"""Clip-level GT tracks for TarViS from mmdet ``TrackDataSample`` clips."""
from typing import List, Sequence, Tuple

import torch
from mmdet.structures import TrackSampleList
from torch import Tensor

from mmvidseg.structures.mask_tensors import padded_mask_tensor


def clip_targets(data_samples: TrackSampleList, num_frames: int,
                 shape: Sequence[int],
                 device: torch.device) -> Tuple[List[Tensor], List[Tensor]]:
    """GT tracks of every clip.

    An instance present in any frame of the clip is one track; its mask is
    empty in the frames it is absent from (official clip targets).

    Args:
        data_samples (list[TrackDataSample]): Clips with per-frame
            ``gt_instances`` (``masks``, ``labels`` 0-based,
            ``instances_ids``).
        num_frames (int): T.
        shape (Sequence[int]): ``(H, W)`` of the padded input.
        device (torch.device): Target device.

    Returns:
        tuple[list[Tensor], list[Tensor]]: Per clip, masks ``(N, T, H, W)``
        (bool) and labels ``(N,)`` in ``1..C`` (0 is TarViS' background),
        tracks sorted by instance id.
    """
    batch_masks, batch_labels = [], []
    for clip_id, sample in enumerate(data_samples):
        if len(sample) != num_frames:
            raise ValueError(f'clip {clip_id} has {len(sample)} frame samples '
                             f'but the input has T={num_frames} frames')
        frames = sample.video_data_samples
        for t, frame in enumerate(frames):
            gt = frame.gt_instances
            if 'masks' not in gt or 'instances_ids' not in gt:
                raise KeyError(
                    f'clip {clip_id} frame {t} (video '
                    f'{frame.metainfo.get("video_id", "?")}): TarViS needs '
                    'gt_instances.masks and .instances_ids; use '
                    'LoadTrackAnnotations(with_mask=True)')
        ids = torch.cat([
            f.gt_instances.instances_ids.to(device).long() for f in frames
        ]).unique()  # sorted
        masks = torch.zeros((len(ids), num_frames, *shape), dtype=torch.bool,
                            device=device)
        labels = torch.zeros(len(ids), dtype=torch.long, device=device)
        for t, frame in enumerate(frames):
            gt = frame.gt_instances
            if len(gt) == 0:
                continue
            rows = torch.searchsorted(ids, gt.instances_ids.to(device).long())
            masks[rows, t] = padded_mask_tensor(
                gt.masks, shape[0], shape[1], device, crop=False)
            labels[rows] = gt.labels.to(device).long() + 1
        batch_masks.append(masks)
        batch_labels.append(labels)
    return batch_masks, batch_labels


def semantic_targets(data_samples: TrackSampleList, shape: Sequence[int],
                     ignore_label: int = 255) -> Tuple[Tensor, Tensor]:
    """VPS semantic targets of a batch.

    Args:
        data_samples (list[TrackDataSample]): Frames with ``gt_sem_seg``
            (``sem_seg`` (1, h, w), ``ignore_label`` = void).
        shape (Sequence[int]): ``(H, W)`` of the padded input; the padding
            is void (official: semantic masks padded with 0, ignore masks
            with 1).
        ignore_label (int): Void label. Defaults to 255.

    Returns:
        tuple[Tensor, Tensor]: class ids ``(B, T, H, W)`` int64 (0 on void)
        and the void mask ``(B, T, H, W)`` bool.
    """
    sems = []
    for clip_id, sample in enumerate(data_samples):
        frames = []
        for t, frame in enumerate(sample.video_data_samples):
            if 'gt_sem_seg' not in frame:
                raise KeyError(
                    f'clip {clip_id} frame {t}: TarViS(task="vps") needs '
                    'gt_sem_seg; pack with PackVideoPanopticInputs')
            sem = frame.gt_sem_seg.sem_seg[0].long()  # (h, w)
            out = sem.new_full(tuple(shape), ignore_label)
            out[:sem.shape[0], :sem.shape[1]] = sem
            frames.append(out)
        sems.append(torch.stack(frames))
    sem = torch.stack(sems)  # (B, T, H, W)
    ignore = sem == ignore_label
    return sem.masked_fill(ignore, 0), ignore
