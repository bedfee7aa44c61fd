# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS clip linking on hand-made clips (stride 1, no padding)."""
import pytest
import torch

from mmvidseg.structures.masks import decode_rle
from mmvidseg.models.trackers import (TarViSInstanceAccumulator,
                                      TarViSVISLinker, clip_frame_ids,
                                      resize_clip_logits)
from mmvidseg.models.trackers.tarvis_vis_linker import (
    make_masks_nonoverlapping, mask_iou_matrix)
from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()

H, W = 6, 8


def box(t0: int, t1: int, x0: int, x1: int, num_frames: int = 3,
        value: float = 5.) -> torch.Tensor:
    """(T, H, W) logits: +value on columns [x0, x1) of frames [t0, t1)."""
    x = torch.full((num_frames, H, W), -5.)
    x[t0:t1, :, x0:x1] = value
    return x


def cls_logits(*labels: int, num_classes: int = 3,
               conf: float = 8.) -> torch.Tensor:
    """(Q, 1 + C) logits, query q confident in class labels[q] (0-based)."""
    out = torch.zeros(len(labels), 1 + num_classes)
    for q, lab in enumerate(labels):
        out[q, 1 + lab] = conf
    return out


def accumulator(**kwargs) -> TarViSInstanceAccumulator:
    acc = TarViSInstanceAccumulator(stride=1, **kwargs)
    acc.reset(5, (0, 0), (H, W))
    return acc


def decoded(acc_masks, t: int) -> dict:
    return {tid: torch.from_numpy(decode_rle(rle)).bool()
            for tid, rle in acc_masks[t].items()}


def test_clip_frame_ids():
    assert clip_frame_ids(10, 4, 2) == [[0, 1, 2, 3], [2, 3, 4, 5],
                                        [4, 5, 6, 7], [6, 7, 8, 9]]
    assert clip_frame_ids(7, 4, 2) == [[0, 1, 2, 3], [2, 3, 4, 5],
                                       [4, 5, 6]]
    assert clip_frame_ids(3, 12, 6) == [[0, 1, 2]]
    assert clip_frame_ids(9, 6, 3, start=2) == [[2, 3, 4, 5, 6, 7],
                                                [5, 6, 7, 8]]
    with pytest.raises(ValueError, match='overlap'):
        clip_frame_ids(5, 3, 3)


def test_resize_clip_logits():
    x = torch.randn(2, 3, 4, 5)
    assert torch.equal(resize_clip_logits(x, (0, 0), (4, 5), stride=1), x)
    # x4 upsampling of (4, 5) = (16, 20); pad (4, 8) cut -> (8, 16)
    out = resize_clip_logits(x, (4, 8), (8, 16), stride=4)
    ref = torch.nn.functional.interpolate(x, scale_factor=4.0,
                                          mode='bilinear')[..., :8, :16]
    assert out.shape == (2, 3, 8, 16) and torch.allclose(out, ref)
    assert resize_clip_logits(x, (4, 8), (30, 40)).shape == (2, 3, 30, 40)


def test_link_ids_and_overlap_from_earlier_clip():
    acc = accumulator()
    # clip 1 (frames 0-2): A at columns 0-2, B at 4-6
    acc.add_clip(dict(mask_logits=torch.stack([box(0, 3, 0, 2),
                                               box(0, 3, 4, 6)]),
                      class_logits=cls_logits(0, 1)), [0, 1, 2])
    # clip 2 (frames 2-4): new object C first, then B, then A (shifted)
    clip2 = torch.stack([box(0, 3, 7, 8), box(0, 3, 4, 6), box(0, 3, 0, 3)])
    acc.add_clip(dict(mask_logits=clip2, class_logits=cls_logits(2, 1, 0)),
                 [2, 3, 4])
    masks, logits = acc.finalize()
    assert sorted(logits) == [1, 2, 3]
    assert [sorted(m) for m in masks] == [[1, 2], [1, 2], [1, 2],
                                          [1, 2, 3], [1, 2, 3]]
    f2, f3 = decoded(masks, 2), decoded(masks, 3)
    # frame 2 is taken from clip 1 (A: 2 columns), frame 3 from clip 2
    assert f2[1].sum() == 2 * H and f3[1].sum() == 3 * H
    assert f3[3][:, 7].all() and f3[2][:, 4:6].all()
    # the new track C has no mask on the overlap frame 2
    assert 3 not in masks[2]


