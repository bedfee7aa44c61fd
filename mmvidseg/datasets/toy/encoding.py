# Copyright (c) mmvidseg contributors. All rights reserved.
"""Image, mask and file encoders shared by the toy format writers."""
import io
import json
import os
import os.path as osp
from typing import Dict, Sequence

import cv2
import numpy as np
from PIL import Image

from .video import ToyVideo


def encode_jpeg(rgb: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode('.jpg', rgb[..., ::-1],
                           [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok, 'JPEG encoding failed'
    return buf.tobytes()


def encode_png(array: np.ndarray) -> bytes:
    """PNG of an RGB uint8 ``(H, W, 3)`` or a uint8 / uint16 ``(H, W)``."""
    if array.ndim == 3:
        array = array[..., ::-1]  # OpenCV writes BGR
    ok, buf = cv2.imencode('.png', np.ascontiguousarray(array))
    assert ok, 'PNG encoding failed'
    return buf.tobytes()


def encode_palette_png(index_map: np.ndarray, palette: Sequence[int]) -> bytes:
    """Indexed ('P' mode) PNG of a uint8 index map with a flat palette."""
    image = Image.fromarray(index_map.astype(np.uint8), mode='P')
    image.putpalette(list(palette))
    out = io.BytesIO()
    image.save(out, format='PNG')
    return out.getvalue()


def write_bytes(path: str, data: bytes) -> None:
    """Write ``data`` to ``path``, creating its folder when missing."""
    try:
        f = open(path, 'wb')
    except FileNotFoundError:  # first file of a folder (no mkdir per file)
        os.makedirs(osp.dirname(path), exist_ok=True)
        f = open(path, 'wb')
    with f:
        f.write(data)


def write_json(path: str, obj) -> None:
    # dumps uses the C encoder; dump(obj, file) the ~5x slower Python one.
    write_bytes(path, json.dumps(obj, separators=(',', ':')).encode())


def write_lines(path: str, lines: Sequence[str]) -> None:
    write_bytes(path, ''.join(f'{line}\n' for line in lines).encode())


class FrameCache:
    """Encodes each frame once, whichever formats ask for it.

    Args:
        jpeg_quality: Quality of the JPEG frames.
    """

    def __init__(self, jpeg_quality: int) -> None:
        self.jpeg_quality = jpeg_quality
        self._jpeg: Dict[tuple, bytes] = {}
        self._png: Dict[tuple, bytes] = {}

    def jpeg(self, video: ToyVideo, t: int) -> bytes:
        key = (video.split, video.index, t)
        if key not in self._jpeg:
            self._jpeg[key] = encode_jpeg(video.frames[t], self.jpeg_quality)
        return self._jpeg[key]

    def png(self, video: ToyVideo, t: int) -> bytes:
        key = (video.split, video.index, t)
        if key not in self._png:
            self._png[key] = encode_png(video.frames[t])
        return self._png[key]
