# Copyright (c) mmvidseg contributors. All rights reserved.
import json
import zipfile

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmvidseg.structures.masks import rle_areas
from mmvidseg.structures.masks import encode_mask as rle
from mmvidseg.evaluation.functional import (YTVISGroundTruth,
                                            dump_ytvis_results,
                                            read_ytvis_results, ytvis_ap)

from ._ytvis_cases import box, gt_as_results, make_gt, pred


@pytest.mark.parametrize('field, value, match', [
    ('video_id', 99, 'video_id" 99 is not in the ground truth'),
    ('category_id', 7, 'category_id" 7'),
    ('score', float('nan'), 'score" must be a finite number'),
])


def test_bad_results_are_rejected(two_videos, field, value, match):
    res = gt_as_results(two_videos)
    res[1][field] = value
    with pytest.raises((KeyError, ValueError), match=match):
        ytvis_ap(two_videos, res)


def test_bad_frame_count_and_mask_size_name_video_and_frame(two_videos):
    res = gt_as_results(two_videos)
    res[2]['segmentations'] = res[2]['segmentations'][:2]
    with pytest.raises(ValueError, match=r'\[2\] \(video_id 2\).*3 entries'):
        ytvis_ap(two_videos, res)
    res = gt_as_results(two_videos)
    res[0]['segmentations'][1] = rle(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r'video_id 1\), frame 1: "segmentations.size"'):
        ytvis_ap(two_videos, res)


def test_polygon_and_uncompressed_ground_truth():
    m = box(10, 10, 2, 6, 2, 6)
    poly = [[2, 2, 6, 2, 6, 6, 2, 6]]
    unc = mask_utils.frPyObjects(poly, 10, 10)[0]
    gt = make_gt({1: (10, 10, 1)}, [dict(
        id=1, video_id=1, category_id=1, iscrowd=0, segmentations=[poly],
        areas=[16])])
    gt_t = YTVISGroundTruth(gt)
    assert rle_areas(gt_t.tracks[1][0].segms).tolist() == [int(
        mask_utils.area(unc))]
    assert ytvis_ap(gt, [pred(1, 1, 1., [m])])['AP50'] == pytest.approx(1.0)


def test_dump_and_read_submission(tmp_path, two_videos):
    res = gt_as_results(two_videos)
    res[0]['segmentations'][0] = dict(
        res[0]['segmentations'][0],
        counts=res[0]['segmentations'][0]['counts'].encode())  # bytes
    json_path, zip_path = dump_ytvis_results(res, str(tmp_path / 'out'))
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.namelist() == ['results.json']
    loaded = json.load(open(json_path))
    assert isinstance(loaded[0]['segmentations'][0]['counts'], str)
    assert read_ytvis_results(zip_path) == loaded
    assert ytvis_ap(two_videos, zip_path)['AP'] == pytest.approx(1.0)


def test_uncompressed_rle_predictions_and_polygons_rejected(two_videos):
    res = gt_as_results(two_videos)
    seg = res[0]['segmentations'][0]
    mask = mask_utils.decode(seg)
    flat = mask.flatten(order='F').tolist()
    counts, cur, run = [], 0, 0
    for v in flat:
        if v == cur:
            run += 1
        else:
            counts.append(run)
            cur, run = v, 1
    counts.append(run)
    res[0]['segmentations'][0] = dict(size=seg['size'], counts=counts)
    assert ytvis_ap(two_videos, res)['AP'] == pytest.approx(1.0)
    res[0]['segmentations'][0] = [[0, 0, 4, 0, 4, 4]]
    with pytest.raises(ValueError, match='frame 0: "segmentations" is'):
        ytvis_ap(two_videos, res)
