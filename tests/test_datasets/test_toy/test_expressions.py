# Copyright (c) mmvidseg contributors. All rights reserved.
import dataclasses

import numpy as np

from mmvidseg.datasets.toy import TOY_PRESETS, render_dataset
from mmvidseg.datasets.toy.expressions import _refers


def test_expressions_identify_one_object():
    for video in render_dataset(TOY_PRESETS['default'], 3)[:30]:
        for obj in video.objects:
            assert obj.expressions[0] == (
                f'the {obj.colour} {obj.class_name} moving {obj.direction}')
            assert 1 <= len(obj.expressions) <= 2
            for text in obj.expressions:
                assert [o for o in video.objects if _refers(text, o)] == [obj]


def test_expression_direction_matches_motion():
    # One object per video: no occlusion moves the centroids.
    cfg = dataclasses.replace(
        TOY_PRESETS['default'], max_objects=1, num_train_videos=30)
    for video in render_dataset(cfg, 0)[:30]:
        obj, = video.objects
        masks = video.masks(obj.local_id)  # (T, H, W)
        present = np.flatnonzero(masks.any(axis=(1, 2)))
        c0 = np.argwhere(masks[present[0]]).mean(axis=0)  # (y, x)
        c1 = np.argwhere(masks[present[-1]]).mean(axis=0)
        dy, dx = c1 - c0
        moved = {'left': -dx, 'right': dx, 'up': -dy, 'down': dy}
        assert max(moved, key=moved.get) == obj.direction, (video.name,
                                                            moved)
