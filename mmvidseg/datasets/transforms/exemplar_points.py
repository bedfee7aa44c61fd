# Copyright (c) mmvidseg contributors. All rights reserved.
"""Point exemplars (BURST ``point``) into the packed frames."""
import math

import torch
from mmcv.transforms import BaseTransform

from mmvidseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class PackExemplarPoints(BaseTransform):
    """Set ``gt_instances.points`` ``(N, 2)`` float, ``(x, y)`` in original
    pixels, on every frame of a packed ``TrackDataSample``.

    Put it after ``PackTrackInputs``. Rows follow
    ``gt_instances.instances_ids``; the points come from the frame's
    metainfo ``instances`` (their ``point`` entry, written by
    :class:`~mmvidseg.datasets.BURSTDataset`); an instance without a point
    gets ``NaN`` (TarViS reads the points of each track's exemplar frame
    only).
    """

    def transform(self, results: dict) -> dict:
        sample = results['data_samples']
        for frame in sample.video_data_samples:
            points = {int(i['instance_id']): i['point']
                      for i in frame.metainfo.get('instances', [])
                      if 'point' in i}
            gt = frame.gt_instances
            ids = gt.instances_ids.tolist() if 'instances_ids' in gt else []
            rows = [points.get(int(i), [math.nan, math.nan]) for i in ids]
            gt.points = torch.tensor(rows, dtype=torch.float32).reshape(-1,
                                                                        2)
        return results
