# Copyright (c) mmvidseg contributors. All rights reserved.
"""STEm-Seg inference: clip splitting, sequential clustering, clip stitching.

Re-implements ``sabarim/STEm-Seg: stemseg/inference/clusterers.py``
(``SequentialClustering``), ``stemseg/inference/online_chainer.py``
(``OnlineChainer``) and ``get_subsequence_frames`` of
``stemseg/inference/main.py`` (Athar et al., "STEm-Seg: Spatio-temporal
Embeddings for Instance Segmentation in Videos", ECCV 2020).

PyTorch + scipy (and mmvidseg's optional C++ op), no registry, so that it
can be tested and benchmarked on its own.

Three clustering implementations give identical labels:

* :func:`sequential_clustering_reference`: the straightforward loop of the
  official code (boolean-mask gathers over all points at every iteration).
* :func:`sequential_clustering_torch`: a faster PyTorch loop. It keeps a
  working set of points that is compacted only when more than half of it has
  been assigned (no per-iteration boolean gathers), and computes the
  secondary-pass distances only for the points that are left over.
* the C++ CPU kernel ``mmvidseg.ops._ext.stemseg_clustering``
  (:func:`mmvidseg.ops.stemseg_clustering.stemseg_clustering_kernel`).

:func:`sequential_clustering`, used by the model, runs the kernel where it
applies (extension built, float32 CPU tensors, at most 5 embedding dims,
finite inputs) and :func:`sequential_clustering_torch` everywhere else
(``tools/analysis_tools/benchmark_stemseg_clustering.py`` measures both
against the reference).

Parity quirks reproduced on purpose (documented in ``configs/stemseg``):

* the cluster membership probability is ``exp(-0.5 * sqrt(d))`` with
  ``d = sum(b * (e - c) ** 2)`` (training uses ``exp(-0.5 * d)``);
* the secondary pass assigns a leftover point to the cluster with the
  **largest** distance (``max`` over distances, as written in the official
  code), if that probability is above the secondary threshold;
* the candidate set of the secondary pass is the set of points that were
  unassigned at the start of the last executed iteration: when the loop stops
  because ``max_instances`` clusters were made, points taken by the last
  cluster can be re-assigned by the secondary pass;
* clip stitching merges every Hungarian pair, with no IoU threshold, and
  orders the cluster ids as Python's set does (:func:`official_label_order`):
  with tied costs that order decides which old track absorbs a new cluster.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment
from torch import Tensor

from mmvidseg.ops.stemseg_clustering import stemseg_clustering_kernel

OUTLIER_LABEL = -1


def get_clip_frame_indices(num_video_frames: int, clip_length: int,
                           overlap: int) -> List[List[int]]:
    """Split a video into overlapping clips (``get_subsequence_frames``).

    Clips of ``clip_length`` frames start every ``clip_length - overlap``
    frames; a last clip aligned to the end of the video is added when the
    stride does not reach it. A video shorter than one clip gives a single
    clip left-padded by repeating frame 0 (``[0, 0, 0, 1, 2]``).

    Args:
        num_video_frames (int): Number of frames in the video (>= 1).
        clip_length (int): Frames per clip (the model's ``num_frames``).
        overlap (int): Frames shared by consecutive clips, < clip_length.

    Returns:
        list[list[int]]: Frame indices of each clip.
    """
    if num_video_frames < 1:
        raise ValueError(f'a video needs at least one frame, got '
                         f'{num_video_frames}')
    if not 0 <= overlap < clip_length:
        raise ValueError(f'clip overlap must be in [0, clip_length='
                         f'{clip_length}), got {overlap}')
    if num_video_frames < clip_length:
        num_pad = clip_length - num_video_frames
        return [[0] * num_pad + list(range(num_video_frames))]
    clips = []
    stride = clip_length - overlap
    for start in range(0, num_video_frames - clip_length + 1, stride):
        clips.append(list(range(start, start + clip_length)))
    if clips[-1][-1] != num_video_frames - 1:
        clips.append(
            list(range(num_video_frames - clip_length, num_video_frames)))
    return clips


def _distances(embeddings: Tensor, center: Tensor,
               bandwidth: Tensor) -> Tensor:
    """``sqrt(sum(b * (e - c)**2))`` per row, as the reference computes it."""
    return (torch.pow(embeddings - center, 2) * bandwidth).sum(dim=-1).sqrt()


def _prob(distances: Tensor) -> Tensor:
    return (-0.5 * distances).exp()


def _check_inputs(embeddings: Tensor, bandwidths: Tensor, seediness: Tensor,
                  free_dim_bandwidths: Tensor) -> None:
    if embeddings.dim() != 2:
        raise ValueError(f'embeddings must be (P, E), got '
                         f'{tuple(embeddings.shape)}')
    num_pts, dims = embeddings.shape
    if bandwidths.shape != (num_pts, dims - free_dim_bandwidths.numel()):
        raise ValueError(
            f'bandwidths must be (P, E - num_free_dims) = '
            f'({num_pts}, {dims - free_dim_bandwidths.numel()}), got '
            f'{tuple(bandwidths.shape)}')
    if seediness.reshape(-1).shape[0] != num_pts:
        raise ValueError(f'seediness must hold {num_pts} values, got '
                         f'{tuple(seediness.shape)}')


@torch.no_grad()
def sequential_clustering_reference(
        embeddings: Tensor,
        bandwidths: Tensor,
        seediness: Tensor,
        free_dim_bandwidths: Tensor,
        primary_prob_thr: float = 0.5,
        secondary_prob_thr: float = 0.3,
        min_seediness_prob: float = 0.8,
        max_instances: int = 20,
        label_start: int = 1) -> Tuple[Tensor, List[int]]:
    """The official clustering loop, kept as the reference for tests.

    Args:
        embeddings (Tensor): (P, E) foreground embeddings.
        bandwidths (Tensor): (P, E - F) activated bandwidths (``exp(v) * 10``).
        seediness (Tensor): (P,) or (P, 1) seediness in [0, 1].
        free_dim_bandwidths (Tensor): (F,) fixed bandwidths of the free dims.
        primary_prob_thr (float): Assignment probability of the main pass.
        secondary_prob_thr (float): Probability of the secondary pass.
        min_seediness_prob (float): Stop when the best seed is below this.
        max_instances (int): Maximum number of clusters.
        label_start (int): Label of the first cluster.

    Returns:
        tuple[Tensor, list[int]]: (P,) long labels (-1 = outlier) and the
        labels of the clusters that were created.
    """
    _check_inputs(embeddings, bandwidths, seediness, free_dim_bandwidths)
    seediness = seediness.reshape(-1)
    num_pts = embeddings.shape[0]
    labels = torch.full((num_pts, ), OUTLIER_LABEL, dtype=torch.long)
    cluster_labels: List[int] = []
    label_distances = []
    num_unassigned = num_pts
    available = labels == OUTLIER_LABEL
    for i in range(max_instances):
        available = labels == OUTLIER_LABEL
        num_unassigned = int(available.sum())
        if num_unassigned == 0:
            break
        avail_seed = seediness[available]
        best = avail_seed.argmax()
        if avail_seed[best] < min_seediness_prob:
            break
        center = embeddings[available][best]
        bandwidth = torch.cat((bandwidths[available][best],
                               free_dim_bandwidths.to(embeddings)), 0)
        label = i + label_start
        cluster_labels.append(label)
        distances = torch.full((num_pts, ), 1e8, dtype=embeddings.dtype)
        distances[available] = _distances(embeddings[available], center,
                                          bandwidth)
        label_distances.append(distances)
        probs = torch.zeros_like(distances)
        probs[available] = _prob(distances[available])
        match = (probs > primary_prob_thr) & available
        labels = torch.where(match, torch.tensor(label), labels)
    if num_unassigned > 0 and label_distances:
        stacked = torch.stack(label_distances, dim=1)  # (P, K)
        far_dist, far_idx = stacked.max(dim=1)
        update = (_prob(far_dist) > secondary_prob_thr) & available
        labels = torch.where(update, far_idx + label_start, labels)
    return labels, cluster_labels


@torch.no_grad()
def sequential_clustering(embeddings: Tensor,
                          bandwidths: Tensor,
                          seediness: Tensor,
                          free_dim_bandwidths: Tensor,
                          primary_prob_thr: float = 0.5,
                          secondary_prob_thr: float = 0.3,
                          min_seediness_prob: float = 0.8,
                          max_instances: int = 20,
                          label_start: int = 1) -> Tuple[Tensor, List[int]]:
    """Fast sequential clustering with output identical to the reference.

    Same arguments and outputs as :func:`sequential_clustering_reference`:
    the C++ kernel where it applies, else
    :func:`sequential_clustering_torch`. An empty input gives an empty label
    tensor and no clusters; if no seed reaches ``min_seediness_prob`` every
    point is an outlier (-1).
    """
    _check_inputs(embeddings, bandwidths, seediness, free_dim_bandwidths)
    args = (embeddings, bandwidths, seediness, free_dim_bandwidths,
            primary_prob_thr, secondary_prob_thr, min_seediness_prob,
            max_instances, label_start)
    out = stemseg_clustering_kernel(*args)
    return out if out is not None else sequential_clustering_torch(*args)


@torch.no_grad()
def sequential_clustering_torch(
        embeddings: Tensor,
        bandwidths: Tensor,
        seediness: Tensor,
        free_dim_bandwidths: Tensor,
        primary_prob_thr: float = 0.5,
        secondary_prob_thr: float = 0.3,
        min_seediness_prob: float = 0.8,
        max_instances: int = 20,
        label_start: int = 1) -> Tuple[Tensor, List[int]]:
    """Sequential clustering in PyTorch, output identical to the reference.

    The fallback of :func:`sequential_clustering` where the C++ kernel does
    not apply; same arguments and outputs.
    """
    _check_inputs(embeddings, bandwidths, seediness, free_dim_bandwidths)
    num_pts = embeddings.shape[0]
    labels = torch.full((num_pts, ), OUTLIER_LABEL, dtype=torch.long)
    free_bw = free_dim_bandwidths.to(embeddings)
    # Working set of points (original order kept, so argmax ties resolve as
    # in the reference). Assigned points stay in it, marked dead with seed
    # -inf, until more than half of it is dead; then it is compacted.
    idx = torch.arange(num_pts)
    emb, bw = embeddings, bandwidths
    seed = seediness.reshape(-1).clone()
    alive = torch.ones(num_pts, dtype=torch.bool)
    num_alive = num_pts
    centers, cluster_bws, cluster_labels = [], [], []
    last_taken = idx[:0]  # points taken by the last executed iteration
    stopped = False
    for i in range(max_instances):
        if num_alive == 0:
            stopped = True
            break
        best = seed.argmax()
        if seed[best] < min_seediness_prob:
            stopped = True
            break
        center = emb[best]
        bandwidth = torch.cat((bw[best], free_bw), 0)
        label = i + label_start
        centers.append(center)
        cluster_bws.append(bandwidth)
        cluster_labels.append(label)
        match = _prob(_distances(emb, center, bandwidth)) > primary_prob_thr
        match &= alive
        last_taken = idx[match]
        labels[last_taken] = label
        alive &= ~match
        seed[match] = float('-inf')
        num_alive -= last_taken.numel()
        if num_alive * 2 < idx.numel():
            idx, emb, bw, seed = idx[alive], emb[alive], bw[alive], seed[alive]
            alive = torch.ones(num_alive, dtype=torch.bool)
    # reference quirk: the secondary pass uses the points unassigned at the
    # start of the last executed iteration; when the loop ran all
    # max_instances iterations that includes the last cluster's points
    candidates = idx[alive]
    if not stopped:
        candidates = torch.cat((candidates, last_taken))
    if (num_alive > 0 or not stopped) and candidates.numel() > 0 \
            and centers:
        cand_emb = embeddings[candidates]
        dists = torch.stack(
            [_distances(cand_emb, c, b) for c, b in zip(centers, cluster_bws)],
            dim=1)  # (P_candidates, K)
        far_dist, far_idx = dists.max(dim=1)
        update = _prob(far_dist) > secondary_prob_thr
        labels[candidates[update]] = far_idx[update] + label_start
    return labels, cluster_labels


def _overlap_ious(labels_1: Tensor, labels_2: Tensor, ids_1: List[int],
                  ids_2: List[int]) -> np.ndarray:
    """IoU matrix between the clusters of two labelings of the same pixels."""
    ious = np.zeros((len(ids_1), len(ids_2)), np.float32)
    if not ids_1 or not ids_2:
        return ious
    lut_1 = {v: k for k, v in enumerate(ids_1)}
    lut_2 = {v: k for k, v in enumerate(ids_2)}
    # map labels to dense indices; outliers go to an extra last bin
    uniq_1, inv_1 = torch.unique(labels_1, return_inverse=True)
    uniq_2, inv_2 = torch.unique(labels_2, return_inverse=True)
    map_1 = torch.tensor([lut_1.get(int(v), len(ids_1)) for v in uniq_1],
                         dtype=torch.long)
    map_2 = torch.tensor([lut_2.get(int(v), len(ids_2)) for v in uniq_2],
                         dtype=torch.long)
    d1, d2 = map_1[inv_1], map_2[inv_2]
    n1, n2 = len(ids_1) + 1, len(ids_2) + 1
    inter = torch.bincount(d1 * n2 + d2, minlength=n1 * n2).reshape(n1, n2)
    inter = inter[:-1, :-1].float()
    area_1 = torch.bincount(d1, minlength=n1)[:-1].float()
    area_2 = torch.bincount(d2, minlength=n2)[:-1].float()
    union = area_1[:, None] + area_2[None, :] - inter
    return (inter / union).numpy()


def official_label_order(labels: Tensor) -> List[int]:
    """The cluster ids of ``labels`` (outliers excluded) in the official
    order: ``list(set(labels.unique().tolist()) - {-1})``.

    ``OnlineChainer.associate_clusters`` builds its cost matrix in Python's
    set iteration order, not in sorted order, and that order decides which
    pair the Hungarian solver returns when costs tie (e.g. several pairs at
    zero overlap): sorting the ids changes which old track absorbs a new
    cluster. The order is deterministic because ``hash(i) == i`` for ints
    other than -1 (``hash(-1) == -2``): an id sits in slot ``i mod table
    size`` (linear probing on collisions; 8 slots up to 4 ids, then 32, 128,
    ...), e.g. ``{3, 8}`` iterates as ``[8, 3]``. Building the same set the
    same way (sorted list -> set with -1 -> set difference, which re-inserts
    the ids in the first set's iteration order) reproduces it exactly on
    the same CPython set implementation (3.7 and later).
    """
    return list(set(labels.unique().tolist()) - {OUTLIER_LABEL})


def associate_clusters(labels_1: Tensor,
                       labels_2: Tensor) -> List[Tuple[int, int]]:
    """Hungarian matching on ``1 - IoU`` (``OnlineChainer``).

    Rows and columns of the cost matrix are in :func:`official_label_order`,
    so that ties resolve as in the reference.

    Args:
        labels_1 (Tensor): (P,) track labels already stored for the pixels.
        labels_2 (Tensor): (P,) labels of the new clip for the same pixels.

    Returns:
        list[tuple[int, int]]: ``(existing_label, new_label)`` pairs; every
        Hungarian pair is returned, with no IoU threshold (as the reference).
    """
    if labels_1.shape != labels_2.shape:
        raise ValueError(f'label shapes differ: {tuple(labels_1.shape)} vs '
                         f'{tuple(labels_2.shape)}')
    ids_1 = official_label_order(labels_1)
    ids_2 = official_label_order(labels_2)
    costs = 1. - _overlap_ious(labels_1, labels_2, ids_1, ids_2)
    rows, cols = linear_sum_assignment(costs)
    return [(ids_1[r], ids_2[c]) for r, c in zip(rows, cols)]


class TrackStitcher:
    """Stitches per-clip cluster labels into video tracks (``OnlineChainer``).

    Labels are stored per frame for the foreground pixels only (a flat tensor
    of ``P_t`` labels in the order of ``fg_mask[t].nonzero()``). The first clip
    initialises the tracks; each next clip is matched to the tracks on the
    frames it shares with the previous clip, matched clusters take the track
    label, the others keep their (fresh) labels, and the shared frames keep
    their old labels.

    Args:
        num_frames (int): Number of frames in the video.
    """

    def __init__(self, num_frames: int) -> None:
        self.num_frames = num_frames
        self.reset()

    def reset(self) -> None:
        """Forget all stored labels."""
        self.frame_labels: List[Optional[Tensor]] = [None] * self.num_frames
        self.highest_label = 0
        self.prev_frames: List[int] = []

    @property
    def next_label(self) -> int:
        """First label the next clip's clusters may use."""
        return self.highest_label + 1

    def _add(self, frame_id: int, labels: Tensor) -> None:
        if self.frame_labels[frame_id] is not None:
            raise RuntimeError(f'frame {frame_id} already has track labels')
        self.frame_labels[frame_id] = labels
        if labels.numel() > 0:
            self.highest_label = max(self.highest_label, int(labels.max()))

    def update(self, frames: Sequence[int], clip_labels: List[Tensor]) -> None:
        """Add the clustering output of the next clip.

        Args:
            frames (Sequence[int]): Unique, sorted frame indices of the clip.
            clip_labels (list[Tensor]): Per frame, the (P_t,) cluster labels,
                which must be >= :attr:`next_label` (or -1).
        """
        if not self.prev_frames:
            for t, lab in zip(frames, clip_labels):
                self._add(t, lab)
        else:
            shared = sorted(set(frames) & set(self.prev_frames))
            old = torch.cat([self.frame_labels[t] for t in shared]) \
                if shared else torch.zeros(0, dtype=torch.long)
            new = torch.cat([lab for t, lab in zip(frames, clip_labels)
                             if t in shared]) if shared else old
            pairs = associate_clusters(old, new)
            for t, lab in zip(frames, clip_labels):
                if t in shared:
                    continue
                lab = lab.clone()
                for old_label, new_label in pairs:
                    lab[clip_labels[frames.index(t)] == new_label] = old_label
                self._add(t, lab)
        self.prev_frames = list(frames)

    def get_tracks(
            self) -> Tuple[List[Tensor], Dict[int, int], Dict[int, int]]:
        """Return per-frame labels, pixel counts and lifetimes per label.

        Returns:
            tuple: ``frame_labels`` (list of (P_t,) tensors), ``num_pixels``
            (label -> pixel count over the video) and ``lifetimes`` (label ->
            last frame - first frame). The outlier label is included.
        """
        num_pixels: Dict[int, int] = {}
        spans: Dict[int, List[int]] = {}
        for t, labels in enumerate(self.frame_labels):
            if labels is None:
                raise RuntimeError(f'frame {t} was never labelled')
            ids, counts = labels.unique(return_counts=True)
            for i, c in zip(ids.tolist(), counts.tolist()):
                num_pixels[i] = num_pixels.get(i, 0) + c
                span = spans.setdefault(i, [t, t])
                span[1] = t
        lifetimes = {k: v[1] - v[0] for k, v in spans.items()}
        return list(self.frame_labels), num_pixels, lifetimes
