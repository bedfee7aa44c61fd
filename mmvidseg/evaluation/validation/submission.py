# Copyright (c) mmvidseg contributors. All rights reserved.
"""Check a whole submission against a split before uploading it
(``tools/misc/check_submission.py``).

Benchmarks, what they submit and the split file each takes
(``--split-file``):

==================  ==============================  =========================
benchmark           submission                      split file
==================  ==============================  =========================
youtube_vis_2019,   ``results.json`` or the         the split's annotation
youtube_vis_2021,   CodaLab zip                     JSON (``valid.json``) or
youtube_vis_2022,                                   a video list ``<id>
ovis                                                <num_frames> <h> <w>``
ref_youtube_vos     zip / folder with               ``meta_expressions.json``
                    ``Annotations/<video>/<exp>/``  of the split
davis               test-dev folder or zip of       the DAVIS root, or a
                    ``<seq>/<frame>.png``           video list ``<seq>
                                                    <num_frames> [<h> <w>]``
burst               the results JSON                the GT JSON (public)
vipseg              folder ``pred.json`` +          the GT JSON
                    ``pan_pred/``                   (``panoptic_gt_VIPSeg_
                                                    *.json``)
kitti_mots          folder of ``<seq>.txt``         a seqmap
a2d_sentences       results JSON                    the COCO-format GT JSON
==================  ==============================  =========================
"""
import json
import os.path as osp
from typing import Callable, Dict, NamedTuple, Optional

from .burst import validate_burst_results
from .davis import validate_davis_results
from .errors import Problems, ResultsFormatError, run_collecting
from .mots import validate_mots_folder
from .panoptic import validate_vipseg
from .refer import validate_a2d_results, validate_refer_submission
from .splits import (Split, split_from_davis, split_from_meta_expressions,
                     split_from_video_list, split_from_ytvis)
from .ytvis import validate_ytvis_results


class Benchmark(NamedTuple):
    """How one benchmark's submission is checked."""
    submission: str
    split_file: str
    check: Callable


def _json(path: str):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as exc:
        raise ResultsFormatError(f'{path}: cannot read the split file '
                                 f'({exc}). Fix: pass the split\'s JSON') \
            from exc


def ytvis_split_file(split_file: str) -> Split:
    """Split of a YouTube-VIS / OVIS annotation JSON or video list."""
    if split_file.endswith('.json'):
        return split_from_ytvis(_json(split_file), split_file)
    return split_from_video_list(split_file, int_ids=True)


def _ytvis(sub: str, split_file: str, problems: Problems, opts: dict):
    validate_ytvis_results(sub, ytvis_split_file(split_file), problems)
    missing = [w for w in problems.warnings if 'have no prediction' in w]
    if missing and opts.get('strict_videos'):
        problems.error(sub, '', '', missing[0].split(': ', 1)[-1],
                       'predict every video of the split (--all-videos)')


def _refer(sub: str, split_file: str, problems: Problems, opts: dict):
    split = split_from_meta_expressions(split_file)
    validate_refer_submission(sub, split, problems, deep=True)


def _davis(sub: str, split_file: str, problems: Problems, opts: dict):
    task = opts.get('davis_task', 'semi-supervised')
    if osp.isdir(split_file):
        split = split_from_davis(split_file, opts.get('davis_set',
                                                      'test-dev'), task)
    else:
        split = split_from_video_list(split_file)
        for spec in split.videos.values():
            spec.frames = [f'{t:05d}' for t in range(spec.num_frames or 0)]
    validate_davis_results(sub, split, task, problems, deep=True)


def _burst(sub: str, split_file: str, problems: Problems, opts: dict):
    validate_burst_results(sub, _json(split_file), problems,
                           exemplar_guided=opts.get('burst_task') ==
                           'exemplar_guided')


def _vipseg(sub: str, split_file: str, problems: Problems, opts: dict):
    gt_dir = opts.get('gt_dir') or osp.join(osp.dirname(split_file),
                                            'panomasksRGB')
    validate_vipseg(sub, gt_dir, _json(split_file), problems)


def _mots(sub: str, split_file: str, problems: Problems, opts: dict):
    from mmvidseg.evaluation.functional.mots import load_seqmap
    seqs, last = load_seqmap(split_file)
    validate_mots_folder(sub, seqs, None, last, problems)


def _a2d(sub: str, split_file: str, problems: Problems, opts: dict):
    validate_a2d_results(sub, _json(split_file), problems)


BENCHMARKS: Dict[str, Benchmark] = {
    **{name: Benchmark('results.json or zip', 'annotation JSON or video '
                       'list', _ytvis)
       for name in ('youtube_vis_2019', 'youtube_vis_2021',
                    'youtube_vis_2022', 'ovis')},
    'ref_youtube_vos': Benchmark('zip or folder with Annotations/',
                                 'meta_expressions.json', _refer),
    'davis': Benchmark('folder or zip of <seq>/<frame>.png',
                       'DAVIS root or video list', _davis),
    'burst': Benchmark('results JSON', 'GT JSON', _burst),
    'vipseg': Benchmark('folder with pred.json and pan_pred/', 'GT JSON',
                        _vipseg),
    'kitti_mots': Benchmark('folder of <seq>.txt', 'seqmap', _mots),
    'a2d_sentences': Benchmark('results JSON', 'COCO-format GT JSON', _a2d),
}


def check_submission(benchmark: str, submission: str, split_file: str,
                     max_problems: int = 50,
                     options: Optional[dict] = None) -> Problems:
    """Every problem of ``submission`` for ``benchmark`` (not raising).

    Args:
        benchmark (str): A key of :data:`BENCHMARKS`.
        submission (str): The file, zip or folder to upload.
        split_file (str): See the module table.
        max_problems (int): Stop after this many errors.
        options (dict, optional): ``davis_task``, ``davis_set``,
            ``burst_task``, ``gt_dir`` (VIPSeg PNGs), ``strict_videos``
            (YouTube-VIS: a video without predictions is an error).

    Returns:
        Problems: ``errors``, ``warnings``, ``summary()``.
    """
    if benchmark not in BENCHMARKS:
        raise KeyError(f'unknown benchmark {benchmark!r}; choose one of '
                       f'{sorted(BENCHMARKS)}')
    problems = Problems(strict=False, max_problems=max_problems)
    if not osp.exists(split_file):
        problems.error(split_file, '', '', 'does not exist', 'pass '
                       f'--split-file ({BENCHMARKS[benchmark].split_file})')
        return problems
    run_collecting(problems, lambda problems: BENCHMARKS[benchmark].check(
        submission, split_file, problems, options or {}))
    return problems


def verify_submission(benchmark: str, submission: str, split_file: str,
                      options: Optional[dict] = None) -> Problems:
    """:func:`check_submission` that raises when anything is wrong (for
    the tools that write submissions, e.g. ``tools/test_vis.py``).

    Raises:
        ResultsFormatError: listing every problem and the summary.
    """
    problems = check_submission(benchmark, submission, split_file,
                                options=options)
    if not problems.ok:
        raise ResultsFormatError(
            f'{submission} would be rejected or mis-scored (checked as '
            f'{benchmark}):\n' + '\n'.join(problems.errors) +
            f'\n{problems.summary()}')
    return problems


__all__ = ['BENCHMARKS', 'Split', 'check_submission', 'verify_submission']
