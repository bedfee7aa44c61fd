# Copyright (c) mmvidseg contributors. All rights reserved.
"""STEm-Seg video inference: clips, cached backbone features, clustering,
stitching and per-track masks.

Re-implements ``InferenceModel.forward`` / ``get_semseg_masks`` of
``sabarim/STEm-Seg: stemseg/modeling/inference_model.py``,
``TrackGenerator`` of ``stemseg/inference/main.py``, ``OnlineChainer.process``
of ``stemseg/inference/online_chainer.py`` and the track selection / mask
resizing of ``stemseg/inference/output_utils/youtube_vis.py``.

Reference behaviour kept: a clip that repeats a frame (left padding of short
videos) keeps the head output of the frame's **last** copy, while its
semantic logits are averaged over every copy; backbone features are computed
once per frame and dropped when no later clip needs them; tracks are ranked
by lifetime (last - first frame), scored by pixel count / max pixel count.
"""
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor

from .stemseg_clustering import (OUTLIER_LABEL, TrackStitcher,
                                 get_clip_frame_indices,
                                 sequential_clustering,
                                 sequential_clustering_reference)


@dataclass
class StemSegTestConfig:
    """Inference settings (reference defaults of YouTube-VIS).

    Attributes:
        clip_overlap (int): Frames shared by consecutive clips (DAVIS 6 with
            16-frame clips, YouTube-VIS / KITTI-MOTS 4 with 8-frame clips).
        primary_prob_thr (float): ``PRIMARY_PROB_THRESHOLD``.
        secondary_prob_thr (float): ``SECONDARY_PROB_THRESHOLD``.
        min_seediness_prob (float): ``MIN_SEEDINESS_PROB`` (KITTI 0.95).
        max_instances (int): Clusters per clip.
        max_tracks (int): ``MAX_INFERENCE_TRACKS`` (DAVIS 20, YTVIS 10).
        fg_thr (float): Threshold of the foreground probability.
        seediness_fg_thr (float): Foreground threshold of the mean seediness
            when there is no semantic head (DAVIS, ``--seediness_thresh``).
        resize_embeddings (bool): Upsample head outputs x4 before clustering
            (``--resize_embeddings``, used for YouTube-VIS).
        clustering (str): ``'fast'`` or ``'reference'`` (identical output).
    """
    clip_overlap: int = 4
    primary_prob_thr: float = 0.5
    secondary_prob_thr: float = 0.3
    min_seediness_prob: float = 0.8
    max_instances: int = 20
    max_tracks: int = 10
    fg_thr: float = 0.5
    seediness_fg_thr: float = 0.25
    resize_embeddings: bool = False
    clustering: str = 'fast'

    def __post_init__(self) -> None:
        if self.clustering not in ('fast', 'reference'):
            raise ValueError(f"test_cfg.clustering must be 'fast' or "
                             f"'reference', got {self.clustering!r}")


def _resize4(x: Tensor) -> Tensor:
    """(C, T, h, w) -> (C, T, 4h, 4w), trilinear as the reference."""
    return F.interpolate(x[None], scale_factor=(1.0, 4.0, 4.0),
                         mode='trilinear', align_corners=False)[0]


