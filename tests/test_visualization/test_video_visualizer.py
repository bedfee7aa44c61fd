# Copyright (c) mmvidseg contributors. All rights reserved.
import cv2
import numpy as np
import pytest
from PIL import Image

from mmvidseg.visualization import (VideoVisualizer, draw_frame, track_color,
                                    write_video)


def _frames(n=3, h=40, w=60):
    return [np.full((h, w, 3), 20 * i, np.uint8) for i in range(n)]


def test_track_colour_is_stable_and_distinct():
    assert track_color(5) == track_color(5)
    assert len({track_color(i) for i in range(20)}) > 15


def test_first_track_colours_are_far_apart():
    # ids 0 and 1 (the first two objects, the referring demo's first two
    # sentences) were both blue once: hues at least 50 degrees apart now
    bgr = np.uint8([[track_color(i) for i in range(5)]])
    hue = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV_FULL)[0, :, 0].astype(int)
    deg = hue * 360 / 256
    for i in range(5):
        for j in range(i + 1, 5):
            d = abs(deg[i] - deg[j])
            assert min(d, 360 - d) > 45, (i, j, deg)


def test_draw_frame_colours_only_the_mask():
    img = np.zeros((40, 60, 3), np.uint8)
    masks = np.zeros((1, 40, 60), bool)
    masks[0, 10:30, 20:40] = True
    out = draw_frame(img, masks, [3], alpha=1.0)
    colour = np.array(track_color(3))
    assert np.array_equal(out[20, 30], colour)  # inside: the track colour
    assert np.array_equal(out[2, 2], [0, 0, 0])  # far outside: untouched
    assert not img.any()  # input not modified
    with pytest.raises(ValueError, match='mask size'):
        draw_frame(img, np.zeros((1, 5, 5), bool))


def test_visualizer_applies_score_threshold():
    masks = np.zeros((2, 40, 60), bool)
    masks[0, :10, :10] = True
    masks[1, 30:, 50:] = True
    inst = dict(masks=masks, scores=np.array([0.9, 0.1]),
                instances_id=np.array([1, 2]), labels=np.array([0, 1]))
    vis = VideoVisualizer(['a', 'b'], alpha=1.0, score_thr=0.5)
    out = vis.draw_video(_frames(1), [inst])[0]
    assert np.array_equal(out[35, 55], [0, 0, 0])  # low score: not drawn
    assert not np.array_equal(out[5, 5], [0, 0, 0])
    with pytest.raises(ValueError, match='2 frames but 1'):
        vis.draw_video(_frames(2), [inst])


def test_write_mp4_and_gif(tmp_path):
    frames = _frames(4)
    mp4 = write_video(frames, str(tmp_path / 'a.mp4'), fps=2)
    cap = cv2.VideoCapture(mp4)
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == 4
    gif = write_video(frames, str(tmp_path / 'a.gif'), min_size=80)
    with Image.open(gif) as im:
        assert im.n_frames == 4 and min(im.size) >= 80
    with pytest.raises(FileExistsError):
        write_video(frames, gif, overwrite=False)
    with pytest.raises(ValueError, match='unknown video format'):
        write_video(frames, str(tmp_path / 'a.webm'))


def test_labels_of_nearby_objects_do_not_overlap():
    from mmvidseg.visualization.video_visualizer import _label_origin
    masks = np.zeros((3, 72, 96), bool)
    masks[0, 20:40, 10:30] = True
    masks[1, 21:41, 12:32] = True  # almost the same top-left corner
    masks[2, 0:5, 0:96] = True  # touches the top edge
    placed = []
    for m in masks:
        _label_origin(m, (60, 9), 3, (72, 96), placed)
    assert len(placed) == 3
    for i, a in enumerate(placed):
        assert 0 <= a[0] and a[2] <= 96 and 0 <= a[1] and a[3] <= 72
        for b in placed[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3]
                        and b[1] < a[3]), (a, b)


def test_video_writer_stream(tmp_path):
    from mmvidseg.visualization import VideoWriterStream
    frames = [np.full((16, 24, 3), i * 20, np.uint8) for i in range(5)]
    with VideoWriterStream(str(tmp_path / 'a.mp4'), fps=5) as w:
        for f in frames:
            w.write(f)
    cap = cv2.VideoCapture(str(tmp_path / 'a.mp4'))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 5
    with pytest.raises(FileExistsError, match='pass --force'):
        VideoWriterStream(str(tmp_path / 'a.mp4'))
    w = VideoWriterStream(str(tmp_path / 'b.gif'))
    w.write(frames[0])
    with pytest.raises(ValueError, match='frame 1 is 8x8, the video 16x24'):
        w.write(np.zeros((8, 8, 3), np.uint8))
    assert w.close().endswith('b.gif')
