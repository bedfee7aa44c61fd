# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest
import torch

from mmvidseg.models.heads.tarvis_decoder import (TarViSDecoder,
                                                  hard_attention_mask)
from mmvidseg.models.heads.tarvis_embedding_container import \
    TarViSEmbeddingContainer

C = 32
GROUPS = ['instance', 'background', 'semantic']


def build(num_layers=3):
    torch.manual_seed(0)
    dec = TarViSDecoder(embed_dims=C, num_heads=4, feedforward_channels=64,
                        num_layers=num_layers)
    dec.init_weights()
    ec = TarViSEmbeddingContainer(dict(A=3, B=2), num_instance_queries=5,
                                  num_background_queries=2, embed_dims=C)
    return dec.eval(), ec


def inputs(batch, num_frames, size=64, seed=1):
    g = torch.Generator().manual_seed(seed)
    feats = [torch.randn(batch, C, num_frames, size // s, size // s,
                         generator=g) for s in (32, 16, 8)]
    mask_features = torch.randn(batch, C, num_frames, size // 4, size // 4,
                                generator=g)
    return feats, mask_features


def run(dec, ec, feats, mask_features, dataset='A'):
    inits, embeds, sizes = ec.query_set(GROUPS, feats[0].shape[0], dataset)
    return dec(feats, mask_features, inits, embeds, GROUPS, sizes)


def test_shapes_and_class_logits_background_first():
    dec, ec = build()
    feats, mf = inputs(2, 3)
    out = run(dec, ec, feats, mf)
    assert out['mask_logits'].shape == (4, 2, 5 + 2 + 3, 3, 16, 16)
    assert out['class_logits'].shape == (4, 2, 5, 1 + 3)
    assert out['queries'].shape == (4, 2, 10, C)
    # layer 0: heads on the raw inits, by hand
    q = dec.decoder_norm(out['queries'][0, 0])
    inst = dec.proj_layers['instance'](q[:5])
    bg = dec.proj_layers['background'](q[5:7])
    sem = dec.proj_layers['semantic'](q[7:])
    expected = torch.cat([(inst @ bg.T).max(1, keepdim=True)[0],
                          inst @ sem.T], 1)
    torch.testing.assert_close(out['class_logits'][0, 0], expected)
    mq = dec.mask_embeds['background'](q[5:7])
    torch.testing.assert_close(
        out['mask_logits'][0, 0, 5:7],
        torch.einsum('cthw,qc->qthw', mf[0], mq))


