# Copyright (c) mmvidseg contributors. All rights reserved.
import torch

from mmvidseg.models.trackers.tarvis_vos import TarViSVOSAccumulator


# logits +-3 on 1/4 cells: after x4 bilinear the zero crossing falls on the
# cell border, so the masks are exact multiples of 4 pixels

def test_two_clips_overlap_from_later_clip_and_labels():
    acc = TarViSVOSAccumulator()
    acc.reset(6, pad=(0, 0), ori_shape=(16, 16))
    a = torch.full((2, 4, 4, 4), -3.0)
    a[0, :, :2] = 3.0  # object 11: top half in frames 0-3
    a[1, :, 2:, 2:] = 3.0  # object 12: bottom-right quarter
    b = torch.full((2, 4, 4, 4), -3.0)
    b[0, :, :, :2] = 3.0  # clip 2, object 11: left half (frames 2-5)
    acc.add_clip(a, [11, 12], [0, 1, 2, 3])
    acc.add_clip(b, [11, 12], [2, 3, 4, 5])  # last clip
    out = acc.finalize()
    assert len(out) == 6
    f0 = dict(zip(out[0].instances_id.tolist(), out[0].masks))
    assert f0[11][:8].all() and not f0[11][8:].any()
    assert f0[12][9:, 9:].all() and not f0[12][:8].any()  # corner: bilinear
    # frame 2: written by clip 1 in full, then the overlap frames of the
    # last clip are NOT rewritten (official), so clip 1's masks stay
    f2 = dict(zip(out[2].instances_id.tolist(), out[2].masks))
    assert f2[11][:8].all()
    f4 = dict(zip(out[4].instances_id.tolist(), out[4].masks))
    assert set(f4) == {11} and f4[11][:, :8].all()
    assert out[4].scores.tolist() == [1.0]
    assert out[0].labels.tolist() == [0, 0]


def test_middle_clip_overwrites_overlap_where_not_empty():
    acc = TarViSVOSAccumulator()
    acc.reset(8, pad=(0, 0), ori_shape=(16, 16))
    a = torch.full((1, 4, 4, 4), 3.0)  # whole frame
    b = torch.full((1, 4, 4, 4), -3.0)
    b[0, :, :1] = 3.0  # top rows only
    c = torch.full((1, 4, 4, 4), -3.0)
    acc.add_clip(a, [1], [0, 1, 2, 3])
    acc.add_clip(b, [1], [2, 3, 4, 5])
    acc.add_clip(c, [1], [4, 5, 6, 7])
    out = acc.finalize()
    assert int(out[1].masks.sum()) == 256
    assert int(out[2].masks.sum()) == 64  # the later clip overwrote it
    assert len(out[6].masks) == 0


def test_one_clip_video_and_reset():
    acc = TarViSVOSAccumulator()
    acc.reset(3, pad=(4, 0), ori_shape=(16, 12))
    acc.add_clip(torch.ones(1, 3, 4, 4), [5], [0, 1, 2])
    out = acc.finalize()  # the official writes nothing here (stale ids)
    assert all(o.instances_id.tolist() == [5] for o in out)
    assert out[0].masks.shape == (1, 16, 12)
    acc.reset(6, ori_shape=(16, 16))
    acc.add_clip(torch.ones(1, 4, 4, 4), [5], [0, 1, 2, 3])
    acc.flush()
    acc.reset_buffers()  # all objects lost
    acc.add_clip(torch.ones(1, 2, 4, 4), [6], [4, 5])
    out = acc.finalize()
    assert [o.instances_id.tolist() for o in out] == [[5]] * 4 + [[6]] * 2
