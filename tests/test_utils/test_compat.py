import pytest
from mmdet.structures import DetDataSample, TrackDataSample

from mmvidseg.utils.compat import apply_compat_patches, patch_track_data_sample

apply_compat_patches()


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


def test_importing_the_registry_patches_nothing():
    """The fixes are applied explicitly, not by importing the registry; and
    mmdet 3.3's setter still formats (when this fails, drop the fix)."""
    import subprocess
    import sys
    code = ('import mmvidseg.registry\n'
            'from mmdet.structures import TrackDataSample\n'
            'from mmengine.dist import utils\n'
            "assert not getattr(TrackDataSample.video_data_samples.fset, "
            "'_mmvidseg_patched', False)\n"
            "assert not getattr(utils._init_dist_pytorch, '_mmvidseg_cpu', "
            'False)\n'
            'from mmvidseg.utils.compat import '
            'track_data_sample_setter_formats as formats\n'
            'assert formats()\n'
            'from mmvidseg.utils import register_all_modules\n'
            'register_all_modules()\n'
            "assert getattr(TrackDataSample.video_data_samples.fset, "
            "'_mmvidseg_patched', False)\n"
            "assert getattr(utils._init_dist_pytorch, '_mmvidseg_cpu', "
            'False)\n'
            'assert not formats()\n')
    subprocess.run([sys.executable, '-c', code], check=True, timeout=120)
