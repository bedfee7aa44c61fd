# Copyright (c) mmvidseg contributors. All rights reserved.
"""Referring frame records shared by the referring metric tests."""
import numpy as np
import torch

H, W = 24, 32


def blob(rng, h=H, w=W):
    m = np.zeros((h, w), bool)
    y, x = rng.integers(0, h - 6), rng.integers(0, w - 6)
    m[y:y + rng.integers(3, 10), x:x + rng.integers(3, 12)] = True
    return m


def frame(vid, exp, fid, pred_masks, scores, gt=None, ids=None, **meta):
    pred = dict(masks=torch.from_numpy(np.asarray(pred_masks, bool).reshape(
        -1, H, W)), scores=torch.tensor(scores, dtype=torch.float32))
    if ids is not None:
        pred['instances_id'] = torch.tensor(ids)
    out = dict(video_id=vid, exp_id=exp, frame_id=fid, ori_shape=(H, W),
               pred_instances=pred, **meta)
    if gt is not None:
        out['gt_instances'] = dict(masks=torch.from_numpy(gt[None]),
                                   labels=torch.zeros(1, dtype=torch.long))
    return out


def run(metric, samples):
    metric.process({}, samples)
    return metric.compute_metrics(metric.results)
