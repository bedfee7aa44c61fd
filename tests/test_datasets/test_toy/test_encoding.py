# Copyright (c) mmvidseg contributors. All rights reserved.
import io

import numpy as np
from PIL import Image

from mmvidseg.datasets.toy import TOY_PRESETS, render_dataset
from mmvidseg.datasets.toy.encoding import (FrameCache, encode_jpeg,
                                            encode_palette_png, encode_png)


def _decode(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def test_png_round_trips_rgb_uint16_and_palette():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    # RGB in, RGB out (OpenCV's BGR order is undone)
    assert np.array_equal(np.array(_decode(encode_png(rgb))), rgb)
    ids = rng.integers(0, 60000, (5, 7)).astype(np.uint16)
    assert np.array_equal(np.array(_decode(encode_png(ids))), ids)
    index = rng.integers(0, 3, (5, 7)).astype(np.uint8)
    palette = [0, 0, 0, 128, 0, 0, 0, 128, 0]
    img = _decode(encode_palette_png(index, palette))
    assert img.mode == 'P'
    assert np.array_equal(np.array(img), index)
    assert img.getpalette()[:9] == palette


def test_jpeg_and_frame_cache():
    flat = np.full((16, 16, 3), (200, 40, 90), np.uint8)
    back = np.array(_decode(encode_jpeg(flat, 95)))
    assert back.shape == flat.shape
    assert np.abs(back.astype(int) - flat).max() <= 3  # lossy, close
    video = render_dataset(TOY_PRESETS['tiny'], 0)[0]
    cache = FrameCache(jpeg_quality=90)
    first = cache.jpeg(video, 0)
    assert cache.jpeg(video, 0) is first  # encoded once
    assert cache.png(video, 1) is cache.png(video, 1)
    assert np.array_equal(np.array(_decode(cache.png(video, 1))),
                          video.frames[1])
