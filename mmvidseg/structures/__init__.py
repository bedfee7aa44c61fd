# Copyright (c) mmvidseg contributors. All rights reserved.
"""Data every stage shares.

* :mod:`.masks`: binary masks <-> COCO RLE <-> boxes (numpy + pycocotools).
* :mod:`.video_sample`: per-frame prediction / ground-truth records read out
  of data samples (what metrics, writers and the visualizer pass around).
* :mod:`.refer_sample`: the same for referring / per-frame mask tasks.

None of them imports mmcv / mmdet / mmengine; data-sample classes built on
mmdet's ``TrackDataSample`` for new tasks live in their own modules here and
are imported explicitly.
"""
