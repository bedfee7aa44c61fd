# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS VOS / PET result accumulation over overlapping clips."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.structures import InstanceData
from torch import Tensor

from mmvidseg.registry import MODELS
from mmvidseg.structures.masks import decode_rle, encode_mask
from .tarvis_vis_linker import resize_clip_logits


@MODELS.register_module()
class TarViSVOSAccumulator:
    """Per-frame object masks of a VOS / PET video from clip logits.

    Re-implements ``ExemplarBasedSegmentationResultAccumulator`` of "TarViS"
    (Athar et al., CVPR 2023), official file ``Ali2500/TarViS: tarvis/
    inference/result_accumulators/exemplar_based_seg.py``: each clip is kept
    until the next one arrives and then written in full (all its frames);
    a frame's label is the argmax over objects where the max logit > 0
    (logits x4 bilinear, padding cut, bilinear to ``ori_shape``); a frame
    written by two clips keeps, per object, the later clip's mask where that
    one is non-empty (the official overlap averaging is a no-op; so it is
    here). The last clip is written without its overlap frames.

    Deviation (bug fix, documented): the official last-clip branch keeps
    the PREVIOUS clip's object-id list, so a video that fits in one clip
    produces no masks and an object set that changes in the last clip is
    mislabelled; here the last clip uses its own ids (identical output
    whenever the official is well defined).

    ``finalize()`` returns, per frame, an ``InstanceData`` with ``masks``
    ``(N, H, W)`` bool in paint order (later on top, as the official DAVIS
    PNG writer), ``instances_id``, ``scores`` (rank in paint order, what
    ``DAVISMetric`` paints by), ``labels`` (0).
    """

    output_field = 'pred_track_instances'

    def __init__(self) -> None:
        self.reset(0)

    def reset(self, num_frames: int, pad: Tuple[int, int] = (0, 0),
              ori_shape: Optional[Tuple[int, int]] = None) -> None:
        self.num_frames = num_frames
        self.pad = pad
        self.ori_shape = ori_shape
        self.output: List[Dict[int, dict]] = [{} for _ in range(num_frames)]
        self.reset_buffers()

    def reset_buffers(self) -> None:
        """Forget the pending clip (official ``reset_buffers``)."""
        self.prev_logits = torch.empty(0)
        self.prev_ids: List[int] = []
        self.prev_frames: List[int] = []

    def add_clip(self, logits: Tensor, instance_ids: Sequence[int],
                 frame_ids: Sequence[int]) -> None:
        """Add one clip.

        Args:
            logits (Tensor): ``(N, T, h, w)`` condensed object logits at 1/4
                of the padded input.
            instance_ids (Sequence[int]): N object ids.
            frame_ids (Sequence[int]): T video frame indices.
        """
        frame_ids = [int(t) for t in frame_ids]
        overlap = sorted(set(frame_ids) & set(self.prev_frames))
        n = len(overlap)
        if overlap != frame_ids[:n] or (
                n and overlap != self.prev_frames[-n:]):
            raise RuntimeError(f'clip frames {frame_ids} do not continue the '
                               f'previous clip {self.prev_frames}')
        if self.prev_logits.numel() > 0:
            self.flush()
        ids = [int(i) for i in instance_ids]
        if frame_ids[-1] == self.num_frames - 1:  # last clip
            self.prev_logits = logits[:, n:]
            self.prev_frames = frame_ids[n:]
            self.prev_ids = ids
            self.flush()
            self.reset_buffers()
        else:
            self.prev_logits, self.prev_ids = logits, ids
            self.prev_frames = frame_ids

    def flush(self) -> None:
        """Write the pending clip (official ``previous_clip_to_rles``)."""
        if self.prev_logits.numel() == 0:
            return
        logits = resize_clip_logits(self.prev_logits.float(), self.pad,
                                    self.ori_shape)  # (N, T, H, W)
        best, idx = logits.max(0)  # (T, H, W)
        label = torch.where(best > 0, idx + 1, torch.zeros_like(idx))
        for k, inst_id in enumerate(self.prev_ids, 1):
            masks = (label == k).cpu()
            for t, mask in zip(self.prev_frames, masks):
                if mask.any():  # RLE: memory stays small on long videos
                    self.output[t][inst_id] = encode_mask(
                        mask.numpy(), as_json=False)

    def finalize(self) -> List[InstanceData]:
        """Per-frame predictions (see the class docstring)."""
        self.flush()
        self.reset_buffers()
        h, w = self.ori_shape
        results = []
        for frame in self.output:
            pred = InstanceData()
            ids = list(frame.keys())
            masks = [torch.from_numpy(decode_rle(frame[i], h, w)).bool()
                     for i in ids]
            pred.masks = torch.stack(masks) if ids else torch.zeros(
                (0, h, w), dtype=torch.bool)
            pred.instances_id = torch.tensor(ids, dtype=torch.long)
            pred.scores = torch.arange(1, len(ids) + 1,
                                       dtype=torch.float32) / max(len(ids), 1)
            pred.labels = torch.zeros(len(ids), dtype=torch.long)
            results.append(pred)
        return results
