import pytest
from mmdet.structures import DetDataSample, TrackDataSample

import mmvidseg.registry  # noqa: F401  installs the patches
from mmvidseg.utils.mmdet_patches import patch_track_data_sample


class _NoRepr(DetDataSample):

    def __repr__(self):
        raise AssertionError('formatted while being stored')


def test_setting_video_data_samples_formats_nothing():
    frames = [_NoRepr(metainfo=dict(frame_id=i)) for i in range(3)]
    sample = TrackDataSample()
    sample.video_data_samples = frames  # mmdet 3.3 calls repr(frames[0])
    assert sample.video_data_samples == frames
    assert len(sample) == 3
    single = TrackDataSample()
    single.video_data_samples = frames[0]
    assert single.video_data_samples == [frames[0]]
    del sample.video_data_samples
    assert not hasattr(sample, '_video_data_samples')


def test_bad_values_still_raise():
    sample = TrackDataSample()
    with pytest.raises(TypeError, match='list of DetDataSample'):
        sample.video_data_samples = (DetDataSample(), )
    with pytest.raises(TypeError, match='got int'):
        sample.video_data_samples = [1, 2]
    with pytest.raises(TypeError, match='empty list'):
        sample.video_data_samples = []


def test_patch_is_idempotent():
    setter = TrackDataSample.video_data_samples.fset
    patch_track_data_sample()
    assert TrackDataSample.video_data_samples.fset is setter