def test_hungarian_not_greedy():
    """Greedy IoU matching would link (P1, C0) and lose (P0, C1)."""
    groups = {0: 2, 6: 1, 7: 4, 8: 4, 10: 2, 11: 3, 14: 1, 15: 3}
    sets = torch.zeros(4, 20, dtype=torch.bool)  # P0, P1, C0, C1
    pix = 0
    for pattern, count in groups.items():
        for k in range(4):
            sets[k, pix:pix + count] = bool(pattern >> k & 1)
        pix += count
    logits = torch.where(sets, 3., -3.)[:, None, None, :]  # (4, 1, 1, 20)
    iou = mask_iou_matrix(logits[:2], logits[2:])  # (I + 1) / (U + 1)
    assert iou.flatten().argmax().item() == 2  # (P1, C0) is the best pair
    acc = TarViSInstanceAccumulator(stride=1)
    rows, cols = acc.associate(logits[:2], logits[2:])
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(0, 0), (1, 1)]
    assert (iou[[0, 1], [0, 1]] > 0.5).all() and iou[0, 1] < 0.5


@pytest.mark.parametrize('average', [False, True])
def test_overlap_logit_averaging_flag(average):
    acc = accumulator(average_overlap_logits=average)
    weak = box(0, 3, 0, 4, value=1.)
    weak[2, :, 2:4] = -1.  # on the overlap frame A covers 2 columns
    acc.add_clip(dict(mask_logits=weak[None], class_logits=cls_logits(0)),
                 [0, 1, 2])
    strong = box(0, 3, 0, 4, value=5.)  # A covers 4 columns
    acc.add_clip(dict(mask_logits=strong[None], class_logits=cls_logits(0)),
                 [2, 3, 4])
    masks, _ = acc.finalize()
    cols = decoded(masks, 2)[1].sum().item() // H
    # official (no-op write): the earlier clip's mask; intended: averaged
    assert cols == (4 if average else 2)


def test_filter_topk_threshold_and_empty_clip():
    acc = accumulator(max_tracks_per_clip=1, track_score_threshold=0.5)
    logits = torch.stack([box(0, 3, 0, 2), box(0, 3, 4, 6)])
    cls = torch.tensor([[0., 1., 0., 0.], [0., 9., 0., 0.]])  # q0 low
    acc.add_clip(dict(mask_logits=logits, class_logits=cls), [0, 1, 2])
    # a clip whose tracks all fail the threshold ends every track
    acc.add_clip(dict(mask_logits=logits[:1], class_logits=torch.zeros(1, 4)),
                 [2, 3, 4])
    masks, track_logits = acc.finalize()
    assert list(track_logits) == [1]
    assert [sorted(m) for m in masks] == [[1], [1], [1], [], []]
    assert decoded(masks, 0)[1][:, 4:6].all()  # the confident query won


def test_empty_clip_restarts_ids():
    acc = accumulator()
    same = torch.stack([box(0, 3, 0, 2)])
    acc.add_clip(dict(mask_logits=same, class_logits=cls_logits(0)),
                 [0, 1, 2])
    acc.add_clip(dict(mask_logits=same[:0], class_logits=cls_logits()),
                 [2, 3, 4])
    assert acc.next_track_id == 2
    acc.reset(5, (0, 0), (H, W))
    acc.add_clip(dict(mask_logits=same, class_logits=cls_logits(0)),
                 [0, 1, 2])
    acc.add_clip(dict(mask_logits=same[:0], class_logits=cls_logits()),
                 [1, 2, 3])
    acc.add_clip(dict(mask_logits=same[:, :2], class_logits=cls_logits(0)),
                 [3, 4])  # matches nothing: the previous clip was empty
    masks, logits = acc.finalize()
    assert sorted(logits) == [1, 2]
    assert [sorted(m) for m in masks] == [[1], [1], [1], [], [2]]


def test_class_logits_averaged_over_clips():
    acc = accumulator()
    a = torch.tensor([[0., 4., 0., 0.]])
    b = torch.tensor([[0., 0., 2., 0.]])
    acc.add_clip(dict(mask_logits=box(0, 3, 0, 2)[None], class_logits=a),
                 [0, 1, 2])
    acc.add_clip(dict(mask_logits=box(0, 3, 0, 2)[None], class_logits=b),
                 [2, 3, 4])
    _, logits = acc.finalize()
    assert torch.allclose(logits[1], (a[0] + b[0]) / 2)


def test_make_masks_nonoverlapping():
    masks = torch.zeros(3, 1, 4, dtype=torch.bool)
    masks[0, 0, :3] = True
    masks[1, 0, 1:] = True
    masks[2, 0, 2] = True
    out = make_masks_nonoverlapping(masks, torch.tensor([0.5, 0.9, 0.1]))
    assert out[1, 0].tolist() == [False, True, True, True]
    assert out[0, 0].tolist() == [True, False, False, False]
    assert not out[2].any()


