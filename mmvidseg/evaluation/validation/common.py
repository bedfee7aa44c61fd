# Copyright (c) mmvidseg contributors. All rights reserved.
"""Readers shared by the validators: JSON files, PNG headers, folders and
zips read alike, scores and RLE masks.

PNGs are checked from their header and end (size, colour type, a complete
``IEND`` chunk) without decoding, so validation adds little to an
evaluation that decodes them anyway; ``decode_png`` is there for checks
that need the pixel values.
"""
import io
import json
import math
import os
import os.path as osp
import struct
import zipfile
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from mmvidseg.structures.masks import rle_counts_valid
from .errors import Problems

PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
COLOR_TYPES = {0: 'grey', 2: 'RGB', 3: 'palette', 4: 'grey+alpha',
               6: 'RGBA'}


class Tree:
    """Files of a results folder or zip, by ``/``-separated relative path.

    Args:
        path (str): A folder or a ``.zip``.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.is_zip = osp.isfile(path) and zipfile.is_zipfile(path)
        if self.is_zip:
            self._zip = zipfile.ZipFile(path)
            self._files = sorted(n for n in self._zip.namelist()
                                 if not n.endswith('/'))
        else:
            self._files = sorted(
                osp.relpath(osp.join(d, f), path).replace(os.sep, '/')
                for d, _, files in os.walk(path) for f in files)

    def files(self) -> List[str]:
        """All file paths, sorted."""
        return self._files

    def read(self, rel: str) -> bytes:
        """Bytes of one file."""
        if self.is_zip:
            return self._zip.read(rel)
        with open(osp.join(self.path, rel), 'rb') as f:
            return f.read()

    def name(self, rel: str) -> str:
        """How a file is named in messages."""
        return f'{self.path}:{rel}' if self.is_zip else osp.join(
            self.path, rel)

    def close(self) -> None:
        if self.is_zip:
            self._zip.close()


def open_tree(path: str, problems: Problems, what: str) -> Optional[Tree]:
    """A :class:`Tree` of ``path``, or None after recording why not."""
    if osp.isdir(path):
        return Tree(path)
    if not osp.isfile(path):
        problems.error(path, '', '', 'does not exist',
                       f'pass the {what} folder or its zip')
        return None
    if not zipfile.is_zipfile(path):
        problems.error(path, '', '', 'is neither a folder nor a zip archive '
                       '(empty or truncated file?)',
                       f'pass the {what} folder or zip it again')
        return None
    try:
        return Tree(path)
    except zipfile.BadZipFile as exc:
        problems.error(path, '', '', f'is a damaged zip ({exc})',
                       'zip the results again')
        return None


def parse_json(data: bytes, file: str, problems: Problems, what: str):
    """Decoded JSON of ``data`` or None after recording the problem."""
    if not data.strip():
        problems.error(file, '', '', 'is empty',
                       f'write the {what} again (the run may have been '
                       'killed while writing)')
        return None
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problems.error(file, '', '', f'is not valid JSON ({exc})',
                       f'write the {what} again with json.dump (truncated '
                       'file?)')
        return None


def load_json_file(path: str, problems: Problems, what: str):
    """JSON content of ``path`` or None after recording the problem."""
    if not osp.isfile(path):
        problems.error(path, '', '', 'does not exist',
                       f'write the {what} or fix the path')
        return None
    with open(path, 'rb') as f:
        return parse_json(f.read(), path, problems, what)


def png_header(data: bytes) -> Optional[Tuple[int, int, int, int]]:
    """``(height, width, bit_depth, color_type)`` of a PNG, or None when
    the bytes are not a PNG."""
    if len(data) < 33 or data[:8] != PNG_SIGNATURE or data[12:16] != \
            b'IHDR':
        return None
    width, height, depth, ctype = struct.unpack('>IIBB', data[16:26])
    return height, width, depth, ctype


def check_png(data: bytes, file: str, where: str, problems: Problems,
              color_types: Sequence[int],
              size: Optional[Tuple[int, int]] = None,
              fix_type: str = '') -> Optional[Tuple[int, int]]:
    """Check one PNG: not empty, a PNG, complete, of an allowed colour
    type and (if given) of ``size`` = (h, w). Returns its (h, w)."""
    if not data:
        problems.error(file, where, '', 'is an empty file',
                       'write the PNG again')
        return None
    header = png_header(data)
    if header is None:
        problems.error(file, where, '', 'is not a PNG image (bad '
                       'signature)', 'save the mask with PNG encoding')
        return None
    if data[-8:-4] != b'IEND':
        problems.error(file, where, '', f'is truncated ({len(data)} bytes, '
                       'no IEND chunk at the end)',
                       'write the PNG again (the run may have been killed '
                       'while writing)')
        return None
    h, w, depth, ctype = header
    if ctype not in color_types:
        names = ' or '.join(COLOR_TYPES[c] for c in color_types)
        got = COLOR_TYPES.get(ctype, ctype)
        problems.error(file, where, 'mode', f'is {got} (bit depth {depth}), '
                       f'expected {names}',
                       fix_type or f'save it as a {names} PNG')
        return None
    if size is not None and (h, w) != tuple(size):
        problems.error(file, where, 'size', f'is {h}x{w} (HxW), the frame '
                       f'is {size[0]}x{size[1]}',
                       'write masks at the original frame resolution')
        return None
    return h, w


def decode_png(data: bytes) -> np.ndarray:
    """Pixel values of a PNG (palette indices for palette images)."""
    from PIL import Image
    with Image.open(io.BytesIO(data)) as img:
        return np.array(img)


def check_score(score, file: str, where: str, problems: Problems,
                field: str = 'score') -> bool:
    """A finite number in [0, 1]."""
    if isinstance(score, bool) or not isinstance(
            score, (int, float, np.number)) or not math.isfinite(score) or \
            not 0 <= score <= 1:
        got = score if isinstance(score, (int, float, np.number)) else \
            repr(score)[:40]
        problems.error(file, where, field, 'must be a finite number in '
                       f'[0, 1], got {got}',
                       'write probabilities (sigmoid / softmax), not '
                       'logits, as JSON numbers; replace NaN')
        return False
    return True


def check_rles(segms: Sequence, size: Tuple[int, int], file: str,
               where: Callable[[int], str], problems: Problems,
               field: str = 'segmentation',
               allow_null: bool = False) -> bool:
    """Check many compressed RLE dicts of one frame size.

    Each must be ``{'size': [h, w], 'counts': str}`` (or ``None`` where
    ``allow_null``) with counts that decode to exactly ``h * w`` pixels
    (pycocotools decodes corrupt strings without complaint).

    Args:
        segms: The RLEs.
        size: ``(h, w)`` of the frames.
        where: index -> place named in the message (video, frame).

    Returns:
        bool: True when all are valid.
    """
    h, w = size
    strings, idx = [], []
    for i, segm in enumerate(segms):
        if segm is None and allow_null:
            continue
        if not isinstance(segm, dict) or 'counts' not in segm or \
                'size' not in segm:
            problems.error(file, where(i), field, f'is {segm!r:.60}, not an '
                           'RLE {"size": [h, w], "counts": str}' +
                           (' or null' if allow_null else ''),
                           'encode masks with pycocotools.mask.encode and '
                           'decode counts to str')
            return False
        got = segm['size']
        if not isinstance(got, (list, tuple)) or list(got) != [h, w]:
            problems.error(file, where(i), f'{field}.size', f'is {got!r:.30}'
                           f', the frame is [{h}, {w}] ([h, w])',
                           'encode masks at the original frame resolution')
            return False
        counts = segm['counts']
        if isinstance(counts, list):
            if not all(isinstance(c, int) and c >= 0 for c in counts) or \
                    sum(counts) != h * w:
                problems.error(file, where(i), f'{field}.counts',
                               f'(uncompressed) does not cover {h}x{w} '
                               'pixels', 'encode the mask again')
                return False
        elif isinstance(counts, str):
            strings.append(counts)
            idx.append(i)
        else:
            problems.error(file, where(i), f'{field}.counts',
                           f'is a {type(counts).__name__}, not a str',
                           'decode bytes counts with .decode("utf-8")')
            return False
    if strings:
        valid = rle_counts_valid(strings, h * w)
        if not valid.all():
            i = idx[int(np.flatnonzero(~valid)[0])]
            problems.error(file, where(i), f'{field}.counts',
                           f'does not decode to a {h}x{w} mask (truncated or '
                           'corrupt RLE string, or the wrong size)',
                           'encode the mask again with '
                           'pycocotools.mask.encode')
            return False
    return True
