# Copyright (c) mmvidseg contributors. All rights reserved.
"""tools/analysis_tools/stream_ap.py: stream tracks -> YouTube-VIS results."""
import importlib.util
import os.path as osp

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from mmvidseg.apis.session import FrameResult

_PATH = osp.join(osp.dirname(__file__), '..', '..', 'tools',
                 'analysis_tools', 'stream_ap.py')
_spec = importlib.util.spec_from_file_location('stream_ap', _PATH)
stream_ap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(stream_ap)


def _frame(idx, ids, labels, scores, h=4, w=6):
    masks = np.zeros((len(ids), h, w), bool)
    for k, tid in enumerate(ids):
        masks[k, :, tid % w] = True  # column = id
    return FrameResult(idx, np.array(ids), np.array(labels),
                       np.array(scores, np.float32), masks)


def test_tracks_to_results_one_entry_per_track():
    frames = [_frame(0, [0], [1], [0.8]),
              _frame(1, [0, 3], [1, 0], [0.6, 0.5]),
              _frame(2, [3], [0], [0.7])]
    res = stream_ap.tracks_to_results(frames, video_id=7, num_frames=3,
                                      category_ids=[10, 20], score='mean')
    assert [r['category_id'] for r in res] == [20, 10]
    assert res[0]['score'] == pytest.approx(0.7)  # mean of .8 and .6
    assert res[1]['score'] == pytest.approx(0.6)
    # default: over the video's frames, absent frames count 0
    video = stream_ap.tracks_to_results(frames, 7, 3, [10, 20])
    assert [r['score'] for r in video] == pytest.approx([1.4 / 3, 1.2 / 3])
    assert [r['segmentations'] for r in video] == [
        r['segmentations'] for r in res]
    with pytest.raises(ValueError, match="score='max'"):
        stream_ap.tracks_to_results(frames, 7, 3, [10, 20], score='max')
    assert all(r['video_id'] == 7 for r in res)
    assert res[0]['segmentations'][2] is None
    assert res[1]['segmentations'][0] is None
    rle = dict(res[1]['segmentations'][2])
    rle['counts'] = rle['counts'].encode()
    mask = mask_utils.decode(rle)
    assert mask.shape == (4, 6) and mask[:, 3].all() and mask.sum() == 4


@pytest.mark.parametrize('text,msg', [('8', 'expected W/O'),
                                      ('4/4', 'overlap must be in'),
                                      ('a/b', 'expected W/O')])
def test_bad_window_is_named(text, msg):
    with pytest.raises(ValueError, match=msg):
        stream_ap.parse_window(text)
    assert stream_ap.parse_window('6/2') == (6, 2)


def test_replay_model_reruns_nothing_within_a_video():
    calls = []

    class Model:
        cfg = 'the config'

        def test_step(self, data):
            calls.append(data)
            return [data * 10]

    model = stream_ap._ReplayModel(Model())
    assert model.cfg == 'the config'  # everything else is the model's
    model.new_video()
    assert [model.test_step(d) for d in (1, 2)] == [[10], [20]]
    model.rewind()  # a second linking setting: the same windows again
    assert [model.test_step(d) for d in (1, 2)] == [[10], [20]]
    assert calls == [1, 2]
    model.new_video()
    assert model.test_step(3) == [30] and calls == [1, 2, 3]
