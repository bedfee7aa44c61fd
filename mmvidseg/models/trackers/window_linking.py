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

:class:`WindowLinker` adds carrying (the streaming session uses it): a track
missing from a window is kept alive for up to ``max_missing`` windows --
continued on the mask of the object the window reports under another class
(a clip model's top-k query-class pairs: the pair left the top-k, the query
did not), or held with its last mask and re-linked when a track of its
class reappears there.
"""
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

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


@dataclass
class _Lost:
    """A track held through windows that do not report its object."""
    label: Optional[int]
    mask: Tensor  # (H, W) bool, its last mask
    missing: int  # windows missing so far


@dataclass
class LinkResult:
    """The outcome of :meth:`WindowLinker.link`.

    Attributes:
        ids (Tensor): ``(m, )`` global id of each current track.
        carried (list[tuple[int, int]]): ``(previous row, current column)``:
            previous tracks without a same-class match that continue on the
            mask of that current track (reported under their own id and
            label).
        relinked (list[int]): Current columns that took the id of a held
            (lost) track.
    """
    ids: Tensor
    carried: List[Tuple[int, int]] = field(default_factory=list)
    relinked: List[int] = field(default_factory=list)


class WindowLinker:
    """Links the tracks of consecutive windows and carries missing ones.

    Per window pair: (1) :func:`link_ids`' Hungarian matching on the mean
    mask IoU over the shared frames (class-aware when labels are given);
    (2) a previous track left unmatched continues on the best-overlapping
    current track of another class (IoU ``>= iou_thr``; ``carry_other_class``)
    -- Mask2Former-VIS reports a query under its top-k classes per call, and
    a class that drops out of one window's top-k would otherwise end its
    track although its object is still there; (3) an unmatched previous
    track that overlaps nothing is held with its last mask; a current track
    left unmatched takes the id of a held track of its class whose last mask
    overlaps its first mask by ``>= iou_thr`` (Hungarian); (4) the others
    get new ids. A track is carried / held for at most ``max_missing``
    consecutive windows without a match of its own class; ``max_missing=0``
    is plain :func:`link_ids`.

    Args:
        iou_thr (float): Minimum mask IoU to link, carry or re-link.
        max_missing (int): Windows a track survives without its own match.
        carry_other_class (bool): Step (2). Off for panoptic maps (one
            segment per pixel).
        next_id (int): The first global id to hand out.
    """

    def __init__(self, iou_thr: float = 0.5, max_missing: int = 0,
                 carry_other_class: bool = True, next_id: int = 0) -> None:
        if max_missing < 0:
            raise ValueError(f'max_missing={max_missing} must be >= 0')
        self.iou_thr, self.max_missing = iou_thr, int(max_missing)
        self.carry_other_class = carry_other_class
        self.next_id = next_id
        self.missing: Dict[int, int] = {}  # carried ids: windows missing
        self.lost: Dict[int, _Lost] = {}

    def new_ids(self, num: int) -> Tensor:
        """``(num, )`` fresh ids (windows without shared frames)."""
        ids = torch.arange(self.next_id, self.next_id + num)
        self.next_id += num
        return ids

    def link(self, prev_ids: Tensor, prev_masks: List[Tensor],
             cur_masks: List[Tensor], prev_labels: Optional[Tensor] = None,
             cur_labels: Optional[Tensor] = None,
             prev_last: Optional[Tensor] = None,
             cur_first: Optional[Tensor] = None) -> LinkResult:
        """Global ids of the current window's tracks.

        Args:
            prev_ids, prev_masks, cur_masks, prev_labels, cur_labels: As for
                :func:`link_ids`.
            prev_last (Tensor, optional): ``(n, H, W)`` each previous
                track's last mask in its window (held for re-linking).
                Defaults to its mask on the last shared frame.
            cur_first (Tensor, optional): ``(m, H, W)`` each current track's
                first mask in its window. Defaults to the first shared
                frame's.

        Returns:
            LinkResult: ids, carried and re-linked tracks.
        """
        ids, self.next_id = link_ids(prev_ids, prev_masks, cur_masks,
                                     self.next_id, self.iou_thr,
                                     prev_labels, cur_labels)
        if not self.max_missing:
            return LinkResult(ids)
        num_prev = prev_masks[0].shape[0] if prev_masks else 0
        num_cur = ids.shape[0]
        # undo the new ids of link_ids: held tracks may claim them
        fresh = [c for c in range(num_cur)
                 if int(ids[c]) not in set(prev_ids.tolist())]
        if fresh:
            self.next_id = int(ids[fresh[0]])
        matched = set(ids.tolist()) & set(prev_ids.tolist())
        for g in matched:
            self.missing.pop(g, None)
        out = LinkResult(ids)
        iou = mask_iou_over_frames(prev_masks, cur_masks).cpu() if (
            num_prev and num_cur) else torch.zeros(num_prev, num_cur)
        aged: Dict[int, _Lost] = {}
        for r in range(num_prev):
            g = int(prev_ids[r])
            if g in matched:
                continue
            missing = self.missing.pop(g, 0) + 1
            if missing > self.max_missing:
                continue  # the track ends
            if self.carry_other_class and num_cur and \
                    float(iou[r].max()) >= self.iou_thr:
                out.carried.append((r, int(iou[r].argmax())))
                self.missing[g] = missing
                continue
            last = prev_last[r] if prev_last is not None else \
                prev_masks[-1][r]
            label = None if prev_labels is None else int(prev_labels[r])
            aged[g] = _Lost(label, last.cpu().bool(), missing)
        # re-link fresh current tracks to held ones (held before this window)
        held = list(self.lost.items())
        if fresh and held:
            first = cur_first if cur_first is not None else cur_masks[0]
            a = torch.stack([h.mask for _, h in held]).flatten(1).float()
            b = first[fresh].cpu().flatten(1).float()  # (f, HW)
            inter = a @ b.t()  # (h, f)
            score = inter / (a.sum(1)[:, None] + b.sum(1)[None, :] -
                             inter).clamp(min=1)
            if cur_labels is not None:
                for k, (_, h) in enumerate(held):
                    if h.label is not None:
                        same = cur_labels[fresh].cpu() == h.label
                        score[k] = torch.where(same, score[k],
                                               torch.full_like(score[k], -1))
            rows, cols = linear_sum_assignment(-score.numpy())
            taken = set()
            for r, c in zip(rows, cols):
                if score[r, c] >= self.iou_thr:
                    ids[fresh[c]] = held[r][0]
                    out.relinked.append(fresh[c])
                    taken.add(held[r][0])
            for g in taken:
                del self.lost[g]
        for g, h in list(self.lost.items()):
            h.missing += 1
            if h.missing > self.max_missing:
                del self.lost[g]
        self.lost.update(aged)
        for c in fresh:
            if c not in out.relinked:
                ids[c] = self.next_id
                self.next_id += 1
        return out