@torch.no_grad()
def run_clips(model, video: Tensor, cfg: StemSegTestConfig
              ) -> Tuple[List[dict], Optional[Tensor], Tensor]:
    """Run backbone (cached per frame) and decoders over all clips.

    Returns:
        tuple: list of clip dicts (``frames`` unique sorted, ``embeddings``
        (E, T_u, h, w), ``bandwidths`` (E - F, T_u, h, w) activated,
        ``seediness`` (1, T_u, h, w)), averaged semantic logits (T, C, h, w)
        or None, and (T, h, w) bool foreground masks.
    """
    num_video_frames = video.shape[0]
    clips = get_clip_frame_indices(num_video_frames, model.num_frames,
                                   cfg.clip_overlap)
    last_use = {f: ci for ci, clip in enumerate(clips) for f in clip}
    head = model.embedding_head
    e_dims, v_dims = head.embedding_dims, head.variance_channels
    cache: Dict[int, Tuple[Tensor, ...]] = {}
    sem_sum: Dict[int, Tensor] = {}
    sem_cnt: Dict[int, int] = {}
    entries = []
    for ci, clip in enumerate(clips):
        missing = sorted(set(clip) - set(cache))
        if missing:
            feats = model.extract_feat(video[missing])  # 4 x (M, C, h, w)
            for k, f in enumerate(missing):
                cache[f] = tuple(level[k] for level in feats)
        clip_feats = [
            torch.stack([cache[f][lvl] for f in clip], dim=1)[None]
            for lvl in reversed(range(4))
        ]  # each (1, C, T, h, w), strides 32..4
        emb, sem = model.forward_heads(clip_feats)
        emb = emb[0]  # (E + V + 1, T, h, w)
        if sem is not None:
            sem = sem[0]
            if cfg.resize_embeddings:
                sem = _resize4(sem)
            for i, f in enumerate(clip):
                sem_sum[f] = sem_sum.get(f, 0.) + sem[:, i].cpu()
                sem_cnt[f] = sem_cnt.get(f, 0) + 1
        pos = {f: i for i, f in enumerate(clip)}  # last copy wins
        frames = sorted(pos)
        emb = emb[:, [pos[f] for f in frames]]
        entry = dict(
            embeddings=emb[:e_dims],
            bandwidths=emb[e_dims:e_dims + v_dims].exp() * 10.,
            seediness=emb[-1:])
        for key, value in entry.items():
            if cfg.resize_embeddings:
                value = _resize4(value)
            entry[key] = value.cpu()
        entry['frames'] = frames
        entries.append(entry)
        for f in [f for f in cache if last_use[f] <= ci]:
            del cache[f]
    sem_avg = None
    if sem_sum:
        sem_avg = torch.stack([sem_sum[f] / float(sem_cnt[f])
                               for f in range(num_video_frames)])
    return entries, sem_avg, _foreground(entries, sem_avg, cfg,
                                         num_video_frames)


def _foreground(entries: List[dict], sem_avg: Optional[Tensor],
                cfg: StemSegTestConfig, num_frames: int) -> Tensor:
    """(T, h, w) foreground: semantic fg channel, 2-class softmax, or the
    mean seediness over clips when there is no semantic head."""
    if sem_avg is not None:
        if sem_avg.shape[1] > 2:
            return sem_avg[:, -1].sigmoid() > cfg.fg_thr
        return F.softmax(sem_avg, dim=1)[:, 1] > cfg.fg_thr
    seed_sum: Dict[int, Tensor] = {}
    seed_cnt: Dict[int, float] = {}
    for e in entries:
        for i, f in enumerate(e['frames']):
            seed_sum[f] = seed_sum.get(f, 0.) + e['seediness'][0, i]
            seed_cnt[f] = seed_cnt.get(f, 0.) + 1.
    return torch.stack([seed_sum[f] / seed_cnt[f]
                        for f in range(num_frames)]) > cfg.seediness_fg_thr


def cluster_and_stitch(entries: List[dict], fg: Tensor,
                       free_dim_bandwidths: Tensor,
                       cfg: StemSegTestConfig) -> TrackStitcher:
    """Cluster the foreground pixels of every clip and stitch the clips."""
    cluster = sequential_clustering if cfg.clustering == 'fast' \
        else sequential_clustering_reference
    stitcher = TrackStitcher(fg.shape[0])
    for e in entries:
        emb = e['embeddings'].permute(1, 2, 3, 0)  # (T_u, h, w, E)
        bw = e['bandwidths'].permute(1, 2, 3, 0)  # (T_u, h, w, E - F)
        seed = e['seediness'][0]  # (T_u, h, w)
        if emb.shape[1:3] != fg.shape[1:]:
            raise RuntimeError(f'embedding size {tuple(emb.shape[1:3])} does '
                               f'not match foreground {tuple(fg.shape[1:])}')
        m = [fg[f] for f in e['frames']]
        labels, _ = cluster(
            torch.cat([emb[i][mi] for i, mi in enumerate(m)]),
            torch.cat([bw[i][mi] for i, mi in enumerate(m)]),
            torch.cat([seed[i][mi] for i, mi in enumerate(m)]),
            free_dim_bandwidths,
            primary_prob_thr=cfg.primary_prob_thr,
            secondary_prob_thr=cfg.secondary_prob_thr,
            min_seediness_prob=cfg.min_seediness_prob,
            max_instances=cfg.max_instances,
            label_start=stitcher.next_label)
        stitcher.update(e['frames'],
                        list(labels.split([int(mi.sum()) for mi in m])))
    return stitcher


