# Copyright (c) mmvidseg contributors. All rights reserved.
"""Ground-truth / result builders shared by the YouTube-VIS tests."""
import numpy as np

from mmvidseg.structures.masks import encode_mask as rle


def box(h, w, y0, y1, x0, x1):
    m = np.zeros((h, w), np.uint8)
    m[y0:y1, x0:x1] = 1
    return m


def make_gt(videos, anns, num_cats=2):
    return dict(
        videos=[dict(id=v, height=h, width=w, length=t)
                for v, (h, w, t) in videos.items()],
        categories=[dict(id=c, name=f'c{c}') for c in range(1, num_cats + 1)],
        annotations=anns)


def gt_ann(ann_id, vid, cat, masks, iscrowd=0):
    return dict(
        id=ann_id, video_id=vid, category_id=cat, iscrowd=iscrowd,
        segmentations=[None if m is None else rle(m) for m in masks],
        areas=[None if m is None else int(m.sum()) for m in masks])


def pred(vid, cat, score, masks):
    return dict(video_id=vid, category_id=cat, score=score,
                segmentations=[None if m is None else rle(m) for m in masks])


def gt_as_results(gt):
    return [dict(video_id=a['video_id'], category_id=a['category_id'],
                 score=0.9, segmentations=a['segmentations'])
            for a in gt['annotations']]
