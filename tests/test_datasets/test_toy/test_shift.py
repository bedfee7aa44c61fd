# Copyright (c) mmvidseg contributors. All rights reserved.
"""Toy distribution shift: off by default (bytes and stamp unchanged),
changes only the frames from ``shift_start`` on."""
import hashlib
from dataclasses import replace

import numpy as np
import pytest

from mmvidseg.datasets.toy import get_preset, render_video
from mmvidseg.datasets.toy.generate import _identity
from mmvidseg.datasets.toy.shift import shift_kind

TINY = get_preset('tiny')


def test_default_is_byte_identical_and_stamp_unchanged():
    video = render_video(TINY, 0, 'valid', 0)
    # digests of the frames / id maps before the option existed
    assert hashlib.sha256(video.frames.tobytes()).hexdigest()[:16] == \
        'ab8e7762f98dbecc'
    assert hashlib.sha256(video.id_maps.tobytes()).hexdigest()[:16] == \
        'd6a922927863748b'
    assert 'shift' not in _identity(TINY, 0)['config']
    assert _identity(replace(TINY, shift='blur'), 0)['config']['shift'] == \
        'blur'


@pytest.mark.parametrize('kind', ['lighting', 'blur', 'noise', 'texture'])
def test_shift_changes_frames_from_start_only(kind):
    base = render_video(TINY, 0, 'valid', 0)
    shifted = render_video(replace(TINY, shift=kind, shift_start=0.4), 0,
                           'valid', 0)
    start = int(0.4 * TINY.num_frames)  # 2
    assert np.array_equal(shifted.frames[:start], base.frames[:start])
    diff = np.abs(shifted.frames[start:].astype(int) -
                  base.frames[start:].astype(int)).mean()
    assert diff > 3
    assert np.array_equal(shifted.id_maps, base.id_maps)  # GT unchanged
    assert [o.category_id for o in shifted.objects] == \
        [o.category_id for o in base.objects]


def test_mixed_cycles_and_bad_name():
    cfg = replace(TINY, shift='mixed')
    assert [shift_kind(cfg, i) for i in range(5)] == [
        'lighting', 'blur', 'noise', 'texture', 'lighting']
    with pytest.raises(ValueError, match='shift must be one of'):
        replace(TINY, shift='fog')
