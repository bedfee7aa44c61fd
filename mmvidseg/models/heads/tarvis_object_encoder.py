# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS VOS / PET object encoder: target queries from masks and points."""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from mmvidseg.registry import MODELS
from .tarvis_vos_utils import (adapt_point_coords, background_grid_masks,
                               divide_object_masks, masks_to_points,
                               pad_point_sets, point_sample_nearest,
                               sample_mask_features, sine_position_2d)


class _AttentionLayer(nn.Module):
    """Post-norm ``nn.MultiheadAttention`` block (official key names)."""

    def __init__(self, embed_dims: int, num_heads: int) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(
            embed_dims, num_heads=num_heads, batch_first=True)
        self.norm = nn.LayerNorm(embed_dims)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(self, query: Tensor, key: Tensor, value: Tensor,
                query_pos: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None) -> Tensor:
        """Post-norm attention; ``query_pos`` added to the query only."""
        q = query if query_pos is None else query + query_pos
        out = self.attn(q, key, value, key_padding_mask=key_padding_mask)[0]
        return self.norm(query + out)


class _FFNLayer(nn.Module):
    """Post-norm FFN block (official key names ``mlp.{0,2}``, ``norm``)."""

    def __init__(self, embed_dims: int, hidden_dims: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(embed_dims, hidden_dims), nn.ReLU(inplace=True),
            nn.Linear(hidden_dims, embed_dims))
        self.norm = nn.LayerNorm(embed_dims)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.xavier_uniform_(p)

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(x + self.mlp(x))


class _PointQueryInit(nn.Module):
    """PET query MLP ``4C -> C -> C -> C`` on multi-scale point features."""

    def __init__(self, embed_dims: int, num_scales: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(embed_dims * num_scales, embed_dims),
            nn.ReLU(inplace=True), nn.Linear(embed_dims, embed_dims),
            nn.ReLU(inplace=True), nn.Linear(embed_dims, embed_dims))


