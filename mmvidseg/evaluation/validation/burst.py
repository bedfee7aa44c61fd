# Copyright (c) mmvidseg contributors. All rights reserved.
"""BURST results (``Ali2500/BURST-benchmark: ANNOTATION_FORMAT.md``): one
JSON in the ground-truth format, ``sequences: [{id, dataset, seq_name,
annotated_image_paths, segmentations: [{track_id: {rle, score?,
category_id?}} per frame], track_category_ids}]``, see
``shared/reference/metrics.md`` section 5."""
from typing import Dict, Optional, Union

from .common import check_rles, check_score, load_json_file
from .errors import Problems

SEQ_KEYS = ('dataset', 'seq_name', 'annotated_image_paths',
            'segmentations')


def validate_burst_results(pred: Union[dict, str], gt: dict,
                           problems: Optional[Problems] = None,
                           source: str = 'results.json',
                           exemplar_guided: bool = False) -> Optional[dict]:
    """Check BURST predictions against the GT JSON (``all_classes.json``).

    Args:
        pred (dict | str): The prediction JSON or its path.
        gt (dict): The ground truth.
        problems (Problems, optional): Collector (default: raise).
        source (str): File named in messages when ``pred`` is a dict.
        exemplar_guided (bool): Track ids must be GT track ids.

    Returns:
        dict | None: The predictions, None if unreadable.
    """
    problems = problems or Problems()
    if isinstance(pred, str):
        source = pred
        pred = load_json_file(pred, problems, 'BURST results JSON')
        if pred is None:
            return None
    if not isinstance(pred, dict) or not isinstance(pred.get('sequences'),
                                                    list):
        problems.error(source, '', 'sequences', 'is missing (or not a list)',
                       'copy the GT JSON and replace track_category_ids and '
                       'segmentations')
        return None
    gt_seqs = {(s['dataset'], s['seq_name']): s for s in gt['sequences']}
    seen: Dict[tuple, int] = {}
    for i, seq in enumerate(pred['sequences']):
        _check_sequence(i, seq, gt_seqs, seen, source, problems,
                        exemplar_guided)
    missing = [f'{d}/{n}' for d, n in gt_seqs if (d, n) not in seen]
    if missing:
        problems.warn(source, '', 'sequences', f'{len(missing)} GT '
                      f'sequence(s) have no prediction (e.g. {missing[:3]})')
    return pred


def _check_sequence(i: int, seq, gt_seqs: dict, seen: dict, source: str,
                    problems: Problems, exemplar_guided: bool) -> None:
    if not isinstance(seq, dict):
        problems.error(source, f'sequences[{i}]', '', 'is not a dict',
                       'write one dict per sequence')
        return
    missing = [k for k in SEQ_KEYS if k not in seq]
    if missing:
        problems.error(source, f'sequences[{i}]', missing[0], 'is missing',
                       f'every sequence needs {", ".join(SEQ_KEYS)}')
        return
    key = (seq['dataset'], seq['seq_name'])
    where = f'sequences[{i}] ({key[0]}/{key[1]})'
    if key not in gt_seqs:
        problems.error(source, where, 'seq_name', 'is not a sequence of the '
                       'ground truth', 'predict the GT sequences only')
        return
    if key in seen:
        problems.error(source, where, 'seq_name', 'duplicates '
                       f'sequences[{seen[key]}]', 'write one entry per '
                       'sequence')
        return
    seen[key] = i
    paths, segs = seq['annotated_image_paths'], seq['segmentations']
    if not isinstance(segs, list) or not isinstance(paths, list) or \
            len(segs) != len(paths):
        problems.error(source, where, 'segmentations', f'has '
                       f'{len(segs) if isinstance(segs, list) else segs!r:.20}'
                       f' frames for {len(paths)} annotated_image_paths',
                       'write one dict {track_id: {rle}} per listed frame')
        return
    gt = gt_seqs[key]
    size = (gt['height'], gt['width'])
    gt_paths = set(gt['annotated_image_paths'])
    cats = seq.get('track_category_ids') or {}
    gt_tracks = set(gt.get('track_category_ids') or {})
    rles, places = [], []
    for t, (path, frame) in enumerate(zip(paths, segs)):
        fwhere = f'{where} frame {path}'
        if path not in gt_paths:
            problems.warn(source, fwhere, '', 'is not an annotated GT frame '
                          '(ignored: evaluation is at 1 FPS)')
        if not isinstance(frame, dict):
            problems.error(source, fwhere, 'segmentations', 'is not a dict '
                           '{track_id: {rle}}', 'write {} for a frame '
                           'without objects')
            continue
        for tid, det in frame.items():
            twhere = f'{fwhere} track {tid}'
            if not str(tid).isdigit():
                problems.error(source, twhere, 'track_id', 'is not an '
                               'integer string', 'key tracks by str(int id)')
                continue
            if not isinstance(det, dict) or 'rle' not in det:
                problems.error(source, twhere, 'rle', 'is missing',
                               'write {"rle": counts str} (omit null masks)')
                continue
            if exemplar_guided and tid not in gt_tracks:
                problems.error(source, twhere, 'track_id', 'is not a GT '
                               'track (exemplar-guided ids are given)',
                               'keep the GT track ids')
                continue
            if 'category_id' not in det and tid not in cats:
                problems.error(source, twhere, 'track_category_ids', 'has '
                               f'no entry for track {tid}', 'add the track '
                               'category to track_category_ids')
                continue
            if 'score' in det and not check_score(det['score'], source,
                                                  twhere, problems):
                continue
            rles.append({'size': list(size), 'counts': det['rle']})
            places.append(twhere)
    check_rles(rles, size, source, lambda j: places[j], problems, 'rle')
    problems.count('masks', len(rles))
    problems.count('sequences')
