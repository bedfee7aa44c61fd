# Copyright (c) mmvidseg contributors. All rights reserved.
import numpy as np
import torch
from mmdet.structures import DetDataSample, TrackDataSample
from mmengine.structures import InstanceData

from mmvidseg.structures.masks import encode_mask

H, W = 8, 10


def _tracks(rng, frames, n=3, shift=0):
    """Per frame ``{track id: (label, mask)}``, masks never overlap."""
    labels = {k: int(rng.integers(0, 2)) for k in range(1, n + 1)}
    out = []
    for _ in range(frames):
        lab = np.zeros((H, W), int)
        for k in labels:
            if rng.random() < 0.25:
                continue
            y, x = rng.integers(0, H - 2), rng.integers(0, W - 2)
            dy, dx = int(rng.integers(2, 5)), int(rng.integers(2, 6))
            lab[y:y + dy, x:x + dx] = k
        lab = np.roll(lab, shift, axis=1)
        out.append({k: (labels[k], lab == k) for k in np.unique(lab).tolist()
                    if k})
    return out


def _instances(frame, with_ids=True):
    ids = sorted(frame)
    masks = np.stack([frame[k][1] for k in ids]) if ids else np.zeros(
        (0, H, W), bool)
    data = InstanceData(masks=torch.from_numpy(masks),
                        labels=torch.tensor([frame[k][0] for k in ids],
                                            dtype=torch.long))
    if with_ids:
        data.instances_id = torch.tensor(ids, dtype=torch.long)
    return data


def _samples(vid, gt, pred, as_track, ignore=None):
    frames = []
    for t, (g, p) in enumerate(zip(gt, pred)):
        s = DetDataSample(metainfo=dict(
            video_id=vid, frame_id=t, ori_shape=(H, W),
            img_path=f'/data/{vid}/frame{30 * t:04d}.jpg'))
        inst = _instances(p)
        inst.scores = torch.linspace(1, 0.5, len(p))
        s.pred_track_instances = inst
        if as_track:
            s.gt_instances = _instances(g)
        else:  # annotation dicts in the metainfo
            s.set_metainfo(dict(instances=[
                dict(instance_id=k, bbox_label=lab, mask=encode_mask(m),
                     ignore_flag=0) for k, (lab, m) in g.items()] + (
                         [dict(instance_id=99, bbox_label=0,
                               mask=encode_mask(ignore), ignore_flag=1)]
                         if ignore is not None else [])))
        frames.append(s)
    return [TrackDataSample(video_data_samples=frames)] if as_track \
        else frames


def _run(metric, videos):
    for args in videos:
        metric.process({}, _samples(*args))
    return metric.evaluate(size=len(metric.results))