@MODELS.register_module()
class TarViSObjectEncoder(nn.Module):
    """Object encoder of TarViS VOS / point-exemplar tracking (PET).

    Re-implements ``VOSPETObjectEncoder`` of "TarViS: A Unified Approach
    for Target-based Video Segmentation" (Athar et al., CVPR 2023), official
    file ``Ali2500/TarViS: tarvis/modelling/vos_pet_object_encoder.py`` (+
    ``vos_pet_helpers/{utils,attention_layers,pet_query_initializer}.py``),
    with the official parameter names (released checkpoints load as is).

    Query inits, in the official order ``[16 background, objects x K,
    points]``:

    * mask exemplars (VOS): each object's mask (input resolution) is split
      into ``K`` disjoint raster bands (:func:`divide_object_masks`; ``K`` =
      ``num_queries_per_object`` in training, twice that in eval), each
      band's pixels read from the 1/4 map (nearest), averaged;
    * background: the ``bg_grid_size`` grid minus all objects, pooled the
      same way (an empty cell gives a zero init);
    * point exemplars (PET): the point's nearest features of the 1/32 ..
      1/4 maps, concatenated, through ``point_vos_query_extractor`` (MLP
      1024-256-256-256); its 4 keys are ``proj_point_features[i]`` of each
      scale + the 2-D position at the point. In training an object becomes
      a point object with probability ``point_vos_likelihood`` (0.3,
      drawn from a generator seeded 22021994 as the official) and its
      point is the mask's most interior point (EDT argmax, ties by the
      centroid, :func:`most_interior_point`).

    Refinement: ``num_layers`` x (self-attention over all queries, embeds
    ``bg_query_embed`` / ``mask_object_query_embed`` /
    ``point_object_query_embed`` on q and k -> cross-attention of each
    query to ITS OWN point set (at most 2048 points per mask in training,
    16384 in eval, a ``torch.randperm`` subset beyond; keys = features +
    un-normalised 2-D sine position, key padding) -> FFN), post-norm.

    Parity with the official module (same weights, same global seed so
    the ``randperm`` subsets and the 0.3 draws coincide): see
    ``configs/tarvis/README.md``. Deviation: none in the maths; errors
    replace the official asserts (empty object mask, point outside).

    Args:
        embed_dims (int): Query width. Defaults to 256.
        num_layers (int): Refinement layers. Defaults to 4.
        num_heads (int): Attention heads. Defaults to 8.
        feedforward_channels (int): FFN hidden width. Defaults to 2048.
        bg_grid_size (tuple[int, int]): Background query grid. Defaults to
            ``(4, 4)``.
        num_queries_per_object (int): Queries per mask object in training
            (x2 at inference, official). Defaults to 4.
        point_vos_likelihood (float): Training probability that an object
            is given by its point. Defaults to 0.3.
        max_points_train (int): Defaults to 2048.
        max_points_infer (int): Defaults to 16384.
        seed (int): Seed of the point-task generator. Defaults to 22021994.
        backprop_through_fmap (bool): Let the mask / background queries'
            pooled features carry gradients into the feature map. Defaults
            to False, as the released models (point queries always do).
    """

    def __init__(self,
                 embed_dims: int = 256,
                 num_layers: int = 4,
                 num_heads: int = 8,
                 feedforward_channels: int = 2048,
                 bg_grid_size: Tuple[int, int] = (4, 4),
                 num_queries_per_object: int = 4,
                 point_vos_likelihood: float = 0.3,
                 max_points_train: int = 2048,
                 max_points_infer: int = 2**14,
                 seed: int = 22021994,
                 backprop_through_fmap: bool = False) -> None:
        super().__init__()
        self.cross_attn_layers = nn.ModuleList([
            _AttentionLayer(embed_dims, num_heads) for _ in range(num_layers)
        ])
        self.self_attn_layers = nn.ModuleList([
            _AttentionLayer(embed_dims, num_heads) for _ in range(num_layers)
        ])
        self.ffn_layers = nn.ModuleList([
            _FFNLayer(embed_dims, feedforward_channels)
            for _ in range(num_layers)
        ])
        self.proj_point_features = nn.ModuleList(
            [nn.Linear(embed_dims, embed_dims) for _ in range(4)])
        self.register_buffer(
            'bg_grid_size', torch.tensor(list(bg_grid_size),
                                         dtype=torch.int64))
        self.mask_object_query_embed = nn.Parameter(torch.zeros(embed_dims))
        self.bg_query_embed = nn.Parameter(torch.zeros(embed_dims))
        self.point_object_query_embed = nn.Parameter(torch.zeros(embed_dims))
        self.point_vos_query_extractor = _PointQueryInit(embed_dims, 4)
        self._num_queries_per_object = num_queries_per_object
        self.point_vos_likelihood = point_vos_likelihood
        self.max_points_train = max_points_train
        self.max_points_infer = max_points_infer
        self.embed_dims = embed_dims
        self.backprop_through_fmap = backprop_through_fmap
        self.rng = torch.Generator()
        self.rng.manual_seed(seed)
        for p in (self.mask_object_query_embed, self.point_object_query_embed,
                  self.bg_query_embed):  # official init order
            nn.init.normal_(p)

    # ----------------------------------------------------------- properties
    @property
    def num_queries_per_object(self) -> int:
        """4 in training, 8 at inference (official)."""
        return self._num_queries_per_object * (1 if self.training else 2)

    @property
    def num_bg_queries(self) -> int:
        return int(self.bg_grid_size[0] * self.bg_grid_size[1])

    @property
    def max_points(self) -> int:
        return self.max_points_train if self.training else \
            self.max_points_infer

    # ------------------------------------------------------------- helpers
    def mask_query_inits(self, fmap: Tensor, ref_masks: List[Tensor],
                         names: Optional[List[List[str]]] = None):
        """Background + mask-object inits of a batch.

        Args:
            fmap (Tensor): ``(B, C, T, h, w)`` 1/4 map.
            ref_masks (list[Tensor]): B masks ``(N, T, 4h, 4w)`` bool (same
                N in every sample).

        Returns:
            tuple: inits ``(B, G + N*K, C)``, per-sample lists of point
            features / positions, embeds ``(B, G + N*K, C)``.
        """
        batch_size, _, num_frames, height, width = fmap.shape
        k = self.num_queries_per_object
        pos = sine_position_2d(batch_size, height, width, fmap.device,
                               self.embed_dims // 2)
        pos = pos[:, :, None].expand(-1, -1, num_frames, -1, -1)
        inits, feats, poss = [], [], []
        for b in range(batch_size):
            masks = [background_grid_masks(ref_masks[b], self.bg_grid_size)]
            if ref_masks[b].shape[0] > 0:
                masks.append(divide_object_masks(
                    ref_masks[b], k, None if names is None else names[b]))
            # official: no gradient into the feature map from mask queries
            with torch.set_grad_enabled(self.backprop_through_fmap):
                f, p = sample_mask_features(fmap[b], pos[b],
                                            torch.cat(masks),
                                            self.max_points,
                                            self.num_bg_queries)
                inits.append(torch.stack([x.mean(0) for x in f]))
            feats.append(f)
            poss.append(p)
        num_obj = ref_masks[0].shape[0] * k
        embeds = torch.cat([
            self.bg_query_embed.expand(batch_size, self.num_bg_queries, -1),
            self.mask_object_query_embed.expand(batch_size, num_obj, -1)
        ], 1)
        return torch.stack(inits), feats, poss, embeds

    def point_query_inits(self, fmaps: List[Tensor], coords: Tensor):
        """PET inits from normalised ``(y, x)`` points on the padded input.

        Args:
            fmaps (list[Tensor]): 4 maps ``(B, C, h_i, w_i)``, 1/32 .. 1/4.
            coords (Tensor): ``(B, N, 2)`` (y, x) in [0, 1].

        Returns:
            tuple: inits ``(B, N, C)``, per-sample lists of N key sets
            ``(4, C)``, their positions, embeds ``(B, N, C)``.
        """
        xy = coords.flip([2])  # (B, N, 2) x, y
        sampled = [point_sample_nearest(f, xy) for f in fmaps]  # (B, C, N)
        inits = self.point_vos_query_extractor.layers(
            torch.cat(sampled, 1).transpose(1, 2))  # (B, N, C)
        keys = torch.stack([
            self.proj_point_features[i](sampled[i].transpose(1, 2))
            for i in range(4)
        ], 2)  # (B, N, 4, C)
        batch_size, _, height, width = fmaps[-1].shape
        pos = sine_position_2d(batch_size, height, width, fmaps[-1].device,
                               self.embed_dims // 2)
        pos = point_sample_nearest(pos, xy).transpose(1, 2)  # (B, N, C)
        pos = pos[:, :, None].expand(-1, -1, 4, -1)  # (B, N, 4, C)
        embeds = self.point_object_query_embed.expand(
            batch_size, coords.shape[1], -1)
        return (inits, [list(k.unbind(0)) for k in keys.unbind(0)],
                [list(p.unbind(0)) for p in pos.unbind(0)], embeds)

    def refine(self, inits: Tensor, embeds: Tensor, feats: Tensor,
               pos: Tensor, padding: Tensor) -> Tensor:
        """Official ``refine_query_inits``: ``(B, N, C)`` -> ``(B, N, C)``;
        ``feats`` / ``pos`` ``(B, N, P, C)``, ``padding`` ``(B, N, P)``."""
        batch_size, num_queries = inits.shape[:2]
        keys = (feats + pos).flatten(0, 1)  # (B*N, P, C)
        values = feats.flatten(0, 1)
        kpm = padding.flatten(0, 1)  # (B*N, P)
        embed_rows = embeds.flatten(0, 1)[:, None]  # (B*N, 1, C)
        queries = inits
        for cross, self_attn, ffn in zip(self.cross_attn_layers,
                                         self.self_attn_layers,
                                         self.ffn_layers):
            q = queries + embeds
            queries = self_attn.norm(
                queries + self_attn.attn(q, q, queries)[0])
            rows = queries.flatten(0, 1)[:, None]  # (B*N, 1, C)
            rows = cross(rows, keys, values, query_pos=embed_rows,
                         key_padding_mask=kpm)
            rows = ffn(rows)
            queries = rows.view(batch_size, num_queries, -1)
        return queries

    def _finish(self, parts, num_mask: int, num_point: int) -> Dict:
        inits = torch.cat([p[0] for p in parts], 1)
        embeds = torch.cat([p[3] for p in parts], 1)
        batch_size = inits.shape[0]
        feats = [sum((p[1][b] for p in parts), []) for b in range(batch_size)]
        poss = [sum((p[2][b] for p in parts), []) for b in range(batch_size)]
        feats, poss, padding = pad_point_sets(feats, poss)
        queries = self.refine(inits, embeds, feats, poss, padding)
        k = self.num_queries_per_object
        bg, obj = queries.split(
            (self.num_bg_queries, queries.shape[1] - self.num_bg_queries), 1)
        flags = torch.tensor([True] * (k * num_mask) + [False] * num_point,
                             device=queries.device)
        return dict(
            object_queries=obj,
            bg_queries=bg,
            object_query_counts=[k] * num_mask + [1] * num_point,
            mask_vos_flag=flags)

    # ------------------------------------------------------------- forward
    def forward_train(self, fmaps: List[Tensor],
                      ref_masks: List[Tensor]) -> Dict:
        """Training queries (official ``forward_train``).

        Args:
            fmaps (list[Tensor]): 4 maps ``(B, C, 1, h_i, w_i)`` of the
                reference frame, 1/32 .. 1/4.
            ref_masks (list[Tensor]): B masks ``(N, 1, H, W)`` bool at the
                padded input size, same N in every sample.

        Returns:
            dict: ``object_queries`` ``(B, N_mask*K + N_point, C)``,
            ``bg_queries`` ``(B, G, C)``, ``object_query_counts`` (K per
            mask object then 1 per point object; objects keep their order:
            the LAST ``N_point`` objects are the point objects),
            ``mask_vos_flag``.
        """
        if len({m.shape[0] for m in ref_masks}) != 1:
            raise ValueError('TarViS VOS: every clip of a batch needs the '
                             'same number of objects, got '
                             f'{[m.shape[0] for m in ref_masks]}')
        num_objects = ref_masks[0].shape[0]
        num_point = int((torch.rand((num_objects, ), generator=self.rng) <
                         self.point_vos_likelihood).sum())
        num_mask = num_objects - num_point
        parts = [
            self.mask_query_inits(fmaps[-1],
                                  [m[:num_mask] for m in ref_masks])
        ]
        if num_point > 0:
            coords = torch.stack([
                masks_to_points(m[num_mask:, 0]) for m in ref_masks
            ])  # (B, N_point, 2) y, x
            parts.append(
                self.point_query_inits([f[:, :, 0] for f in fmaps], coords))
        return self._finish(parts, num_mask, num_point)

    def forward_infer(self,
                      fmap: Tensor,
                      ref_masks: Tensor,
                      point_fmaps: Optional[List[Tensor]] = None,
                      point_coords: Optional[Tensor] = None,
                      image_padding: Tuple[int, int] = (0, 0),
                      names: Optional[List[str]] = None) -> Dict:
        """Inference queries of one clip (official ``forward_infer``).

        Args:
            fmap (Tensor): ``(C, T', h, w)`` 1/4 map of the frames holding
                exemplars / overlap masks.
            ref_masks (Tensor): ``(N, T', 4h, 4w)`` bool mask objects.
            point_fmaps (list[Tensor], optional): 4 maps ``(N_p, C, h_i,
                w_i)``: each point object's exemplar frame.
            point_coords (Tensor, optional): ``(N_p, 2)`` (y, x) normalised
                to the UNPADDED image.
            image_padding (tuple[int, int]): ``(pad_right, pad_bottom)``.
            names (list[str], optional): Object descriptions for errors.

        Returns:
            dict: as :meth:`forward_train` with the batch dim removed.
        """
        parts = [
            self.mask_query_inits(fmap[None], [ref_masks],
                                  None if names is None else [names])
        ]
        num_point = 0
        if point_coords is not None and point_coords.shape[0] > 0:
            num_point = point_coords.shape[0]
            bad = ((point_coords < 0) | (point_coords > 1)).any(1)
            if bad.any():
                i = int(bad.nonzero()[0])
                what = names[ref_masks.shape[0] + i] if names else \
                    f'point object {i}'
                raise ValueError(
                    f'TarViS PET: the point of {what} (y, x normalised = '
                    f'{point_coords[i].tolist()}) lies outside the frame; '
                    'points must be inside the image')
            padded = (fmap.shape[-2] * 4, fmap.shape[-1] * 4)
            coords = adapt_point_coords(point_coords, image_padding, padded)
            inits, keys, pos, embeds = self.point_query_inits(
                point_fmaps, coords[:, None])  # batch = objects
            parts.append((inits.transpose(0, 1), [[k[0] for k in keys]],
                          [[p[0] for p in pos]], embeds.transpose(0, 1)))
        out = self._finish(parts, ref_masks.shape[0], num_point)
        out['object_queries'] = out['object_queries'][0]
        out['bg_queries'] = out['bg_queries'][0]
        return out

    def forward(self, mode: str = 'train', **kwargs) -> Dict:
        """``mode='train'`` -> :meth:`forward_train`, ``'infer'`` ->
        :meth:`forward_infer`."""
        if mode == 'train':
            return self.forward_train(**kwargs)
        if mode == 'infer':
            return self.forward_infer(**kwargs)
        raise ValueError(f"mode must be 'train' or 'infer', got {mode!r}")
