# Copyright (c) mmvidseg contributors. All rights reserved.
"""``LoadImageFromFile`` that refuses missing, truncated or undecodable frames.

mmcv's loader raises a bare ``FileNotFoundError`` for a missing frame and an
``AssertionError('failed to load image')`` for a truncated one (with
OpenCV 5; other decoders, e.g. Pillow with ``LOAD_TRUNCATED_IMAGES``, decode
a cut file and fill the missing rows), so one damaged frame kills a multi-day
run deep inside a worker with no way to skip it. This loader checks that the file is complete (JPEG:
ends with the EOI marker; PNG: has its IEND chunk) and decodes, and raises
:class:`CorruptFrameError` naming the file otherwise. What happens next is the
dataset's policy (``on_corrupt_frame`` of
:class:`mmvidseg.datasets.base_video_dataset.BaseVideoDataset`: raise, or skip
the sample and count it). Shadows mmcv's class of the same name for
``default_scope='mmvidseg'`` configs (:mod:`mmvidseg.overrides`).
"""
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile as _MMCVLoadImageFromFile
from mmengine import fileio

JPEG_SOI, JPEG_EOI = b'\xff\xd8', b'\xff\xd9'
PNG_SIGNATURE, PNG_IEND = b'\x89PNG\r\n\x1a\n', b'IEND'


class CorruptFrameError(OSError):
    """A frame file that is missing, empty, truncated or undecodable."""

    def __init__(self, path: str, reason: str) -> None:
        self.path, self.reason = path, reason
        super().__init__(
            f'frame {path}: {reason}. Re-extract or re-download this frame; '
            "to train past damaged frames set the dataset's "
            "on_corrupt_frame='skip' (default for training: the sample is "
            'skipped and counted in the log).')


def check_frame_bytes(data: bytes, path: str) -> None:
    """Raise :class:`CorruptFrameError` if ``data`` is an empty, truncated
    JPEG or truncated PNG file (other formats: only emptiness is checked)."""
    if not data:
        raise CorruptFrameError(path, 'the file is empty')
    if data.startswith(JPEG_SOI):
        tail = data[-4096:].rstrip(b'\x00\r\n\t ')
        # FF D9 cannot occur inside entropy-coded data (FF is stuffed as
        # FF 00), so its absence at the end means the file was cut
        if not tail.endswith(JPEG_EOI) and JPEG_EOI not in tail:
            raise CorruptFrameError(
                path, f'truncated JPEG ({len(data)} bytes, no end-of-image '
                'marker)')
    elif data.startswith(PNG_SIGNATURE):
        if PNG_IEND not in data[-64:]:
            raise CorruptFrameError(
                path, f'truncated PNG ({len(data)} bytes, no IEND chunk)')


class LoadImageFromFile(_MMCVLoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` (same arguments) that raises
    :class:`CorruptFrameError` for a missing, empty, truncated or
    undecodable frame (``ignore_empty=True`` still returns None for a missing
    file, as mmcv's)."""

    def transform(self, results: dict) -> Optional[dict]:
        filename = results['img_path']
        try:
            if self.file_client_args is not None:
                img_bytes = fileio.FileClient.infer_client(
                    self.file_client_args, filename).get(filename)
            else:
                img_bytes = fileio.get(filename, backend_args=self.backend_args)
        except FileNotFoundError:
            if self.ignore_empty:
                return None
            raise CorruptFrameError(filename, 'the file does not exist')
        check_frame_bytes(img_bytes, filename)
        try:
            img = mmcv.imfrombytes(img_bytes, flag=self.color_type,
                                   backend=self.imdecode_backend)
        except Exception as e:  # decoder-specific exception types
            raise CorruptFrameError(filename, f'cannot be decoded ({e})')
        if img is None:
            raise CorruptFrameError(filename, 'cannot be decoded')
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results
