# Copyright (c) mmvidseg contributors. All rights reserved.
"""Semantic inference of Mask2FormerTTTFusionHead in the official order."""
import torch
import torch.nn.functional as F
from mmdet.structures import DetDataSample
from mmengine.config import ConfigDict

from mmvidseg.models.heads import Mask2FormerTTTFusionHead


def _head(**test_cfg):
    return Mask2FormerTTTFusionHead(
        num_things_classes=0, num_stuff_classes=2,
        test_cfg=ConfigDict(dict(panoptic_on=False, **test_cfg)))


def test_semantic_only_scores_before_resize():
    """d2 SEM_SEG_POSTPROCESSING_BEFORE_INFERENCE False: class scores on
    the padded masks, then crop + bilinear resize (sem_seg_postprocess)."""
    torch.manual_seed(0)
    cls = torch.randn(1, 3, 3)  # (B, Q, K + 1)
    masks = torch.randn(1, 3, 8, 12) * 4  # padded 8 x 12
    sample = DetDataSample(metainfo=dict(img_shape=(6, 10),
                                         ori_shape=(13, 21)))
    out = _head(semantic_on=True).predict(cls, masks, [sample], rescale=True)
    scores = torch.einsum('qc,qhw->chw', cls[0].softmax(-1)[:, :-1],
                          masks[0].sigmoid())[:, :6, :10]
    scores = F.interpolate(scores[None], (13, 21), mode='bilinear',
                           align_corners=False)[0]
    sem = out[0]['sem_results'].sem_seg
    assert sem.shape == (1, 13, 21)
    assert torch.equal(sem, scores.argmax(0, keepdim=True))


def test_semantic_with_instances_resizes_masks_first():
    torch.manual_seed(1)
    cls = torch.randn(1, 4, 3)
    masks = torch.randn(1, 4, 8, 12) * 4
    sample = DetDataSample(metainfo=dict(img_shape=(6, 10),
                                         ori_shape=(12, 20)))
    out = _head(semantic_on=True, instance_on=True,
                max_per_image=4).predict(cls, masks, [sample], rescale=True)
    m = F.interpolate(masks[:, :, :6, :10], (12, 20), mode='bilinear',
                      align_corners=False)[0]
    scores = torch.einsum('qc,qhw->chw', cls[0].softmax(-1)[:, :-1],
                          m.sigmoid())
    assert torch.equal(out[0]['sem_results'].sem_seg,
                       scores.argmax(0, keepdim=True))
    assert out[0]['ins_results'].masks.shape[-2:] == (12, 20)
