# Copyright (c) mmvidseg contributors. All rights reserved.
"""YouTube-VIS / OVIS results (``results.json`` or the CodaLab zip).

Checks, before any AP is computed, what the CodaLab server rejects
("Results do not correspond to current coco set": unknown video ids, wrong
frame counts) or scores as zero without a word (masks of another size,
corrupt RLE, category ids off by one), see ``shared/reference/metrics.md``
section 1: a JSON list of ``{video_id: int, score: float in [0, 1],
category_id: int (1-based), segmentations: [RLE | null, one per frame]}``,
zipped as ``results.json`` at the archive root.
"""
import zipfile
from typing import List, Optional, Union

import numpy as np

from mmvidseg.structures.masks import rle_counts_valid
from .common import check_score, load_json_file, parse_json
from .errors import Problems
from .splits import Split

KEYS = ('video_id', 'score', 'category_id', 'segmentations')
_SERVER = ('the server answers "Results do not correspond to current coco '
           'set"')


def read_ytvis_submission(path: str, problems: Problems) -> Optional[list]:
    """Results of ``results.json`` or of a CodaLab zip (``results.json`` at
    the archive root and nothing else that matters)."""
    if not path.endswith('.zip'):
        return load_json_file(path, problems, 'results JSON')
    if not zipfile.is_zipfile(path):
        problems.error(path, '', '', 'is not a zip archive (empty or '
                       'truncated?)', 'zip results.json again')
        return None
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if not n.endswith('/')]
        if 'results.json' not in names:
            nested = [n for n in names if n.endswith('results.json')]
            problems.error(path, 'zip layout', 'results.json',
                           'is not at the archive root (found '
                           f'{(nested or names)[:3]})',
                           'zip the file itself, not its folder: `cd DIR && '
                           'zip submission.zip results.json`')
            return None
        extra = [n for n in names if n != 'results.json']
        if extra:
            problems.warn(path, 'zip layout', '', f'holds other files '
                          f'{extra[:3]} that the server ignores')
        return parse_json(zf.read('results.json'), f'{path}:results.json',
                          problems, 'results JSON')


def validate_ytvis_results(results: Union[list, str], split: Split,
                           problems: Optional[Problems] = None,
                           source: str = 'results.json') -> Optional[list]:
    """Check YouTube-VIS / OVIS results against the videos of ``split``.

    Args:
        results (list | str): The results list, or a ``results.json`` /
            zip path.
        split (Split): Videos (ids, frame counts, sizes) and category ids.
        problems (Problems, optional): Collector; default raises
            :class:`ResultsFormatError` at the first problem.
        source (str): File named in the messages when ``results`` is a list.

    Returns:
        list | None: The results (read from the file when a path), None
        when they could not be read.
    """
    problems = problems or Problems()
    if isinstance(results, str):
        source = results
        results = read_ytvis_submission(results, problems)
        if results is None:
            return None
    if not isinstance(results, list):
        problems.error(source, '', '', f'holds a {type(results).__name__}, '
                       'not a list of {video_id, score, category_id, '
                       'segmentations}', 'json.dump the list of predicted '
                       'tracks')
        return None
    if not results:
        problems.warn(source, '', '', 'holds no predictions (AP 0)')
    cats = set(split.category_ids or [])
    strings: List[str] = []
    places: List[tuple] = []
    seen = set()
    for i, res in enumerate(results):
        if isinstance(res, dict) and res.get('video_id') in split.videos:
            seen.add(res['video_id'])
        loc = _check_entry(i, res, split, cats, source, problems)
        if loc is None:
            continue
        vid, (h, w) = loc
        for t, segm in enumerate(res['segmentations']):
            where = f'[{i}] (video_id {vid}), frame {t}'
            if segm is None:
                continue
            if not isinstance(segm, dict) or 'counts' not in segm:
                problems.error(source, where, 'segmentations',
                               f'is {segm!r:.60}, not an RLE dict {{size, '
                               'counts} or null', 'encode each frame mask '
                               'with pycocotools.mask.encode (polygons are '
                               'not read by the server)')
                continue
            if list(segm.get('size', [])) != [h, w]:
                problems.error(source, where, 'segmentations.size',
                               f'is {segm.get("size")!r:.30}, the video is '
                               f'[{h}, {w}] ([h, w]); the server would score '
                               'IoU 0', 'write masks at the original video '
                               'resolution')
                continue
            counts = segm['counts']
            # bytes only occur in memory (the metric before writing)
            if isinstance(counts, (str, bytes)):
                strings.append(counts)
                places.append((where, h * w))
            elif not isinstance(counts, list) or sum(
                    c for c in counts if isinstance(c, int)) != h * w:
                problems.error(source, where, 'segmentations.counts',
                               f'is {type(counts).__name__} {counts!r:.30}',
                               'write compressed counts as str')
        problems.count('tracks')
    _check_counts(strings, places, source, problems)
    missing = [v for v in split.videos if v not in seen]
    if missing and results:
        problems.warn(source, '', '', f'{len(missing)} video(s) of '
                      f'{split.source} have no prediction (e.g. '
                      f'{missing[:5]})')
    problems.count('masks', len(strings))
    return results


