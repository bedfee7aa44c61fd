# Copyright (c) mmvidseg contributors. All rights reserved.
"""KITTI-MOTS results (``mots_tools: mots_common/io.py``): per sequence
``<seq>.txt`` with lines ``frame track_id class_id img_height img_width
rle`` or a folder ``<seq>/<%06d>.png`` of ``class * 1000 + instance`` ids,
see ``shared/reference/metrics.md`` section 6.

The official tool aborts on duplicate track ids in a frame, unknown
classes and overlapping masks; the overlap check stays with the reader
(:func:`mmvidseg.evaluation.functional.mots.load_mots_folder`), which
decodes the masks anyway.
"""
import os
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

from .common import check_png, check_rles
from .errors import Problems

CLASSES = (1, 2, 10)


def validate_mots_folder(results: str, sequences: Sequence[str],
                         sizes: Optional[Dict[str, Tuple[int, int]]] = None,
                         max_frames: Optional[Dict[str, int]] = None,
                         problems: Optional[Problems] = None) -> Problems:
    """Check ``<results>/<seq>.txt`` (or PNG folders) of ``sequences``.

    Args:
        results (str): The results folder.
        sequences (Sequence[str]): Sequence names (seqmap or GT folder).
        sizes (dict, optional): ``seq -> (h, w)`` of the frames.
        max_frames (dict, optional): ``seq -> last frame index``.
        problems (Problems, optional): Collector (default: raise).
    """
    problems = problems or Problems()
    if not osp.isdir(results):
        problems.error(results, '', '', 'is not a folder',
                       'pass the folder holding <seq>.txt per sequence')
        return problems
    sizes, max_frames = sizes or {}, max_frames or {}
    for seq in sequences:
        txt, folder = osp.join(results, f'{seq}.txt'), osp.join(results, seq)
        if osp.isdir(folder):
            _check_png_folder(folder, seq, sizes.get(seq), problems)
        elif osp.isfile(txt):
            _check_txt(txt, seq, sizes.get(seq), max_frames.get(seq),
                       problems)
        else:
            problems.error(results, f'sequence {seq}', '', f'has neither '
                           f'{seq}.txt nor a {seq}/ PNG folder',
                           'write one txt per sequence of the seqmap (an '
                           'empty file if nothing was found)')
        problems.count('sequences')
    return problems


def _check_txt(path: str, seq: str, size, last: Optional[int],
               problems: Problems) -> None:
    by_size: Dict[tuple, list] = {}
    seen = set()
    with open(path, 'rb') as f:
        raw = f.read()
    try:
        text = raw.decode('ascii')
    except UnicodeDecodeError:
        problems.error(path, f'sequence {seq}', '', 'is not a text file',
                       'write the MOTS txt format')
        return
    for line_no, line in enumerate(text.splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        where = f'sequence {seq} line {line_no}'
        if len(fields) != 6:
            problems.error(path, where, '', f'has {len(fields)} fields, '
                           'expected 6: "frame track_id class_id img_height '
                           'img_width rle"', 'separate the fields by single '
                           'spaces (the RLE has no spaces)')
            continue
        try:
            frame, track, cls, h, w = map(int, fields[:5])
        except ValueError:
            problems.error(path, where, 'frame track_id class_id img_height '
                           'img_width', f'are not all integers ({line[:40]!r}'
                           ')', 'write integers')
            continue
        where = f'sequence {seq} frame {frame} (line {line_no})'
        if cls not in CLASSES:
            problems.error(path, where, 'class_id', f'is {cls}, expected 1 '
                           '(car), 2 (pedestrian) or 10 (ignore)',
                           'map labels to the KITTI-MOTS class ids')
            continue
        if (frame, track) in seen:
            problems.error(path, where, 'track_id', f'{track} appears twice '
                           'in this frame (the official tool aborts)',
                           'keep one mask per track and frame')
            continue
        seen.add((frame, track))
        if frame < 0 or (last is not None and frame > last):
            problems.error(path, where, 'frame', f'{frame} is outside the '
                           f'sequence (frames 0..{last})',
                           'number frames from 0 as the image files')
            continue
        if size is not None and (h, w) != tuple(size):
            problems.error(path, where, 'img_height img_width', f'are '
                           f'{h} {w}, the frames are {size[0]} {size[1]}',
                           'write masks at the original image size')
            continue
        by_size.setdefault((h, w), []).append(
            ({'size': [h, w], 'counts': fields[5]}, where))
    for hw, items in by_size.items():
        check_rles([s for s, _ in items], hw, path,
                   lambda j, items=items: items[j][1], problems, 'rle')
        problems.count('masks', len(items))


def _check_png_folder(folder: str, seq: str, size, problems: Problems
                      ) -> None:
    for name in sorted(os.listdir(folder)):
        where = f'sequence {seq} file {name}'
        if not (name.endswith('.png') and len(name) == 10 and
                name[:6].isdigit()):
            problems.error(folder, where, '', 'is not named <%06d>.png',
                           'name the PNGs by frame index (000000.png)')
            continue
        with open(osp.join(folder, name), 'rb') as f:
            data = f.read()
        check_png(data, osp.join(folder, name), where, problems, (0, ),
                  size, 'save ids class*1000+instance as a 16-bit grey PNG')
        problems.count('frames')
