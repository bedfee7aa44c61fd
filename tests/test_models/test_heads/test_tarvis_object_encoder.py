# Copyright (c) mmvidseg contributors. All rights reserved.
import numpy as np
import pytest
import torch

from mmvidseg.models.heads.tarvis_object_encoder import TarViSObjectEncoder
from mmvidseg.models.heads.tarvis_vos_utils import (adapt_point_coords,
                                                    background_grid_masks,
                                                    divide_object_masks,
                                                    most_interior_point)

C = 32


def _encoder(**kw):
    torch.manual_seed(0)
    return TarViSObjectEncoder(
        embed_dims=C, num_heads=4, feedforward_channels=64, **kw)


def _fmaps(b, t, h=32, w=64):
    return [torch.randn(b, C, t, h // s, w // s) for s in (32, 16, 8, 4)]


def _box(n, t, h, w, boxes):
    m = torch.zeros(n, t, h, w, dtype=torch.bool)
    for i, (y0, y1, x0, x1) in enumerate(boxes):
        m[i, :, y0:y1, x0:x1] = True
    return m


def test_divide_disjoint_covering_raster_bands():
    m = _box(2, 2, 16, 16, [(2, 9, 3, 12), (0, 4, 0, 4)])
    parts = divide_object_masks(m, 4).view(2, 4, 2, 16, 16)
    for n in range(2):
        assert torch.equal(parts[n].any(0), m[n])  # covering
        assert int(parts[n].sum(0).max()) == 1  # disjoint
        sizes = parts[n].flatten(1).sum(1)
        assert int(sizes.max() - sizes.min()) <= 1
    # raster order: the first part holds the first frame's top rows
    assert parts[0, 0, 0, 2].any() and not parts[0, 0, 1].any()


def test_divide_tiny_mask_repeats_and_empty_raises():
    m = torch.zeros(1, 1, 8, 8, dtype=torch.bool)
    m[0, 0, 3, 3] = m[0, 0, 5, 6] = True
    parts = divide_object_masks(m, 8)
    assert parts.flatten(1).any(1).all()  # every part non-empty
    with pytest.raises(ValueError, match='object 7 of video v'):
        divide_object_masks(torch.zeros(1, 1, 8, 8, dtype=torch.bool), 4,
                            names=['object 7 of video v'])


def test_background_grid_excludes_objects():
    m = _box(1, 1, 32, 48, [(4, 20, 10, 30)])
    bg = background_grid_masks(m, (4, 4))
    assert bg.shape == (16, 1, 32, 48)
    assert not (bg & m[0]).any()
    assert torch.equal(bg.any(0), ~m.any(0))  # complement covered
    assert int(bg.sum(0).max()) == 1
    # the top-left cell is the top-left quarter-of-quarter of the frame
    assert bg[0, 0, :4, :12].all() and not bg[0, 0, 8:].any()
    assert not bg[0, 0, :, 12:].any()
    assert background_grid_masks(m[:0], (4, 4)).sum() == 32 * 48


def test_most_interior_point_and_ties():
    m = np.zeros((11, 11), bool)
    m[2:9, 1:10] = True  # 7 x 9 box: unique centre
    assert most_interior_point(m) == (5, 5)
    sq = np.zeros((12, 12), bool)
    sq[5:9, 5:9] = True  # 4 x 4: four tied pixels, equal L1 to centroid
    assert most_interior_point(sq) == (6, 6)
    L = np.zeros((10, 10), bool)
    L[1:4, 1:9] = True  # 3-high bar: row 2 ties, centroid picks x = 4
    L[1:9, 1:4] = True
    y, x = most_interior_point(L)
    assert L[y, x]


def test_adapt_point_coords():
    p = torch.tensor([[0.5, 1.0]])
    out = adapt_point_coords(p, (32, 16), (128, 128))
    assert torch.allclose(out, torch.tensor([[0.5 * 112 / 128,
                                              96 / 128]]))


def test_train_shapes_counts_and_point_task():
    enc = _encoder(point_vos_likelihood=0.0)
    enc.train()
    masks = [_box(2, 1, 32, 64, [(0, 10, 0, 20), (15, 30, 30, 60)])] * 2
    out = enc(mode='train', fmaps=_fmaps(2, 1), ref_masks=masks)
    assert out['object_queries'].shape == (2, 8, C)
    assert out['bg_queries'].shape == (2, 16, C)
    assert out['object_query_counts'] == [4, 4]
    enc = _encoder(point_vos_likelihood=1.0)
    enc.train()
    out = enc(mode='train', fmaps=_fmaps(2, 1), ref_masks=masks)
    assert out['object_query_counts'] == [1, 1]
    assert out['object_queries'].shape == (2, 2, C)
    assert not out['mask_vos_flag'].any()
    out['object_queries'].sum().backward()  # differentiable
    assert enc.point_vos_query_extractor.layers[0].weight.grad is not None


def test_point_task_draw_is_seeded():
    a, b = _encoder(), _encoder()
    draws = [(torch.rand(3, generator=e.rng) < 0.3).tolist()
             for e in (a, b)]
    assert draws[0] == draws[1]


def test_batched_equals_per_sample():
    enc = _encoder(point_vos_likelihood=0.0)
    enc.train()
    fm = _fmaps(2, 1)
    masks = [_box(1, 1, 32, 64, [(0, 10, 0, 20)]),
             _box(1, 1, 32, 64, [(5, 30, 8, 60)])]
    both = enc(mode='train', fmaps=fm, ref_masks=masks)
    for b in range(2):
        one = enc(mode='train', fmaps=[f[b:b + 1] for f in fm],
                  ref_masks=[masks[b]])
        assert torch.allclose(one['object_queries'][0],
                              both['object_queries'][b], atol=1e-5)
        assert torch.allclose(one['bg_queries'][0], both['bg_queries'][b],
                              atol=1e-5)


def test_infer_masks_points_one_frame_and_errors():
    enc = _encoder().eval()
    fm = _fmaps(1, 1)
    masks = _box(1, 1, 32, 64, [(0, 10, 0, 20)])
    pf = [f[:, :, 0].repeat(2, 1, 1, 1) for f in fm]
    with torch.no_grad():
        out = enc(mode='infer', fmap=fm[-1][0], ref_masks=masks,
                  point_fmaps=pf, point_coords=torch.tensor([[.2, .3],
                                                             [.9, .9]]),
                  image_padding=(0, 0))
    assert out['object_query_counts'] == [8, 1, 1]
    assert out['object_queries'].shape == (10, C)
    assert out['mask_vos_flag'].tolist() == [True] * 8 + [False] * 2
    with pytest.raises(ValueError, match='outside the frame'):
        enc(mode='infer', fmap=fm[-1][0], ref_masks=masks, point_fmaps=pf,
            point_coords=torch.tensor([[.2, .3], [1.2, .5]]))
    with pytest.raises(ValueError, match='empty'):
        enc(mode='infer', fmap=fm[-1][0], ref_masks=masks & False)
    with pytest.raises(ValueError, match='same number of objects'):
        enc.train()(mode='train', fmaps=_fmaps(2, 1),
                    ref_masks=[masks, masks[:0]])


def test_no_gradient_into_fmap_from_mask_queries():
    enc = _encoder(point_vos_likelihood=0.0)
    enc.train()
    fm = [f.requires_grad_() for f in _fmaps(1, 1)]
    masks = [_box(1, 1, 32, 64, [(0, 10, 0, 20)])]
    out = enc(mode='train', fmaps=fm, ref_masks=masks)
    out['object_queries'].sum().backward()
    assert fm[-1].grad is None  # official backprop_through_fmap=False
    assert enc.ffn_layers[0].mlp[0].weight.grad is not None
