# Copyright (c) mmvidseg contributors. All rights reserved.
import copy
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmvidseg.models.heads.tevit_roi_head import paste_masks
from mmvidseg.ops import roi_align_uses_kernel
from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules

register_all_modules()
ROOT = Path(__file__).parents[3]
TINY_CFG = ROOT / 'configs/tevit/tevit_msgshift-tiny_1xb4-toy.py'


@pytest.mark.skipif(
    not roi_align_uses_kernel(torch.zeros(1)),
    reason='mmvidseg ops not compiled')
def test_bbox_forward_single_decode_equals_refine_bboxes():
    """The one-call decode of ``TeViTRoIHead._bbox_forward`` gives the
    boxes of mmdet's per-image ``refine_bboxes`` (bit for bit), also for
    boxes that leave the image (TeViT does not clip)."""
    torch.manual_seed(0)
    cfg = copy.deepcopy(Config.fromfile(TINY_CFG).model)
    model = MODELS.build(cfg).eval()
    head = model.roi_head
    num_imgs, num_props, feat = 4, 10, cfg.roi_head.proposal_feature_channel
    x = tuple(
        torch.randn(num_imgs, feat, 24 // 2**i, 24 // 2**i) for i in range(4))
    xy = torch.rand(num_imgs * num_props, 2) * 80 - 10
    boxes = torch.cat([xy, xy + torch.rand_like(xy) * 60 + 1], 1)
    img_ids = torch.arange(num_imgs).repeat_interleave(num_props)
    rois = torch.cat([img_ids[:, None].float(), boxes], 1)
    object_feats = torch.randn(num_imgs, num_props, feat)
    metas = [dict(img_shape=(96, 96))] * num_imgs
    with torch.no_grad():
        out = head._bbox_forward(1, x, rois, object_feats, metas,
                                 num_frames=2)
        bbox_head = head.bbox_head[1]
        feats = head.bbox_roi_extractor[1](x, rois)
        cls_score, bbox_pred, _, _ = bbox_head(
            feats, object_feats, num_frames=2)
        ref = head._refine_bboxes(bbox_head, rois, cls_score, bbox_pred,
                                  num_imgs, metas)
    assert len(out['detached_proposals']) == num_imgs
    for ours, theirs in zip(out['detached_proposals'], ref):
        assert ours.shape == (num_props, 4)
        assert torch.equal(ours, theirs)
    assert torch.equal(out['decoded_bboxes'], torch.cat(ref))
    # some refined boxes do lie outside the 96 x 96 image (not clipped)
    assert (torch.cat(ref) < 0).any() or (torch.cat(ref) > 96).any()


def test_paste_masks_handles_boxes_outside_the_image():
    logits = torch.full((3, 2, 4, 4), 5.0)  # sigmoid > 0.5 everywhere
    boxes = torch.tensor([[8., 8., 24., 24.], [-30., 0., -10., 10.],
                          [0., 70., 10., 90.]])
    masks = paste_masks(logits, boxes, torch.tensor([0, 1, 1]), (64, 64), 0.5)
    assert masks.shape == (3, 64, 64)
    # the box interior is filled (bilinear pasting rounds off the corners)
    assert masks[0, 9:23, 8:24].all() and masks[0, 8:24, 9:23].all()
    assert masks[0].sum().item() == masks[0, 8:24, 8:24].sum().item()
    assert not masks[1:].any()
