# Copyright (c) mmvidseg contributors. All rights reserved.
"""init_model / read_video / inference_video on a video file and a folder."""
import cv2
import numpy as np
import pytest

from mmvidseg.apis import inference_video, init_model, read_video
from mmvidseg.testing import config_path
from mmvidseg.visualization import write_video

TOY_CONFIG = config_path(
    'mask2former_vis/mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py')


@pytest.fixture
def frames():
    rng = np.random.RandomState(0)
    return [rng.randint(0, 255, (72, 100, 3), np.uint8) for _ in range(3)]


def test_read_video_file_and_folder(frames, tmp_path):
    write_video(frames, str(tmp_path / 'v.mp4'))
    assert [f.shape for f in read_video(str(tmp_path / 'v.mp4'))] == \
        [(72, 100, 3)] * 3
    assert len(read_video(str(tmp_path / 'v.mp4'), max_frames=2)) == 2
    (tmp_path / 'dir').mkdir()
    for i, f in enumerate(frames):
        cv2.imwrite(str(tmp_path / 'dir' / f'{i:05d}.png'), f)
    got = read_video(str(tmp_path / 'dir'))
    assert all(np.array_equal(a, b) for a, b in zip(got, frames))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        read_video(str(tmp_path / 'nope.mp4'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='no'):
        read_video(str(tmp_path / 'empty'))


def test_inference_video_returns_tracks_at_original_size(frames):
    model = init_model(TOY_CONFIG)
    preds = inference_video(model, frames)
    assert len(preds) == 3
    ids = None
    for p in preds:
        inst = p.pred_track_instances
        assert inst.masks.shape[1:] == (72, 100)
        assert len(inst.scores) == len(inst.labels) == len(inst.instances_id)
        # whole-video inference: the same track ids in every frame
        ids = inst.instances_id.tolist() if ids is None else ids
        assert inst.instances_id.tolist() == ids


def test_inference_video_rejects_empty_expression():
    import numpy as np

    from mmvidseg.apis import inference_video
    with pytest.raises(ValueError, match='empty referring expression'):
        inference_video(object(), [np.zeros((4, 4, 3), np.uint8)], text=' ')
