# Copyright (c) mmvidseg contributors. All rights reserved.
"""Binary masks and their COCO run-length encodings: the one home for
mask <-> RLE <-> box conversions.

Every stage of mmvidseg (datasets, clip transforms, models, metrics,
writers, the toy generator) goes through these functions, so the ``counts``
conventions of the formats it reads and writes are handled in one place:

* COCO / YouTube-VIS / OVIS / BURST / KITTI-MOTS JSON and txt files store
  compressed ``counts`` as ``str``; pycocotools' C API wants ``bytes``.
* Annotation files may also hold uncompressed RLE (``counts`` a list) or
  polygons (a list of coordinate lists); those need the frame size.

Two canonical forms are returned:

* a **coco RLE** (:func:`to_coco_rle`): ``{'size': [h, w], 'counts':
  bytes}``, what pycocotools' ``area`` / ``toBbox`` / ``iou`` / ``merge`` /
  ``decode`` take;
* a **JSON RLE** (:func:`to_json_rle`, :func:`encode_mask`): ``{'size':
  [h, w], 'counts': str}`` with plain ``int`` sizes, what the official files
  hold and ``json.dump`` writes.

Only numpy and pycocotools are imported (no torch, mmcv, mmdet or
mmengine), so the pure metric code in ``mmvidseg.evaluation.functional``
can use it.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

RLE = Dict[str, Any]
Segm = Union[RLE, list, np.ndarray]
Box = Tuple[int, int, int, int]

_EMPTY: Dict[Tuple[int, int], RLE] = {}


def mask_api():
    """``pycocotools.mask``, with an install hint when it is missing."""
    try:
        from pycocotools import mask
    except ImportError as exc:  # pragma: no cover - a runtime requirement
        raise ImportError('RLE masks need pycocotools: '
                          '`pip install pycocotools`.') from exc
    return mask


def _size(height: Optional[int], width: Optional[int], what: str) -> tuple:
    if height is None or width is None:
        raise ValueError(f'{what} needs the frame size (height, width)')
    return int(height), int(width)


def to_coco_rle(segm: Segm, height: Optional[int] = None,
                width: Optional[int] = None) -> RLE:
    """Any mask encoding -> compressed RLE with ``bytes`` counts.

    Upstream ``annToRLE`` (``pycocotools/coco.py``) extended to the forms
    mmvidseg meets.

    Args:
        segm (dict | list | np.ndarray): An RLE dict (``counts`` as ``str``,
            ``bytes`` or an uncompressed ``list``), a polygon list, or a
            ``(H, W)`` binary mask.
        height (int, optional): Frame height; needed for polygons and
            uncompressed RLE without ``size``.
        width (int, optional): Frame width; as ``height``.

    Returns:
        dict: ``{'size': [h, w], 'counts': bytes}``.
    """
    api = mask_api()
    if isinstance(segm, np.ndarray) or hasattr(segm, 'detach'):
        return encode_mask(segm, as_json=False)
    if isinstance(segm, list):  # polygons
        h, w = _size(height, width, 'a polygon mask')
        return api.merge(api.frPyObjects(segm, h, w))
    counts = segm['counts']
    if isinstance(counts, list):  # uncompressed RLE
        h, w = segm.get('size') or _size(height, width, 'an uncompressed RLE')
        return api.frPyObjects(segm, int(h), int(w))
    if isinstance(counts, str):
        counts = counts.encode('utf-8')
    return {'size': [int(s) for s in segm['size']], 'counts': counts}


def to_json_rle(segm: Segm, height: Optional[int] = None,
                width: Optional[int] = None) -> RLE:
    """Any mask encoding -> compressed RLE with ``str`` counts and ``int``
    sizes, as the official JSON files store it (arguments as
    :func:`to_coco_rle`)."""
    rle = to_coco_rle(segm, height, width)
    counts = rle['counts']
    return {'size': [int(s) for s in rle['size']],
            'counts': counts.decode('utf-8') if isinstance(counts, bytes)
            else counts}


def encode_mask(mask: Any, as_json: bool = True) -> RLE:
    """One ``(H, W)`` binary mask (array or tensor) -> compressed RLE.

    Args:
        mask (np.ndarray | Tensor): ``(H, W)``, any dtype; nonzero is
            foreground.
        as_json (bool): ``str`` counts (True) or ``bytes`` (False).
    """
    return encode_masks(np.asarray(_numpy(mask))[None], as_json)[0]


def encode_masks(masks: Any, as_json: bool = True) -> List[RLE]:
    """``(N, H, W)`` binary masks -> N compressed RLEs in one C call.

    Args:
        masks (np.ndarray | Tensor): ``(N, H, W)``; nonzero is foreground.
        as_json (bool): ``str`` counts (True) or ``bytes`` (False).
    """
    arr = np.asarray(_numpy(masks))
    if arr.ndim != 3:
        raise ValueError(f'encode_masks takes (N, H, W) masks, got shape '
                         f'{arr.shape}')
    if not len(arr):
        return []
    # pycocotools encodes an (H, W, N) Fortran array in one call
    rles = mask_api().encode(np.asfortranarray(
        arr.transpose(1, 2, 0).astype(np.uint8)))
    out = []
    for rle in rles:
        counts = rle['counts']
        out.append({'size': [int(s) for s in rle['size']],
                    'counts': counts.decode('utf-8') if as_json else counts})
    return out


def decode_rle(segm: Segm, height: Optional[int] = None,
               width: Optional[int] = None) -> np.ndarray:
    """Any mask encoding (see :func:`to_coco_rle`) -> ``(H, W)`` uint8."""
    if isinstance(segm, np.ndarray):
        return segm.astype(np.uint8)
    return mask_api().decode(to_coco_rle(segm, height, width))


def decode_rles(segms: Sequence[Segm], height: Optional[int] = None,
                width: Optional[int] = None) -> np.ndarray:
    """Many RLEs of one size -> ``(N, H, W)`` uint8 in one C call (an empty
    list needs ``height`` and ``width``)."""
    if not len(segms):
        h, w = _size(height, width, 'decoding no RLE')
        return np.zeros((0, h, w), np.uint8)
    rles = [to_coco_rle(s, height, width) for s in segms]
    return mask_api().decode(rles).transpose(2, 0, 1)  # (H, W, N) out


def rle_areas(segms: Sequence[Segm], height: Optional[int] = None,
              width: Optional[int] = None) -> np.ndarray:
    """Pixel areas of many masks, ``(N,)`` int64.

    ``pycocotools.mask.area`` (2.0.x) builds its output with
    ``np.array((n,), dtype=np.uint8)``, which raises ``OverflowError`` on
    NumPy 2 for more than 255 masks: it is called in chunks of 255.
    """
    rles = [s if _compressed(s) else to_coco_rle(s, height, width)
            for s in segms]
    out = np.zeros(len(rles), dtype=np.int64)
    api = mask_api()
    for start in range(0, len(rles), 255):
        out[start:start + 255] = api.area(rles[start:start + 255])
    return out


def rle_area(segm: Segm, height: Optional[int] = None,
             width: Optional[int] = None) -> int:
    """Pixel area of one mask (any encoding)."""
    return int(mask_api().area(to_coco_rle(segm, height, width)))


def rle_bboxes(segms: Sequence[Segm], height: Optional[int] = None,
               width: Optional[int] = None) -> np.ndarray:
    """``(N, 4)`` float64 ``xywh`` boxes of many masks (pycocotools'
    ``toBbox``: an empty mask gives zeros)."""
    if not len(segms):
        return np.zeros((0, 4))
    rles = [to_coco_rle(s, height, width) for s in segms]
    return np.asarray(mask_api().toBbox(rles), np.float64).reshape(-1, 4)


def rle_bbox(segm: Segm, height: Optional[int] = None,
             width: Optional[int] = None,
             fmt: str = 'xyxy') -> Optional[List[float]]:
    """Box of one mask as floats, or None when it is empty (width or height
    below one pixel).

    Args:
        fmt (str): ``'xyxy'`` (``x2 = x + w``, mmdet's convention) or
            ``'xywh'`` (COCO's).
    """
    x, y, w, h = (float(v) for v in rle_bboxes([segm], height, width)[0])
    if w < 1 or h < 1:
        return None
    return [x, y, x + w, y + h] if fmt == 'xyxy' else [x, y, w, h]


def merge_rles(segms: Sequence[Segm], height: int, width: int) -> RLE:
    """Union of masks as a JSON RLE (an all-zero mask for none)."""
    if not len(segms):
        return to_json_rle(empty_rle(height, width))
    rles = [to_coco_rle(s, height, width) for s in segms]
    merged = rles[0] if len(rles) == 1 else mask_api().merge(rles)
    return to_json_rle(merged)


def empty_rle(height: int, width: int) -> RLE:
    """Compressed (``bytes``) RLE of an all-zero ``(height, width)`` mask
    (cached; do not modify the returned dict)."""
    key = (int(height), int(width))
    if key not in _EMPTY:
        _EMPTY[key] = mask_api().frPyObjects(
            dict(size=list(key), counts=[key[0] * key[1]]), *key)
    return _EMPTY[key]


def check_rle_counts(counts: str, height: int, width: int, where: str,
                     error: type = ValueError) -> None:
    """Check that a compressed RLE string covers exactly ``height * width``
    pixels (pycocotools decodes a corrupt string without complaint).

    Decodes the run lengths as ``rleFrString`` of pycocotools'
    ``maskApi.c``.

    Args:
        counts (str): Compressed ``counts``.
        height (int): Mask height.
        width (int): Mask width.
        where (str): Named in the message (file, video, frame).
        error (type): Exception class raised (datasets raise their
            ``DatasetFormatError``).
    """
    runs: List[int] = []
    p, n = 0, len(counts)
    while p < n:
        x, k, more = 0, 0, True
        while more:
            if p >= n:
                raise error(f'{where}: truncated RLE counts')
            c = ord(counts[p]) - 48
            x |= (c & 0x1f) << (5 * k)
            more = bool(c & 0x20)
            p += 1
            k += 1
            if not more and c & 0x10:
                x |= -1 << (5 * k)
        if len(runs) > 2:
            x += runs[-2]
        runs.append(x)
    if any(r < 0 for r in runs) or sum(runs) != height * width:
        raise error(
            f'{where}: RLE counts cover {sum(runs)} pixels (runs '
            f'{"valid" if min(runs, default=0) >= 0 else "negative"}), the '
            f'size {height}x{width} needs {height * width}; the mask string '
            'is corrupt or the size is wrong')


def rle_counts_valid(counts: Sequence[str],
                     num_pixels: Union[int, Sequence[int]]) -> np.ndarray:
    """Which compressed ``counts`` strings decode to exactly ``num_pixels``
    pixels, for many masks in a few numpy calls (:func:`check_rle_counts`
    checks one string in Python and names the problem).

    Same decoding as ``rleFrString`` of pycocotools' ``maskApi.c``: 6-bit
    groups (5 value bits + a continuation bit) little-endian, sign-extended;
    runs after the second are stored as deltas to the run two back.

    Args:
        counts (Sequence[str]): Compressed counts, one per mask.
        num_pixels (int | Sequence[int]): ``h * w`` of every mask or of each.

    Returns:
        np.ndarray: ``(N,)`` bool, False where a string is truncated, gives
        a negative run or covers another number of pixels.
    """
    n = len(counts)
    expected = np.broadcast_to(np.asarray(num_pixels, np.int64), (n, ))
    data = [c.encode('latin-1') if isinstance(c, str) else bytes(c)
            for c in counts]
    lengths = np.array([len(d) for d in data], np.int64)  # (N,)
    # per character: small dtypes, few passes (the strings are long)
    c = np.frombuffer(b''.join(data), np.uint8).astype(np.int16) - 48
    if not len(c):
        return expected == 0
    bad = (c < 0) | (c > 63)  # (L,) outside the alphabet
    ends = (c & 0x20) == 0  # (L,) last char of a run value
    ends_at = np.cumsum(lengths) - 1  # (N,) last char of each string
    has = lengths > 0
    first = np.empty(len(c), bool)  # (L,) first char of a run value
    first[0] = True
    first[1:] = ends[:-1]
    first[ends_at[has][:-1] + 1] = True  # a new string starts a value
    start = np.flatnonzero(first)  # (G,)
    last = np.append(start[1:], len(c)) - 1  # (G,)
    size = last - start + 1  # (G,) chars per value
    # per run value: 5 bits per char, little-endian, at most 7 chars
    value = np.zeros(len(start), np.int64)
    for k in range(7):
        live = np.flatnonzero(size > k)
        if not len(live):
            break
        value[live] |= (c[start[live] + k].astype(np.int64) & 0x1f) << (
            5 * k)
    sign = (c[last] & 0x10) != 0
    value -= np.where(sign, np.left_shift(1, 5 * np.minimum(size, 7)), 0)
    bad_value = (size > 7) | ~ends[last]  # too long / cut off at the end
    # runs: run i > 2 adds run i - 2, i.e. prefix sums of the odd and of
    # the even (i >= 2) values within each mask
    run_first = np.zeros(len(start), bool)
    run_first[np.searchsorted(start, ends_at[has] - lengths[has] + 1)] = True
    first_run = np.flatnonzero(run_first)  # (M,)
    mask_idx = np.cumsum(run_first) - 1  # (G,) -> 0..M-1
    idx = np.arange(len(value)) - first_run[mask_idx]  # (G,) run index
    odd = (idx & 1) == 1
    runs = value.copy()
    for sel in (odd, ~odd & (idx > 0)):
        stream = np.where(sel, value, 0)
        csum = np.cumsum(stream)
        base = csum[first_run] - stream[first_run]  # (M,) sum before
        runs[sel] = (csum - base[mask_idx])[sel]
    g_mask = np.flatnonzero(has)[mask_idx]  # (G,) mask of each run
    bad_masks = np.bincount(g_mask[bad_value | (runs < 0)], minlength=n) > 0
    bad_chars = np.flatnonzero(bad)
    if len(bad_chars):
        bad_masks[np.searchsorted(ends_at, bad_chars)] = True
    total = np.bincount(g_mask, weights=runs, minlength=n)
    ok = np.where(has, ~bad_masks & (total == expected), expected == 0)
    return ok


def mask_bbox(mask: np.ndarray) -> Optional[Box]:
    """``(x1, y1, x2, y2)`` ints of a ``(H, W)`` mask, ``x2`` / ``y2`` one
    past the last pixel (as mmdet's ``BitmapMasks.get_bboxes``); None for
    an empty mask (STEm-Seg's ``bbox_from_mask``)."""
    cols, rows = mask.any(0), mask.any(1)
    if not cols.any():
        return None
    xs, ys = np.flatnonzero(cols), np.flatnonzero(rows)
    return int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1


def mask_boxes(masks: Sequence[np.ndarray]) -> np.ndarray:
    """``(N, H, W)`` masks -> ``(N, 4)`` float32 boxes of :func:`mask_bbox`;
    an empty mask gets ``(0, 0, 0, 0)``."""
    return np.array([mask_bbox(m) or (0, 0, 0, 0) for m in masks],
                    np.float32).reshape(-1, 4)


def xyxy_to_xywh(box: Optional[Sequence[float]]) -> Optional[List[float]]:
    """``[x1, y1, x2, y2]`` -> ``[x, y, w, h]`` floats (None stays None)."""
    if box is None:
        return None
    x1, y1, x2, y2 = (float(v) for v in box)
    return [x1, y1, x2 - x1, y2 - y1]


def _compressed(segm: Any) -> bool:
    """A compressed RLE dict pycocotools takes as is (``str`` counts are
    encoded by its C layer)."""
    return isinstance(segm, dict) and 'size' in segm and isinstance(
        segm['counts'], (bytes, str))


def _numpy(x: Any) -> Any:
    """Tensors to numpy (detached, on the CPU); anything else unchanged."""
    if hasattr(x, 'detach'):
        return x.detach().cpu().numpy()
    if hasattr(x, 'to_ndarray'):  # mmdet BitmapMasks
        return x.to_ndarray()
    return x
