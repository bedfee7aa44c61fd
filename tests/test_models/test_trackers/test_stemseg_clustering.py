# Copyright (c) mmvidseg contributors. All rights reserved.
import numpy as np
import pytest
import torch
from scipy.optimize import linear_sum_assignment

from mmvidseg.models.trackers.stemseg_clustering import (
    TrackStitcher, associate_clusters, get_clip_frame_indices,
    official_label_order, sequential_clustering,
    sequential_clustering_reference)

FREE_BW = 1. / torch.tensor([0.3, 0.3])**2


def test_clip_indices_reference_cases():
    # YouTube-VIS 8 / 4: stride 4, last clip aligned to the end
    assert get_clip_frame_indices(20, 8, 4) == [
        list(range(0, 8)), list(range(4, 12)), list(range(8, 16)),
        list(range(12, 20))]
    assert get_clip_frame_indices(10, 8, 4) == [
        list(range(0, 8)), list(range(2, 10))]
    # DAVIS 16 / 6
    assert get_clip_frame_indices(30, 16, 6) == [
        list(range(0, 16)), list(range(10, 26)), list(range(14, 30))]
    # shorter than a clip: left padded with frame 0
    assert get_clip_frame_indices(3, 8, 4) == [[0] * 5 + [0, 1, 2]]
    assert get_clip_frame_indices(1, 8, 4) == [[0] * 8]
    assert get_clip_frame_indices(8, 8, 4) == [list(range(8))]
    with pytest.raises(ValueError, match='overlap'):
        get_clip_frame_indices(10, 8, 8)


def _blobs(seed, num_clusters=4, pts=300, dims=4):
    g = torch.Generator().manual_seed(seed)
    centers = torch.randn(num_clusters, dims, generator=g) * 1.5
    emb = torch.cat([
        c + 0.15 * torch.randn(pts, dims, generator=g) for c in centers])
    emb = emb[torch.randperm(emb.shape[0], generator=g)]
    bw = torch.rand(emb.shape[0], dims - 2, generator=g) * 20 + 5
    seed_ = torch.rand(emb.shape[0], 1, generator=g)
    return emb, bw, seed_


@pytest.mark.parametrize('seed', range(6))
@pytest.mark.parametrize('max_instances', [2, 20])
def test_fast_equals_reference(seed, max_instances):
    emb, bw, seediness = _blobs(seed)
    kwargs = dict(max_instances=max_instances, label_start=3,
                  min_seediness_prob=0.5)
    ref, ref_ids = sequential_clustering_reference(emb, bw, seediness,
                                                   FREE_BW, **kwargs)
    fast, fast_ids = sequential_clustering(emb, bw, seediness, FREE_BW,
                                           **kwargs)
    assert torch.equal(ref, fast)
    assert ref_ids == fast_ids
    assert len(ref_ids) > 1


def test_fast_equals_reference_xyt_no_free_dims():
    emb, _, seediness = _blobs(7, dims=3)
    bw = torch.full((emb.shape[0], 3), 8.)
    empty = torch.zeros(0)
    ref, _ = sequential_clustering_reference(emb, bw, seediness, empty)
    fast, _ = sequential_clustering(emb, bw, seediness, empty)
    assert torch.equal(ref, fast)


def test_clustering_hand_made():
    # two tight groups; seeds at index 1 (group A) then index 3 (group B)
    emb = torch.tensor([[0., 0.], [0.01, 0.], [5., 5.], [5., 5.01],
                        [0.6, 0.]])
    bw = torch.ones(5, 2)
    seed = torch.tensor([0.5, 0.9, 0.7, 0.85, 0.1])
    empty = torch.zeros(0)
    for fn in (sequential_clustering, sequential_clustering_reference):
        labels, ids = fn(emb, bw, seed, empty, min_seediness_prob=0.8)
        # point 4: d = sqrt(0.59**2) = 0.59 -> exp(-0.295) = 0.74 > 0.5
        # group B: point 2 has seed 0.7 < 0.8 but lies next to seed 3
        assert labels.tolist() == [1, 1, 2, 2, 1]
        assert ids == [1, 2]


def test_secondary_pass_takes_farthest_cluster():
    # leftover point x=1.3: prob to centre 0 is exp(-0.65)=0.52 > 0.5, so
    # make it take the primary pass off by using bandwidth 1.5
    emb = torch.tensor([[0.], [2.], [1.2]])
    bw = torch.ones(3, 1) * 1.0
    seed = torch.tensor([0.9, 0.85, 0.1])
    empty = torch.zeros(0)
    # d(1.2, 0) = 1.2 -> 0.549 > 0.5 primary -> cluster 1 takes it
    labels, _ = sequential_clustering(emb, bw, seed, empty)
    assert labels.tolist() == [1, 2, 1]
    # with bandwidth 2: d = sqrt(2 * 1.44) = 1.697 -> p = 0.428 (< 0.5 and
    # > 0.3) to cluster 1; d to cluster 2 = sqrt(2 * 0.64) = 1.131 ->
    # p = 0.568 > 0.5: primary pass of cluster 2 takes it
    labels, _ = sequential_clustering(emb, bw * 2, seed, empty)
    assert labels.tolist() == [1, 2, 2]
    # bandwidth 3.2: p1 = exp(-0.5 * sqrt(4.608)) = 0.342, p2 = exp(-0.5 *
    # sqrt(2.048)) = 0.489 (not > 0.5) -> the secondary pass picks the
    # FARTHEST cluster (1, p = 0.342 > 0.3), not the nearest (2)
    for fn in (sequential_clustering, sequential_clustering_reference):
        labels, _ = fn(emb, bw * 3.2, seed, empty)
        assert labels.tolist() == [1, 2, 1]


