# Copyright (c) mmvidseg contributors. All rights reserved.
"""Window linking: Hungarian on mean mask IoU, threshold, class-aware."""
import torch

from mmvidseg.models.trackers.window_linking import (handover, link_ids,
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
