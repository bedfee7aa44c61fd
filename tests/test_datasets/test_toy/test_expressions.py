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


def test_unique_expressions_cover_every_kind_that_picks_one_object():
    from mmvidseg.datasets.toy.expressions import (EXPRESSION_KINDS,
                                                   unique_expressions)
    seen = {k: 0 for k in EXPRESSION_KINDS}
    decisive = {k: 0 for k in EXPRESSION_KINDS}
    for video in render_dataset(TOY_PRESETS['default'], 0)[:40]:
        found = unique_expressions(video.objects)
        for obj, kind, text, dec in found:
            assert [o for o in video.objects if _refers(text, o)] == [obj]
            seen[kind] += 1
            decisive[kind] += dec
            shared = [o for o in video.objects
                      if o.class_name == obj.class_name]
            assert dec == (len(video.objects) > 1 if kind == 'class' else
                           len(shared) > 1)
        for obj in video.objects:
            texts = [t for o, _, t, _ in found if o is obj]
            # a superset of the generator's own two, colour always there
            assert set(obj.expressions) <= set(texts)
            assert f'the {obj.colour} {obj.class_name}' in texts
            class_unique = sum(o.class_name == obj.class_name
                               for o in video.objects) == 1
            assert (f'the {obj.class_name}' in texts) == class_unique
    assert all(seen.values()) and all(decisive.values())


def test_kind_expression_rejects_unknown_kind():
    import pytest

    from mmvidseg.datasets.toy.expressions import kind_expression
    video = render_dataset(TOY_PRESETS['tiny'], 0)[0]
    obj = video.objects[0]
    assert kind_expression('colour', obj) == \
        f'the {obj.colour} {obj.class_name}'
    with pytest.raises(ValueError, match='unknown expression kind'):
        kind_expression('size', obj)