def test_no_seed_and_empty_inputs():
    emb, bw, seed = _blobs(0)
    labels, ids = sequential_clustering(emb, bw, seed * 0.1, FREE_BW)
    assert ids == [] and bool((labels == -1).all())
    labels, ids = sequential_clustering(
        torch.zeros(0, 4), torch.zeros(0, 2), torch.zeros(0), FREE_BW)
    assert labels.shape == (0, ) and ids == []
    with pytest.raises(ValueError, match='bandwidths'):
        sequential_clustering(emb, bw[:, :1], seed, FREE_BW)


def test_associate_no_iou_threshold():
    old = torch.tensor([1, 1, 1, 2, 2, -1])
    new = torch.tensor([5, 5, 6, 6, 6, 7])
    # IoU(1,5)=2/3, IoU(2,6)=2/3, IoU(1,6)=1/5: Hungarian picks the first two
    assert associate_clusters(old, new) == [(1, 5), (2, 6)]
    weak = associate_clusters(torch.tensor([1, 1, -1]),
                              torch.tensor([-1, 4, 4]))
    assert weak == [(1, 4)]  # IoU 1/3, merged anyway


def test_official_label_order_is_python_set_order():
    # small ints hash to themselves: in an 8-slot set 8 sits in slot 0,
    # 3 in slot 3, 12 in slot 4; -1 (the outlier, hash -2) is removed
    assert official_label_order(torch.tensor([12, 3, -1, 8, 8])) == \
        [8, 3, 12]
    assert official_label_order(torch.tensor([10, 11])) == [10, 11]
    # five ids: a 32-slot table, 40 collides with 8 and moves to slot 9
    assert official_label_order(torch.tensor([40, 33, 12, 8, 3, -1])) == \
        [33, 3, 8, 40, 12]
    assert official_label_order(torch.tensor([-1, -1])) == []


def test_tied_zero_overlap_pairs_follow_official_order():
    """Old tracks 3 and 8 and new clusters 10 and 11 share no pixel.

    By hand from ``OnlineChainer.associate_clusters``: rows are
    ``list({3, 8} - {-1}) == [8, 3]``, columns ``[10, 11]``; every cost is
    1 - 0 = 1, and scipy's ``linear_sum_assignment`` on a constant square
    matrix pairs row i with column i, so the pairs are (8, 10) and (3, 11).
    Every pair is merged, zero overlap or not. Sorted ids would give
    (3, 10), (8, 11) instead.
    """
    rows, cols = linear_sum_assignment(np.ones((2, 2), np.float32))
    assert rows.tolist() == [0, 1] and cols.tolist() == [0, 1]
    old = torch.tensor([3, 8, -1, -1])
    new = torch.tensor([-1, -1, 10, 11])
    assert associate_clusters(old, new) == [(8, 10), (3, 11)]

    st = TrackStitcher(3)
    st.update([0, 1], [torch.tensor([3, 8, -1, -1]), old])
    assert st.next_label == 9
    st.update([1, 2], [new, torch.tensor([10, 11, 10, -1])])
    labels, num_px, _ = st.get_tracks()
    assert labels[1].tolist() == [3, 8, -1, -1]  # shared frame kept
    assert labels[2].tolist() == [8, 3, 8, -1]
    assert num_px == {3: 3, 8: 4, -1: 5}


def test_stitcher():
    st = TrackStitcher(4)
    st.update([0, 1, 2], [torch.tensor([1, 1]), torch.tensor([1, 2]),
                          torch.tensor([2, -1])])
    assert st.next_label == 3
    # next clip shares frames 1, 2: cluster 4 ~ track 1, 3 ~ track 2
    st.update([1, 2, 3], [torch.tensor([4, 3]), torch.tensor([3, 5]),
                          torch.tensor([3, 4, 5])])
    labels, num_px, life = st.get_tracks()
    assert labels[1].tolist() == [1, 2]  # shared frames keep old labels
    assert labels[3].tolist() == [2, 1, 5]
    assert num_px == {1: 4, 2: 3, -1: 1, 5: 1}
    assert life == {1: 3, 2: 2, -1: 0, 5: 0}


def test_exhausted_loop_reassigns_last_cluster_points():
    # bandwidth 2: point 1.2 joins cluster 2 in the primary pass (p = 0.568).
    # With max_instances=2 the loop ends by exhaustion and (reference quirk)
    # the secondary pass re-considers the points of the last cluster: 1.2
    # goes to the farthest cluster 1 (p = 0.428 > 0.3); point 2.0 stays
    # (farthest p = 0.243 < 0.3).
    emb = torch.tensor([[0.], [2.], [1.2]])
    bw = torch.full((3, 1), 2.)
    seed = torch.tensor([0.9, 0.85, 0.1])
    empty = torch.zeros(0)
    for fn in (sequential_clustering, sequential_clustering_reference):
        assert fn(emb, bw, seed, empty, max_instances=2)[0].tolist() == \
            [1, 2, 1]
        assert fn(emb, bw, seed, empty, max_instances=3)[0].tolist() == \
            [1, 2, 2]