def test_vis_linker_topk_and_duplicates():
    linker = MODELS.build(dict(type='TarViSVISLinker', stride=1,
                               max_tracks_per_video=3))
    assert linker.output_field == 'pred_track_instances'
    linker.reset(3, (0, 0), (H, W))
    cls = torch.tensor([[0., 5., 4.9, -9.],  # track 1: class 0 or 1
                        [0., -9., -9., 3.]])  # track 2: class 2
    masks = torch.stack([box(0, 3, 0, 4), box(0, 2, 3, 6)])
    linker.add_clip(dict(mask_logits=masks, class_logits=cls), [0, 1, 2])
    frames = linker.finalize()
    assert len(frames) == 3
    f0 = frames[0]
    assert f0.masks.shape == (3, H, W) and f0.masks.dtype == torch.bool
    probs = cls.softmax(1)[:, 1:]
    # top-3 (track, class) pairs by score: (2, c2), (1, c0), (1, c1)
    assert torch.allclose(f0.scores, torch.stack(
        [probs[1, 2], probs[0, 0], probs[0, 1]]))
    assert f0.labels.tolist() == [2, 0, 1]
    assert f0.instances_id.tolist() == [1, 2, 3]
    # track 1 is kept twice (one copy per class), with the same mask
    assert torch.equal(f0.masks[1], f0.masks[2]) and f0.masks[1][:, :4].all()
    # different classes may overlap (column 3)
    assert f0.masks[0][:, 3:6].all() and f0.masks[1][:, 3].all()
    # track 2 has logits < 0 on frame 2: present with an empty mask
    assert frames[2].instances_id.tolist() == [1, 2, 3]
    assert not frames[2].masks[0].any()


def test_vis_linker_same_class_made_disjoint():
    linker = TarViSVISLinker(stride=1, max_tracks_per_video=2)
    linker.reset(3, (0, 0), (H, W))
    cls = torch.tensor([[0., 3., -9., -9.], [0., 6., -9., -9.]])
    masks = torch.stack([box(0, 3, 0, 4), box(0, 3, 2, 6)])
    linker.add_clip(dict(mask_logits=masks, class_logits=cls), [0, 1, 2])
    f0 = linker.finalize()[0]
    assert f0.labels.tolist() == [0, 0]
    # the higher-scoring track 2 (first) keeps the shared columns 2-3
    assert f0.masks[0][:, 2:6].all() and f0.masks[1][:, :2].all()
    assert not (f0.masks[0] & f0.masks[1]).any()


def test_vis_linker_no_tracks():
    linker = TarViSVISLinker(stride=1, track_score_threshold=0.9)
    linker.reset(2, (0, 0), (H, W))
    linker.add_clip(dict(mask_logits=box(0, 2, 0, 2, 2)[None],
                         class_logits=torch.zeros(1, 4)), [0, 1])
    frames = linker.finalize()
    assert [len(f) for f in frames] == [0, 0]
    assert frames[0].masks.shape == (0, H, W)


def test_bad_input_shapes():
    acc = accumulator()
    with pytest.raises(ValueError, match='mask_logits'):
        acc.add_clip(dict(mask_logits=torch.zeros(2, 2, H, W),
                          class_logits=torch.zeros(2, 4)), [0, 1, 2])
    with pytest.raises(ValueError, match='class_logits'):
        acc.add_clip(dict(mask_logits=torch.zeros(2, 3, H, W),
                          class_logits=torch.zeros(3, 4)), [0, 1, 2])


def test_padded_quarter_resolution_to_kitti_size():
    """KITTI-STEP frames (375 x 1242) are padded to 384 x 1280 (multiples of
    64); logits at 1/4 (96 x 320) come back at 375 x 1242, un-padded."""
    logits = torch.full((1, 2, 96, 320), -5.)
    logits[0, :, 10:20, 100:150] = 5.  # rows 40-80, cols 400-600 at 1x
    linker = TarViSVISLinker(max_tracks_per_video=1)
    linker.reset(2, (1280 - 1242, 384 - 375), (375, 1242))
    linker.add_clip(dict(mask_logits=logits, class_logits=cls_logits(0)),
                    [0, 1])
    mask = linker.finalize()[0].masks[0]
    assert mask.shape == (375, 1242)
    ys, xs = mask.nonzero(as_tuple=True)
    # x4 then the padding is cut off (no rescaling): same coordinates
    assert abs(ys.min().item() - 40) <= 2 and abs(ys.max().item() - 79) <= 2
    assert abs(xs.min().item() - 400) <= 2 and abs(xs.max().item() - 599) <= 2