def tracks_to_masks(stitcher: TrackStitcher, fg: Tensor,
                    class_logits: Optional[Tensor], cfg: StemSegTestConfig,
                    img_shape: Tuple[int, int],
                    ori_shape: Tuple[int, int]) -> Dict[str, Tensor]:
    """Select tracks and render their masks at ``ori_shape``.

    Returns:
        dict: ``masks`` (K, T, H, W) bool, ``scores`` (K,), ``labels`` (K,)
        0-based classes, ``instances_id`` (K,) track labels, ``lifetimes``
        (K,) last - first frame of each track.
    """
    frame_labels, num_pixels, lifetimes = stitcher.get_tracks()
    keep = [k for k, _ in sorted(lifetimes.items(), key=lambda kv: kv[1],
                                 reverse=True) if k != OUTLIER_LABEL]
    keep = keep[:cfg.max_tracks]
    num_frames, (h, w) = fg.shape[0], fg.shape[1:]
    scale = 1 if cfg.resize_embeddings else 4
    out_h, out_w = ori_shape
    masks = torch.zeros((len(keep), num_frames, out_h, out_w),
                        dtype=torch.bool)
    max_px = max([num_pixels[k] for k in keep], default=1)
    scores = torch.tensor([num_pixels[k] / float(max_px) for k in keep])
    logit_sum = [0.] * len(keep)
    for t in range(num_frames):
        if not keep:
            break
        canvas = torch.zeros((len(keep), h, w))
        for k, tid in enumerate(keep):
            on = frame_labels[t] == tid
            canvas[k][fg[t]] = on.float()
            if class_logits is not None:
                px = class_logits[t].permute(1, 2, 0)[fg[t]][on]  # (P, C)
                logit_sum[k] = logit_sum[k] + px.sum(0)
        x = canvas[None]
        if scale != 1:
            x = F.interpolate(x, scale_factor=scale, mode='bilinear',
                              align_corners=False)
        x = x[:, :, :img_shape[0], :img_shape[1]]
        x = F.interpolate(x, (out_h, out_w), mode='bilinear',
                          align_corners=False)
        masks[:, t] = x[0] > 0.5
    labels = torch.zeros(len(keep), dtype=torch.long)
    if class_logits is not None and keep:
        for k, tid in enumerate(keep):
            probs = (logit_sum[k][1:] / float(num_pixels[tid])).softmax(0)
            labels[k] = int(probs.argmax())
    return dict(masks=masks, scores=scores, labels=labels,
                instances_id=torch.tensor(keep, dtype=torch.long),
                lifetimes=torch.tensor([lifetimes[k] for k in keep],
                                       dtype=torch.long))


@torch.no_grad()
def infer_video(model, video: Tensor, cfg: StemSegTestConfig,
                img_shape: Tuple[int, int], ori_shape: Tuple[int, int],
                free_dim_bandwidths: Tensor) -> Dict[str, Tensor]:
    """Full STEm-Seg inference on one (T, C, H, W) video.

    Args:
        model: The :class:`STEmSeg` model (its backbone, neck and heads).
        video (Tensor): (T, C, H, W) normalised, padded frames.
        cfg (StemSegTestConfig): Inference settings.
        img_shape (tuple): Resized, unpadded input size.
        ori_shape (tuple): Output mask size.
        free_dim_bandwidths (Tensor): (F,) fixed bandwidths of the free
            embedding dims (``1 / std**2``).
    """
    entries, sem_avg, fg = run_clips(model, video, cfg)
    free_bw = free_dim_bandwidths.cpu()
    stitcher = cluster_and_stitch(entries, fg.cpu(), free_bw, cfg)
    class_logits = None
    if sem_avg is not None and sem_avg.shape[1] > 2:
        class_logits = sem_avg[:, :-1]  # drop the foreground channel
    return tracks_to_masks(stitcher, fg.cpu(), class_logits, cfg, img_shape,
                           ori_shape)