def _check_entry(i: int, res, split: Split, cats: set, source: str,
                 problems: Problems):
    """Keys, video id, category, score and frame count of one entry;
    ``(video_id, (h, w))`` when its masks should be checked, else None."""
    if not isinstance(res, dict):
        problems.error(source, f'[{i}]', '', f'is a {type(res).__name__}, '
                       'not a dict', 'write one dict per predicted track')
        return None
    for key in KEYS:
        if key not in res:
            problems.error(source, f'[{i}]', key, 'is missing',
                           f'every entry needs {", ".join(KEYS)}')
            return None
    vid = res['video_id']
    where = f'[{i}] (video_id {vid})'
    if isinstance(vid, bool) or not isinstance(vid, (int, np.integer)):
        problems.error(source, where, 'video_id', f'is a '
                       f'{type(vid).__name__}, not an int', 'write the '
                       'integer id of "videos" in the annotation file')
        return None
    if vid not in split.videos:
        problems.error(source, where, 'video_id', f'{vid} is not in the '
                       f'ground truth {split.source} ({_SERVER})',
                       'use the ids of the split you submit to')
        return None
    cat = res['category_id']
    if cats and cat not in cats:
        problems.error(source, where, 'category_id', f'{cat!r} is not one of '
                       f'the {len(cats)} category ids of the split '
                       f'({min(cats)}..{max(cats)})',
                       'ids are 1-based: write label + 1')
        return None
    if not check_score(res['score'], source, where, problems):
        return None
    spec = split.videos[vid]
    segms = res['segmentations']
    num = spec.num_frames
    if not isinstance(segms, list) or (num is not None and len(segms) !=
                                       num):
        got = len(segms) if isinstance(segms, list) else \
            type(segms).__name__
        problems.error(source, where, 'segmentations', 'must list one RLE '
                       f'or null per frame, i.e. {num} entries (ground truth '
                       f'{split.source}), got {got}', 'write null for frames '
                       'without the object')
        return None
    if spec.size is None:
        return None
    return vid, tuple(spec.size)


def _check_counts(strings: List[str], places: List[tuple], source: str,
                  problems: Problems) -> None:
    """All compressed counts in one vectorised pass."""
    if not strings:
        return
    valid = rle_counts_valid(strings, np.array([p[1] for p in places]))
    for j in np.flatnonzero(~valid)[:10].tolist():
        where, pixels = places[j]
        problems.error(source, where, 'segmentations.counts',
                       f'does not decode to {pixels} pixels (truncated or '
                       'corrupt RLE string, or the wrong size)',
                       'encode the mask again with pycocotools.mask.encode')

