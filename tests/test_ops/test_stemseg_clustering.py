# Copyright (c) mmvidseg contributors. All rights reserved.
"""The C++ STEm-Seg clustering kernel against the PyTorch reference loop."""
import pytest
import torch

from mmvidseg.models.trackers.stemseg_clustering import (
    sequential_clustering, sequential_clustering_reference,
    sequential_clustering_torch)
from mmvidseg.ops import ext_loader
from mmvidseg.ops.stemseg_clustering import (squared_distance_threshold,
                                             stemseg_clustering_kernel)

needs_kernel = pytest.mark.skipif(
    ext_loader.get_ext() is None
    or not hasattr(ext_loader.get_ext(), 'stemseg_clustering'),
    reason='mmvidseg.ops._ext is not built')


FREE = 1. / torch.tensor([0.3, 0.3])**2


def _blob_inputs():
    g = torch.Generator().manual_seed(3)
    emb = torch.randn(3, 4, generator=g).repeat_interleave(100, 0) \
        + 0.1 * torch.randn(300, 4, generator=g)
    return emb, torch.full((300, 2), 20.), torch.rand(300, generator=g)


def _case(seed: int):
    """A random clustering problem; some cases quantise the inputs so that
    seediness maxima and cluster distances tie."""
    g = torch.Generator().manual_seed(seed)

    def randint(lo, hi):
        return int(torch.randint(lo, hi, (1, ), generator=g))

    num_pts, dims = randint(0, 1500), randint(1, 6)
    num_free = randint(0, dims + 1)
    num_inst = randint(1, 8)
    centers = torch.randn(num_inst, dims, generator=g) * 1.2
    owner = torch.randint(0, num_inst, (num_pts, ), generator=g)
    emb = centers[owner] + 0.15 * torch.randn(num_pts, dims, generator=g)
    bw = torch.rand(num_pts, dims - num_free, generator=g) * 10 + 5
    seediness = torch.rand(num_pts, 1, generator=g)
    free_bw = torch.rand(num_free, generator=g) * 10 + 5
    if seed % 3 == 0:  # ties everywhere
        emb, seediness = (emb * 4).round() / 4, (seediness * 4).round() / 4
        bw, free_bw = bw.round(), free_bw.round()
    kwargs = dict(
        max_instances=randint(0, 25),
        min_seediness_prob=float(torch.rand(1, generator=g)) * 0.9,
        primary_prob_thr=0.5 if seed % 2 else 0.6,
        secondary_prob_thr=0.3 if seed % 2 else 0.1,
        label_start=randint(1, 50))
    return (emb, bw, seediness, free_bw), kwargs


@needs_kernel
@pytest.mark.parametrize('seed', range(60))
def test_kernel_equals_reference(seed):
    args, kwargs = _case(seed)
    ref, ref_ids = sequential_clustering_reference(*args, **kwargs)
    out = stemseg_clustering_kernel(*args, **kwargs)
    assert out is not None
    labels, ids = out
    assert labels.dtype == torch.long and labels.shape == ref.shape
    assert torch.equal(labels, ref)
    assert ids == ref_ids
    # the dispatcher takes the kernel and agrees too
    assert torch.equal(sequential_clustering(*args, **kwargs)[0], ref)


@needs_kernel
def test_kernel_larger_case_and_max_instances_quirk():
    # many points, the loop stops at max_instances: the secondary pass may
    # re-assign the last cluster's points (the reference's quirk)
    g = torch.Generator().manual_seed(0)
    centers = torch.randn(12, 4, generator=g)
    emb = centers[torch.randint(0, 12, (20000, ), generator=g)] \
        + 0.2 * torch.randn(20000, 4, generator=g)
    bw = torch.rand(20000, 2, generator=g) * 10 + 15
    seediness = torch.rand(20000, generator=g)
    free_bw = 1. / torch.tensor([0.3, 0.3])**2
    for max_instances in (3, 20):
        ref = sequential_clustering_reference(
            emb, bw, seediness, free_bw, max_instances=max_instances)
        out = stemseg_clustering_kernel(
            emb, bw, seediness, free_bw, max_instances=max_instances)
        assert torch.equal(out[0], ref[0]) and out[1] == ref[1]
        assert len(ref[1]) == max_instances


@pytest.mark.parametrize('prob_thr', [0.5, 0.3, 0.1, 0.8, 1e-6])
def test_squared_distance_threshold_is_torch_boundary(prob_thr):
    s_thr = squared_distance_threshold(prob_thr)
    below = torch.tensor(s_thr, dtype=torch.float32)
    below = torch.nextafter(below, torch.tensor(0.))
    values = torch.stack(
        [below, torch.tensor(s_thr),
         torch.tensor(0.), below / 2, torch.tensor(s_thr * 2)])
    probs = (-0.5 * values.sqrt()).exp()  # the reference's expression
    assert (probs > prob_thr).tolist() == [True, False, True, True, False]


def test_squared_distance_threshold_out_of_range():
    assert squared_distance_threshold(1.0) is None
    assert squared_distance_threshold(0.0) is None
    assert squared_distance_threshold(-0.5) is None


@needs_kernel
def test_kernel_declines_what_it_cannot_reproduce():
    args, kwargs = _case(1)
    emb, bw, seediness, free_bw = args
    # float64, more than 5 embedding dims, non-finite values, thresholds
    # outside (0, 1): None, and sequential_clustering uses PyTorch
    assert stemseg_clustering_kernel(emb.double(), bw.double(),
                                     seediness.double(),
                                     free_bw.double()) is None
    wide = torch.rand(50, 6)
    assert stemseg_clustering_kernel(wide, torch.rand(50, 6), torch.rand(50),
                                     torch.zeros(0)) is None
    emb, bw, seediness = _blob_inputs()
    bad = emb.clone()
    bad[3, 0] = float('nan')
    assert stemseg_clustering_kernel(bad, bw, seediness, FREE) is None
    neg = bw.clone()
    neg[0, 0] = -1.
    assert stemseg_clustering_kernel(emb, neg, seediness, FREE) is None
    assert stemseg_clustering_kernel(
        emb, bw, seediness, FREE, primary_prob_thr=1.0) is None
    ref = sequential_clustering_reference(emb, bw, seediness, FREE,
                                          primary_prob_thr=1.0)
    out = sequential_clustering(emb, bw, seediness, FREE,
                                primary_prob_thr=1.0)
    assert torch.equal(out[0], ref[0]) and out[1] == ref[1]


def test_missing_extension_falls_back_to_torch(monkeypatch):
    monkeypatch.setattr(ext_loader, '_ext', None)
    emb, bw, seediness = _blob_inputs()
    assert stemseg_clustering_kernel(emb, bw, seediness, FREE) is None
    ref = sequential_clustering_reference(emb, bw, seediness, FREE)
    out = sequential_clustering(emb, bw, seediness, FREE)
    torch_out = sequential_clustering_torch(emb, bw, seediness, FREE)
    assert torch.equal(out[0], ref[0]) and out[1] == ref[1]
    assert torch.equal(torch_out[0], ref[0])
    assert len(ref[1]) >= 3 and (ref[0] >= 1).sum() > 250
