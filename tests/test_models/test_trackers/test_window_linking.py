# Copyright (c) mmvidseg contributors. All rights reserved.
"""Window linking: Hungarian on mean mask IoU, threshold, class-aware;
carrying tracks through windows where they are missing."""
import pytest
import torch

from mmvidseg.models.trackers.window_linking import (WindowLinker, handover,
                                                     link_ids,
                                                     mask_iou_over_frames,
                                                     window_starts)


def _masks(*cols, h=2, w=8):
    """(n, h, w) masks, object k covering the columns cols[k]."""
    out = torch.zeros(len(cols), h, w, dtype=torch.bool)
    for k, (a, b) in enumerate(cols):
        out[k, :, a:b] = True
    return out


def test_mask_iou_over_frames_is_the_mean_of_frame_ious():
    prev = [_masks((0, 4)), _masks((0, 4))]
    cur = [_masks((0, 4)), _masks((2, 6))]  # IoU 1 then 2/6
    iou = mask_iou_over_frames(prev, cur)
    assert iou.shape == (1, 1)
    assert torch.isclose(iou[0, 0], torch.tensor((1 + 2 / 6) / 2))


def test_link_ids_threshold_and_new_ids():
    prev = [_masks((0, 4), (4, 8))]
    cur = [_masks((4, 8), (0, 3), (0, 1))]  # B, A (IoU .75), C (IoU .25)
    ids, nxt = link_ids(torch.tensor([10, 11]), prev, cur, 12, 0.5)
    assert ids.tolist() == [11, 10, 12] and nxt == 13
    ids, nxt = link_ids(torch.tensor([10, 11]), prev, cur, 12, 0.8)
    assert ids.tolist() == [11, 12, 13] and nxt == 14


def test_link_ids_class_aware():
    prev = [_masks((0, 4), (0, 4))]  # one object under classes 0 and 1
    cur = [_masks((0, 4), (0, 4))]
    # current order of the classes is flipped
    ids, _ = link_ids(torch.tensor([5, 6]), prev, cur, 7, 0.5,
                      torch.tensor([0, 1]), torch.tensor([1, 0]))
    assert ids.tolist() == [6, 5]
    # a class seen in only one window starts a new id
    ids, nxt = link_ids(torch.tensor([5]), prev[:1] and [prev[0][:1]],
                        [cur[0][:1]], 7, 0.5, torch.tensor([0]),
                        torch.tensor([2]))
    assert ids.tolist() == [7] and nxt == 8


def test_window_starts_and_handover():
    assert window_starts(5, 8, 2) == [0]
    assert window_starts(20, 8, 2) == [0, 6, 12]
    assert handover(0, 6, 8) == 1  # middle of frames 6-7 -> frame 7


def _run(linker, windows):
    """Link a hand-made window sequence. Each window: a list of
    (label, cols) tracks, every track the same mask on the 2 shared frames.
    Returns the global ids per window and the carried (id, label, column)
    per window, carried tracks joining the window as extra tracks (as the
    session does)."""
    out_ids, out_carried = [], []
    prev = None
    for tracks in windows:
        labels = torch.tensor([lab for lab, _ in tracks], dtype=torch.long)
        masks = _masks(*[c for _, c in tracks]) if tracks else \
            torch.zeros(0, 2, 8, dtype=torch.bool)
        if prev is None:
            ids, carried = linker.new_ids(len(tracks)), []
        else:
            p_ids, p_labels, p_masks = prev
            res = linker.link(p_ids, [p_masks] * 2, [masks] * 2, p_labels,
                              labels)
            ids = res.ids
            carried = [(int(p_ids[r]), int(p_labels[r]), c)
                       for r, c in res.carried]
        out_ids.append(ids.tolist())
        out_carried.append(carried)
        # carried tracks are tracks of this window from now on
        ids = torch.cat([ids, torch.tensor([g for g, _, _ in carried],
                                           dtype=torch.long)])
        labels = torch.cat([labels, torch.tensor([lab for _, lab, _ in
                                                  carried],
                                                 dtype=torch.long)])
        masks = torch.cat([masks] + [masks[c:c + 1] for _, _, c in carried])
        prev = (ids, labels, masks)
    return out_ids, out_carried


def test_linker_without_carrying_is_link_ids():
    windows = [[(0, (0, 4)), (1, (0, 4))], [(1, (0, 4))],
               [(0, (0, 4)), (1, (0, 4))]]
    ids, carried = _run(WindowLinker(0.5, max_missing=0), windows)
    # class 0 leaves the second window: its track ends, a new id later
    assert ids == [[0, 1], [1], [2, 1]]
    assert carried == [[], [], []]


def test_a_class_missing_from_a_window_is_carried_on_its_object():
    """One object under classes 0 and 1 (a query's top-k pairs); class 0
    drops out of the second window's top-k and comes back in the third."""
    windows = [[(0, (0, 4)), (1, (0, 4))], [(1, (0, 4))],
               [(0, (0, 4)), (1, (0, 4))]]
    ids, carried = _run(WindowLinker(0.5, max_missing=2), windows)
    assert ids == [[0, 1], [1], [0, 1]]
    assert carried == [[], [(0, 0, 0)], []]  # id 0, label 0, on column 0


def test_carrying_ends_after_max_missing_windows():
    windows = [[(0, (0, 4)), (1, (0, 4))]] + [[(1, (0, 4))]] * 3 + \
        [[(0, (0, 4)), (1, (0, 4))]]
    ids, carried = _run(WindowLinker(0.5, max_missing=2), windows)
    assert [len(c) for c in carried] == [0, 1, 1, 0, 0]
    assert ids[-1] == [2, 1]  # class 0 ended after 2 windows: a new id
    # no carrying on another class: the track waits with its last mask
    ids, carried = _run(WindowLinker(0.5, max_missing=2,
                                     carry_other_class=False),
                        windows[:3] + windows[-1:])
    assert carried == [[]] * 4
    assert ids[-1] == [0, 1]  # re-linked by class and last mask


def test_a_lost_track_is_relinked_by_class_and_last_mask():
    # object A (class 0, columns 0-3) is occluded for one window
    windows = [[(0, (0, 4)), (2, (5, 8))], [(2, (5, 8))],
               [(2, (5, 8)), (0, (1, 4))]]
    ids, carried = _run(WindowLinker(0.5, max_missing=1), windows)
    assert carried == [[], [], []]  # nothing else overlaps A
    assert ids == [[0, 1], [1], [1, 0]]  # IoU(last, first) = 3 / 4
    # another class at A's place does not take A's id
    other = windows[:2] + [[(2, (5, 8)), (1, (1, 4))]]
    ids, _ = _run(WindowLinker(0.5, max_missing=1), other)
    assert ids[-1] == [1, 2]
    # missing longer than max_missing: a new id
    longer = windows[:2] * 1 + [windows[1], windows[2]]
    ids, _ = _run(WindowLinker(0.5, max_missing=1), longer)
    assert ids[-1] == [1, 2]
    ids, _ = _run(WindowLinker(0.5, max_missing=2), longer)
    assert ids[-1] == [1, 0]


def test_linker_rejects_a_negative_max_missing():
    with pytest.raises(ValueError, match='max_missing=-1 must be >= 0'):
        WindowLinker(max_missing=-1)