def test_batched_equals_per_sample():
    dec, ec = build()
    feats, mf = inputs(2, 2)
    out = run(dec, ec, feats, mf)
    for b in range(2):
        single = run(dec, ec, [f[b:b + 1] for f in feats], mf[b:b + 1])
        torch.testing.assert_close(out['mask_logits'][:, b],
                                   single['mask_logits'][:, 0],
                                   rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(out['class_logits'][:, b],
                                   single['class_logits'][:, 0],
                                   rtol=1e-4, atol=1e-4)


def test_one_frame_clip_and_dataset_switch():
    dec, ec = build()
    feats, mf = inputs(1, 1)
    out = run(dec, ec, feats, mf, dataset='B')
    assert out['mask_logits'].shape == (4, 1, 9, 1, 16, 16)
    assert out['class_logits'].shape == (4, 1, 5, 3)
    assert torch.isfinite(out['mask_logits']).all()


def test_hard_mask_resizes_and_unmasks_full_rows():
    logits = torch.full((1, 3, 2, 8, 8), -5.0)
    logits[0, 0, :, :4, :4] = 5.0  # query 0: top-left quarter of both frames
    logits[0, 2] = 5.0  # query 2: everywhere
    mask = hard_attention_mask(logits, (2, 4, 4), num_heads=2)
    assert mask.shape == (2, 3, 2 * 4 * 4)
    m = mask[0].view(3, 2, 4, 4)
    assert not m[0, :, :2, :2].any() and m[0, :, 2:, :].all()
    assert not m[1].any()  # fully masked row -> attends everywhere
    assert not m[2].any()
    assert torch.equal(mask[0], mask[1])  # repeated per head


def test_masked_cross_attention_ignores_masked_memory():
    """Memory a query may not attend to does not change its output."""
    dec, _ = build(num_layers=1)
    attn = dec.layers[0].cross_attn
    g = torch.Generator().manual_seed(0)
    query = torch.randn(1, 3, C, generator=g)
    memory = torch.randn(1, 2 * 4 * 4, C, generator=g)
    logits = torch.full((1, 3, 2, 4, 4), -5.0)
    logits[0, 0, :, :2, :2] = 5.0
    mask = hard_attention_mask(logits, (2, 4, 4), num_heads=4)
    out = attn(query=query, key=memory, value=memory, attn_mask=mask)
    memory2 = memory.clone()
    blocked = mask[0, 0]  # (32,) True = not attended by query 0
    memory2[0, blocked] += 10.0
    out2 = attn(query=query, key=memory2, value=memory2, attn_mask=mask)
    torch.testing.assert_close(out2[0, 0], out[0, 0])
    assert not torch.allclose(out2[0, 1], out[0, 1])  # row 1 unmasked


def test_hard_mask_shared_by_heads():
    logits = torch.randn(2, 3, 2, 8, 8)
    shared = hard_attention_mask(logits, (2, 4, 4))
    per_head = hard_attention_mask(logits, (2, 4, 4), num_heads=4)
    assert shared.shape == (2, 3, 32) and per_head.shape == (8, 3, 32)
    assert torch.equal(per_head, shared.repeat_interleave(4, dim=0))


def _outputs_and_grads(dec, ec, feats, mf):
    feats = [f.clone().requires_grad_() for f in feats]
    mf = mf.clone().requires_grad_()
    out = run(dec, ec, feats, mf)
    g = torch.Generator().manual_seed(3)
    loss = sum((v * torch.randn(v.shape, generator=g, dtype=v.dtype)).sum()
               for v in out.values())
    dec.zero_grad()
    loss.backward()
    return ([out[k] for k in sorted(out)] + [f.grad for f in feats] +
            [mf.grad] + [p.grad for p in dec.parameters()
                         if p.grad is not None])


def test_sdpa_attention_equals_official_attention_with_grads():
    """``attention='sdpa'`` (one mask for all heads, SDPA) reproduces the
    official ``nn.MultiheadAttention`` path, outputs and gradients."""
    dec, ec = build()
    dec, ec = dec.double().train(), ec.double()
    feats, mf = inputs(2, 2)
    feats, mf = [f.double() for f in feats], mf.double()
    assert dec.attention == 'sdpa'
    assert all(type(l.cross_attn).__name__ == 'SDPAMultiheadAttention'
               for l in dec.layers)
    sdpa = _outputs_and_grads(dec, ec, feats, mf)
    dec.set_attention('official')
    official = _outputs_and_grads(dec, ec, feats, mf)
    assert len(sdpa) == len(official) > 10
    for a, b in zip(sdpa, official):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)
    # hard masks are really in use: some memory is masked for some query
    out = run(dec.eval(), ec, feats, mf)
    mask = hard_attention_mask(out['mask_logits'][0], (2, 2, 2))
    assert mask.any()


def test_no_grad_buffer_and_last_only():
    dec, ec = build()
    feats, mf = inputs(1, 2)
    inits, embeds, sizes = ec.query_set(GROUPS, 1, 'A')
    with torch.enable_grad():
        ref = dec(feats, mf, inits, embeds, GROUPS, sizes)
    with torch.no_grad():
        full = dec(feats, mf, inits, embeds, GROUPS, sizes)
        last = dec(feats, mf, inits, embeds, GROUPS, sizes, last_only=True)
    for key in ('mask_logits', 'class_logits', 'queries'):
        assert full[key].shape == ref[key].shape
        assert last[key].shape == (1, *ref[key].shape[1:])
        torch.testing.assert_close(full[key], ref[key].detach(), rtol=0,
                                   atol=0)
        torch.testing.assert_close(last[key], ref[key][-1:].detach(),
                                   rtol=0, atol=0)


def test_attention_choice_is_checked():
    with pytest.raises(ValueError, match="'sdpa' or 'official'"):
        TarViSDecoder(embed_dims=C, num_heads=4, attention='flash')
