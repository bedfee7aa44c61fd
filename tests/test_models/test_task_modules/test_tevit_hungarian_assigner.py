# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest
import torch
from mmengine.structures import InstanceData

from mmvidseg.models.task_modules import TeViTHungarianAssigner

META = dict(img_shape=(100, 100))


def gt(boxes, labels, ids) -> InstanceData:
    return InstanceData(
        bboxes=torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4),
        labels=torch.tensor(labels, dtype=torch.long),
        instances_ids=torch.tensor(ids, dtype=torch.long))


def pred(boxes, num_classes=2) -> InstanceData:
    boxes = torch.tensor(boxes, dtype=torch.float32)
    return InstanceData(
        bboxes=boxes, scores=torch.zeros(len(boxes), num_classes))


def l1_assigner():
    return TeViTHungarianAssigner(
        match_costs=[dict(type='BBoxL1Cost', weight=1.0, box_format='xyxy')])


def test_one_match_per_clip_with_absent_identity():
    assigner = TeViTHungarianAssigner()  # official costs
    a, b = [0, 0, 40, 40], [50, 50, 90, 90]
    far = [0, 80, 10, 90]
    gts = [gt([a, b], [0, 1], [5, 7]), gt([b], [1], [7])]
    preds = [pred([a, far, b]), pred([a, far, b])]
    res = assigner.assign(preds, gts, META)
    assert res[0].gt_inds.tolist() == [1, 0, 2]
    assert res[0].labels.tolist() == [0, -1, 1]
    # identity 5 is absent from frame 1: its query is background there
    assert res[1].gt_inds.tolist() == [0, 0, 1]
    assert res[1].labels.tolist() == [-1, -1, 1]
    assert [r.num_gts for r in res] == [2, 1]


def test_cost_is_averaged_over_frames_where_identity_appears():
    box = [0, 0, 50, 50]
    gts = [gt([box], [0], [3]), gt([box], [0], [3]), gt([], [], [])]
    # q0: exact in frame 0 (0.0), far in frame 1 (0.8) -> mean 0.4
    # q1: 0.2 in both frames -> mean 0.2; per-frame matching would pick q0
    preds = [
        pred([[0, 0, 50, 50], [0, 0, 60, 60]]),
        pred([[0, 0, 90, 90], [0, 0, 60, 60]]),
        pred([[0, 0, 50, 50], [0, 0, 60, 60]]),  # frame without GT
    ]
    res = l1_assigner().assign(preds, gts, META)
    assert res[0].gt_inds.tolist() == [0, 1]
    assert res[1].gt_inds.tolist() == [0, 1]
    assert res[2].gt_inds.tolist() == [0, 0]  # no GT in frame 2


def test_identity_order_in_frame_is_respected():
    a, b = [0, 0, 40, 40], [50, 50, 90, 90]
    gts = [gt([a, b], [0, 1], [1, 2]), gt([b, a], [1, 0], [2, 1])]
    preds = [pred([a, b]), pred([a, b])]
    res = l1_assigner().assign(preds, gts, META)
    assert res[0].gt_inds.tolist() == [1, 2]
    assert res[1].gt_inds.tolist() == [2, 1]  # frame-local indices
    assert res[1].labels.tolist() == [0, 1]


def test_empty_clip_and_missing_ids():
    empty = [gt([], [], []), gt([], [], [])]
    res = l1_assigner().assign([pred([[0, 0, 1, 1]])] * 2, empty, META)
    assert [r.gt_inds.tolist() for r in res] == [[0], [0]]
    no_ids = InstanceData(
        bboxes=torch.zeros(1, 4), labels=torch.zeros(1, dtype=torch.long))
    with pytest.raises(KeyError, match='instances_ids'):
        l1_assigner().assign([pred([[0, 0, 1, 1]])], [no_ids], META)
    with pytest.raises(ValueError, match='2 predicted frames'):
        l1_assigner().assign([pred([[0, 0, 1, 1]])] * 2, [empty[0]], META)


def random_clip(seed, num_frames=3, num_preds=7, num_classes=4):
    """Frames with 0-3 GTs of ids 1-4 (some absent), random predictions."""
    g = torch.Generator().manual_seed(seed)
    preds, gts = [], []
    for t in range(num_frames):
        xy = torch.rand(num_preds, 2, generator=g) * 80
        preds.append(
            InstanceData(
                bboxes=torch.cat(
                    [xy, xy + torch.rand(num_preds, 2, generator=g) * 40 + 1],
                    1),
                scores=torch.randn(num_preds, num_classes, generator=g)))
        n = 0 if t == 1 else int(torch.randint(1, 4, (1, ), generator=g))
        ids = torch.randperm(4, generator=g)[:n] + 1
        xy = torch.rand(n, 2, generator=g) * 60
        gts.append(
            InstanceData(
                bboxes=torch.cat([xy, xy + 20], 1),
                labels=torch.randint(0, num_classes, (n, ), generator=g),
                instances_ids=ids))
    return preds, gts


def test_batched_frame_costs_equal_frame_by_frame(monkeypatch):
    """All frames' costs in one call per cost (the default costs) give the
    per-frame values and the same assignment as frame-by-frame calls."""
    import mmvidseg.models.task_modules.tevit_hungarian_assigner as mod
    assigner = TeViTHungarianAssigner()
    for seed in range(6):
        preds, gts = random_clip(seed)
        fast = assigner._frame_costs(preds, gts, META)
        for t, (p, g) in enumerate(zip(preds, gts)):
            if len(g) == 0:
                assert fast[t].shape == (7, 0)
                continue
            assert torch.equal(fast[t], assigner._frame_cost(p, g, META))
        fast_results = assigner.assign(preds, gts, META)
        with monkeypatch.context() as m:
            m.setattr(mod, '_PAIRWISE_COSTS', ())  # frame by frame
            slow = assigner._frame_costs(preds, gts, META)
            assert slow[1] is None
            slow_results = assigner.assign(preds, gts, META)
        for a, b in zip(fast_results, slow_results):
            assert torch.equal(a.gt_inds, b.gt_inds)
            assert torch.equal(a.labels, b.labels)
        assert sum(int((r.gt_inds > 0).sum()) for r in fast_results) > 0
