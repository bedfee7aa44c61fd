# Copyright (c) mmvidseg contributors. All rights reserved.
"""Mask / point helpers of the TarViS VOS / PET object encoder.

Re-implements ``Ali2500/TarViS: tarvis/modelling/vos_pet_helpers/utils.py``
and ``pet_query_initializer.py`` (``mask_to_point``, ``adapt_point_coords``)
with the same ordering, tie-breaking and random-number order.
"""
import math
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from scipy.ndimage import distance_transform_edt
from torch import Tensor


def sine_position_2d(batch_size: int, height: int, width: int,
                     device: torch.device, num_feats: int = 128,
                     temperature: float = 10000.) -> Tensor:
    """Un-normalised 2-D sine position embedding (official
    ``PositionEmbeddingSine2D(num_dims // 2)``, DETR layout).

    Returns:
        Tensor: ``(B, 2 * num_feats, H, W)``, ``cat(pos_y, pos_x)``.
    """
    ones = torch.ones((batch_size, height, width), device=device)
    y_embed = ones.cumsum(1)  # 1..H
    x_embed = ones.cumsum(2)  # 1..W
    dim_t = torch.arange(num_feats, dtype=torch.float32, device=device)
    dim_t = temperature**(2 * torch.div(dim_t, 2, rounding_mode='trunc') /
                          num_feats)
    pos_x = x_embed[..., None] / dim_t  # (B, H, W, F)
    pos_y = y_embed[..., None] / dim_t
    pos_x = torch.stack((pos_x[..., 0::2].sin(), pos_x[..., 1::2].cos()),
                        dim=4).flatten(3)
    pos_y = torch.stack((pos_y[..., 0::2].sin(), pos_y[..., 1::2].cos()),
                        dim=4).flatten(3)
    return torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)


def point_sample_nearest(fmap: Tensor, coords: Tensor) -> Tensor:
    """``grid_sample(nearest, align_corners=False)`` at normalised points.

    Args:
        fmap (Tensor): ``(B, C, H, W)`` or ``(B, C, T, H, W)``.
        coords (Tensor): ``(B, P, 2)`` (x, y) or ``(B, P, 3)`` (x, y, t) in
            [0, 1]; points outside give zeros.

    Returns:
        Tensor: ``(B, C, P)``.
    """
    grid = 2.0 * coords - 1.0
    if fmap.dim() == 5:
        out = F.grid_sample(fmap, grid[:, :, None, None], mode='nearest',
                            align_corners=False)  # (B, C, P, 1, 1)
        return out.flatten(2)
    out = F.grid_sample(fmap, grid[:, :, None], mode='nearest',
                        align_corners=False)  # (B, C, P, 1)
    return out.squeeze(3)


@torch.no_grad()
def background_grid_masks(object_masks: Tensor,
                          grid_size: Sequence[int]) -> Tensor:
    """HODOR-style background masks: a grid over the frame minus objects.

    Official ``generate_background_masks`` for one sample: cell of pixel
    ``(y, x)`` = ``linspace(-0.499, g - 1 + 0.499, size).round()``.

    Args:
        object_masks (Tensor): ``(N, T, H, W)`` bool (N may be 0).
        grid_size (Sequence[int]): ``(grid_h, grid_w)``.

    Returns:
        Tensor: ``(grid_h * grid_w, T, H, W)`` bool, cells in raster order.
    """
    num_frames, height, width = object_masks.shape[-3:]
    grid_h, grid_w = int(grid_size[0]), int(grid_size[1])
    dev = object_masks.device
    cy = torch.linspace(-0.499, grid_h - 1 + 0.499, height,
                        device=dev).round().long()
    cx = torch.linspace(-0.499, grid_w - 1 + 0.499, width,
                        device=dev).round().long()
    cells = cy[:, None] * grid_w + cx[None, :]  # (H, W)
    bg = torch.stack([cells == i for i in range(grid_h * grid_w)])
    bg = bg[:, None].expand(-1, num_frames, -1, -1)  # (G, T, H, W)
    fg = object_masks.bool().any(0, keepdim=True)  # (1, T, H, W)
    return bg & ~fg


@torch.no_grad()
def divide_object_masks(object_masks: Tensor, num_divisions: int,
                        names: Optional[Sequence[str]] = None) -> Tensor:
    """Split each object's mask into ``num_divisions`` disjoint parts.

    Official ``divide_object_masks``: the non-zero ``(t, y, x)`` coordinates
    in raster order are cut by ``tensor_split`` (parts are horizontal bands,
    sizes differ by at most one); an object with fewer pixels than parts
    repeats its pixel list first (parts then overlap).

    Args:
        object_masks (Tensor): ``(N, T, H, W)`` bool / uint8.
        num_divisions (int): Parts per object.
        names (Sequence[str], optional): Per-object description used in
            the error for an empty mask.

    Returns:
        Tensor: ``(N * num_divisions, T, H, W)`` bool, object-major.
    """
    num_objects = object_masks.shape[0]
    out = object_masks.new_zeros(
        (num_objects * num_divisions, *object_masks.shape[1:]),
        dtype=torch.bool)
    for n in range(num_objects):
        coords = object_masks[n].nonzero(as_tuple=False)  # (P, 3) t, y, x
        if coords.shape[0] == 0:
            what = names[n] if names is not None else f'object {n}'
            raise ValueError(
                f'TarViS object encoder: the exemplar mask of {what} is '
                'empty (at the network input size); give a non-empty mask '
                'or drop the object')
        if coords.shape[0] < num_divisions:
            coords = coords.repeat(
                int(math.ceil(num_divisions / coords.shape[0])), 1)
        for i, part in enumerate(coords.tensor_split(num_divisions, 0)):
            out[n * num_divisions + i, part[:, 0], part[:, 1],
                part[:, 2]] = True
    return out


