# Copyright (c) mmvidseg contributors. All rights reserved.
import pytest

from mmvidseg.datasets.toy import TOY_PRESETS, ToyDatasetConfig


def test_presets():
    default = TOY_PRESETS['default']
    assert (default.num_train_videos, default.num_val_videos,
            default.num_frames, default.height, default.width) == (60, 20, 8,
                                                                   96, 96)
    assert (default.min_objects, default.max_objects) == (1, 3)
    assert not default.distinct_classes
    assert TOY_PRESETS['distinct'].distinct_classes
    assert {n: c.name for n, c in TOY_PRESETS.items()} == {
        'default': 'default', 'distinct': 'distinct', 'tiny': 'tiny',
        'ttt_train': 'ttt_train', 'ttt_shift': 'ttt_shift'}
    # Video-TTT's presets: unshifted training videos, shifted test videos
    assert TOY_PRESETS['ttt_train'].shift == 'none'
    assert TOY_PRESETS['ttt_shift'].shift == 'mixed'
    with pytest.raises(ValueError, match='distinct_classes'):
        ToyDatasetConfig(distinct_classes=True, max_objects=4)
    with pytest.raises(ValueError, match='num_frames'):
        ToyDatasetConfig(num_frames=1)
