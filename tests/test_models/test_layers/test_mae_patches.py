# Copyright (c) mmvidseg contributors. All rights reserved.
"""Video-TTT patch masking and recon-patch un-folding."""
import pytest
import torch

from mmvidseg.models.layers.mae_patches import (random_patch_mask,
                                                unpatchify_recon)


def _blocks_constant(mask, p):
    """Every p x p block (from the top-left, border blocks cropped) holds
    one value: the mask equals its block corners repeated p times."""
    h, w = mask.shape[-2:]
    corners = mask[..., ::p, ::p]
    up = corners.repeat_interleave(p, -2).repeat_interleave(p, -1)
    return torch.equal(up[..., :h, :w], mask)


@pytest.mark.parametrize('h,w', [(64, 96), (1024, 1024), (512, 1024)])
def test_mask_ratio_and_patch_alignment(h, w):
    masks = random_patch_mask(3, h, w, mask_ratio=0.85, patch_size=16,
                              generator=torch.Generator().manual_seed(0))
    assert masks.shape == (3, 1, h, w) and masks.dtype == torch.float32
    assert set(masks.unique().tolist()) <= {0.0, 1.0}
    num_patches = (h // 16) * (w // 16)
    keep = int(num_patches * (1 - 0.85))  # official len_keep
    assert keep > 0
    assert masks.sum(dim=(1, 2, 3)).tolist() == [keep * 256.0] * 3
    assert _blocks_constant(masks, 16)
    # a shifted grid is not constant (the alignment is the top-left one)
    assert not _blocks_constant(masks[..., 8:, 8:], 16)
    # the three images of the batch are independent draws
    assert not torch.equal(masks[0], masks[1])


def test_mask_matches_explicit_official_procedure():
    """Same RNG stream as DropoutConcatAug: one (1, L) rand per image, the
    len_keep patches of smallest noise kept, patches row-major."""
    h, w, p, ratio = 48, 80, 16, 0.85
    gh, gw = h // p, w // p
    torch.manual_seed(7)
    ours = random_patch_mask(2, h, w, ratio, p)
    torch.manual_seed(7)
    for b in range(2):
        noise = torch.rand(1, gh * gw)[0]
        keep = int(gh * gw * (1 - ratio))
        kept = set(noise.argsort()[:keep].tolist())
        for l in range(gh * gw):
            r, c = divmod(l, gw)
            expect = 1.0 if l in kept else 0.0
            assert torch.all(ours[b, 0, r * p:(r + 1) * p,
                                  c * p:(c + 1) * p] == expect)


def test_mask_sizes_not_multiple_of_patch():
    masks = random_patch_mask(2, 40, 50, 0.5, 16,
                              generator=torch.Generator().manual_seed(1))
    assert masks.shape == (2, 1, 40, 50)
    assert _blocks_constant(masks, 16)
    # ceil grid 3 x 4 = 12 patches, int(12 * 0.5) = 6 kept
    grid = masks[:, 0, ::16, ::16]
    assert grid.sum(dim=(1, 2)).tolist() == [6.0, 6.0]


def test_mask_generator_reproducible_and_errors():
    a = random_patch_mask(2, 32, 32, generator=torch.Generator().manual_seed(3))
    b = random_patch_mask(2, 32, 32, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)
    with pytest.raises(ValueError, match='mask_ratio'):
        random_patch_mask(1, 32, 32, mask_ratio=1.0)
    with pytest.raises(ValueError, match='positive'):
        random_patch_mask(1, 0, 32)


def test_unpatchify_matches_explicit_official_order():
    """ReconCriterion: reshape(B, 3, p, p, h, w) + einsum('bcpqhw->bchpwq'):
    channel c * p * p + i * p + j at (y, x) is pixel (y * p + i, x * p + j)
    of colour c."""
    p, h, w = 4, 3, 5
    pred = torch.randn(2, 3 * p * p, h, w)
    out = unpatchify_recon(pred, p)
    assert out.shape == (2, 3, h * p, w * p)
    expect = torch.empty_like(out)
    for c in range(3):
        for i in range(p):
            for j in range(p):
                for y in range(h):
                    for x in range(w):
                        expect[:, c, y * p + i, x * p + j] = \
                            pred[:, c * p * p + i * p + j, y, x]
    assert torch.equal(out, expect)


def test_unpatchify_wrong_channels():
    with pytest.raises(ValueError, match='num_queries'):
        unpatchify_recon(torch.zeros(1, 47, 2, 2), 4)