def most_interior_point(mask: np.ndarray) -> Tuple[int, int]:
    """Pixel ``(y, x)`` farthest from the mask boundary (official
    ``PETQueryInitializer._mask_to_point``).

    EDT argmax; ties go to the point with the smallest L1 distance to the
    mask centroid, then to the first in raster order.
    """
    dist = distance_transform_edt(mask, return_distances=True)
    ys, xs = np.nonzero(dist == np.max(dist))
    if len(ys) > 1:
        my, mx = np.nonzero(mask)
        mean_y = np.mean(my.astype(np.float32))
        mean_x = np.mean(mx.astype(np.float32))
        idx = np.argmin(np.abs(xs - mean_x) + np.abs(ys - mean_y))
        return int(ys[idx]), int(xs[idx])
    return int(ys[0]), int(xs[0])


def masks_to_points(masks: Tensor, coord_offset: float = 0.5) -> Tensor:
    """Most interior points of ``(N, H, W)`` masks as normalised
    ``((y + offset) / H, (x + offset) / W)``, ``(N, 2)`` float32."""
    dims = torch.tensor(masks.shape[-2:], dtype=torch.float32,
                        device=masks.device)
    arr = masks.bool().cpu().numpy()
    pts = torch.as_tensor([most_interior_point(m) for m in arr],
                          dtype=torch.float32,
                          device=masks.device).reshape(-1, 2)
    return (pts + coord_offset) / dims


def adapt_point_coords(coords: Tensor, image_padding: Tuple[int, int],
                       padded_size: Tuple[int, int]) -> Tensor:
    """Point ``(y, x)`` normalised to the unpadded image -> to the padded
    one (official ``adapt_point_coords``)."""
    height, width = padded_size
    pad_right, pad_bottom = image_padding
    unpadded = torch.tensor([float(height - pad_bottom),
                             float(width - pad_right)]).to(coords)
    pad = torch.as_tensor([pad_bottom, pad_right]).to(coords)
    return coords * unpadded / (unpadded + pad)


def sample_mask_features(fmap: Tensor, pos: Tensor, masks: Tensor,
                         max_points: int,
                         num_bg_masks: int) -> Tuple[List[Tensor],
                                                     List[Tensor]]:
    """Features / position embeds at every pixel of every mask.

    Official ``sample_features_from_masks`` for one sample: masks at the
    input resolution are read from the 1/4 map by nearest sampling at
    ``((x, y, t) + 0.5) / (W, H, T)``; a mask with more than ``max_points``
    pixels keeps ``torch.randperm(P)[:max_points]`` (global generator, same
    draw order as the official); an empty background mask becomes one
    out-of-frame point (zero feature).

    Args:
        fmap (Tensor): ``(C, T, h, w)``.
        pos (Tensor): ``(C, T, h, w)``.
        masks (Tensor): ``(M, T, H, W)`` bool, background masks first.
        max_points (int): Point cap per mask.
        num_bg_masks (int): Leading masks allowed to be empty.

    Returns:
        tuple[list[Tensor], list[Tensor]]: M tensors ``(P_i, C)`` each.
    """
    num_frames, height, width = masks.shape[-3:]
    norm = torch.tensor([width, height, num_frames]).to(fmap)[None]
    coords, counts = [], []
    with torch.no_grad():
        for i in range(masks.shape[0]):
            pts = masks[i].nonzero(as_tuple=False)  # (P, 3) t, y, x
            if 0 < max_points < pts.shape[0]:
                pts = pts[torch.randperm(pts.shape[0])[:max_points]]
            elif pts.shape[0] == 0:
                if i >= num_bg_masks:
                    raise ValueError(f'object mask {i - num_bg_masks} is '
                                     'empty; it cannot initialise a query')
                pts = pts.new_full((1, 3), -1)
            coords.append(pts)
            counts.append(pts.shape[0])
        coords = (torch.cat(coords).float().flip([1]) + 0.5) / norm
    both = torch.cat((fmap, pos), 0)[None]  # (1, 2C, T, h, w)
    sampled = point_sample_nearest(both, coords[None])[0].t()  # (P, 2C)
    feats, pos_feats = sampled.split(fmap.shape[0], 1)
    return list(feats.split(counts, 0)), list(
        pos_feats.detach().split(counts, 0))


def pad_point_sets(features: List[List[Tensor]],
                   pos: List[List[Tensor]]) -> Tuple[Tensor, Tensor, Tensor]:
    """Zero-pad per-query point sets to one length (official
    ``pad_batched_sampled_features``).

    Returns:
        tuple[Tensor, Tensor, Tensor]: features and pos ``(B, N, P, C)``,
        key padding mask ``(B, N, P)`` (True = padding).
    """
    length = max(x.shape[0] for sample in features for x in sample)
    out_f, out_p, out_m = [], [], []
    for feats_b, pos_b in zip(features, pos):
        fb, pb, mb = [], [], []
        for f, p in zip(feats_b, pos_b):
            n_pad = length - f.shape[0]
            fb.append(torch.cat([f, f.new_zeros(n_pad, f.shape[1])]))
            pb.append(torch.cat([p, p.new_zeros(n_pad, p.shape[1])]))
            m = torch.zeros(length, dtype=torch.bool, device=f.device)
            m[f.shape[0]:] = True
            mb.append(m)
        out_f.append(torch.stack(fb))
        out_p.append(torch.stack(pb))
        out_m.append(torch.stack(mb))
    return (torch.stack(out_f), torch.stack(out_p).detach(),
            torch.stack(out_m))
