# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest
import torch

from mmvidseg.models.trackers.window_linking import (mask_iou_over_frames,
                                                     window_starts)
from mmvidseg.utils import register_all_modules

from ._tevit_tiny import batch, build_tiny

register_all_modules()


def test_chunked_inference_links_identities():
    model = build_tiny(test_cfg=dict(
        rpn=None,
        rcnn=dict(max_per_img=10, mask_thr_binary=0.5),
        chunk=dict(num_frames=3, overlap=1, iou_thr=0.0))).eval()
    inputs, samples = batch(num_clips=1, num_frames=7)
    with torch.no_grad():
        out = model.predict(inputs, samples)
    preds = [f.pred_track_instances for f in out[0]]
    assert len(preds) == 7
    assert all(p.masks.shape[1:] == (64, 64) for p in preds)
    # with iou_thr=0 every track of a window continues one of the previous
    # window (Hungarian on 10 x 10), so the ids never exceed 0..9
    ids = torch.cat([p.instances_id for p in preds])
    assert ids.max().item() < 10


def test_window_starts_and_mask_iou():
    assert window_starts(5, 8, 2) == [0]
    assert window_starts(10, 4, 1) == [0, 3, 6]
    assert window_starts(11, 4, 1) == [0, 3, 6, 7]
    with pytest.raises(ValueError, match='overlap'):
        window_starts(10, 4, 4)
    a = torch.zeros(2, 4, 4, dtype=torch.bool)
    a[0, :2] = True  # top half
    a[1, 2:] = True  # bottom half
    b = torch.zeros(1, 4, 4, dtype=torch.bool)
    b[0, :, :] = True
    iou = mask_iou_over_frames([a, a], [b, b])
    torch.testing.assert_close(iou, torch.tensor([[0.5], [0.5]]))
