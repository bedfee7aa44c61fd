# Copyright (c) mmvidseg contributors. All rights reserved.
"""Check a submission before uploading it to a benchmark server.

    python tools/misc/check_submission.py --benchmark youtube_vis_2019 \\
        work_dirs/x/submission/submission_file.zip \\
        --split-file data/youtube_vis_2019/annotations/valid.json
    python tools/misc/check_submission.py --benchmark ref_youtube_vos \\
        submission.zip --split-file \\
        data/ref_youtube_vos/meta_expressions/valid/meta_expressions.json
    python tools/misc/check_submission.py --benchmark davis results/ \\
        --split-file data/DAVIS --davis-set test-dev

Validates the file, zip or folder against the split's videos, frames and
expressions (missing or extra videos, wrong frame counts, masks of the
wrong size, undecodable RLE, scores outside [0, 1], wrong zip layout) and
prints every problem with the video and frame it concerns, then a one-line
summary. Exit code 0 when the submission is valid, 1 otherwise.

``--split-file`` per benchmark (see
``mmvidseg/evaluation/validation/submission.py``): YouTube-VIS / OVIS: the
split's annotation JSON (``valid.json``) or a video list (``<id>
<num_frames> <height> <width>`` per line); Ref-YouTube-VOS: the split's
``meta_expressions.json``; DAVIS: the DAVIS root (with ``--davis-set``) or
a video list (``<sequence> <num_frames>``); BURST / VIPSeg / A2D: the GT
JSON; KITTI-MOTS: a seqmap.
"""
import argparse
import sys

from mmvidseg.evaluation.validation import ResultsFormatError
from mmvidseg.evaluation.validation.submission import (BENCHMARKS,
                                                       check_submission)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Validate a benchmark submission before upload')
    parser.add_argument('--benchmark', required=True,
                        choices=sorted(BENCHMARKS))
    parser.add_argument('submission', help='results file, zip or folder')
    parser.add_argument('--split-file', required=True,
                        help='annotation JSON, meta_expressions.json, DAVIS '
                        'root, GT JSON, seqmap or video list of the split')
    parser.add_argument('--davis-set', default='test-dev')
    parser.add_argument('--davis-task', default='semi-supervised',
                        choices=['semi-supervised', 'unsupervised'])
    parser.add_argument('--burst-task', default='class_guided',
                        choices=['class_guided', 'exemplar_guided'])
    parser.add_argument('--gt-dir', default=None,
                        help='VIPSeg: GT PNG folder (default: '
                        'panomasksRGB next to the GT JSON)')
    parser.add_argument('--all-videos', action='store_true',
                        help='YouTube-VIS / OVIS: a video without any '
                        'prediction is an error, not a warning')
    parser.add_argument('--max-problems', type=int, default=50)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    options = dict(davis_set=args.davis_set, davis_task=args.davis_task,
                   burst_task=args.burst_task, gt_dir=args.gt_dir,
                   strict_videos=args.all_videos)
    try:
        problems = check_submission(args.benchmark, args.submission,
                                    args.split_file, args.max_problems,
                                    options)
    except ResultsFormatError as exc:  # the split file itself is unusable
        print(f'ERROR {exc}')
        print('INVALID: the split file could not be read')
        return 1
    for text in problems.errors:
        print(f'ERROR {text}')
    for text in problems.warnings[:20]:
        print(f'WARNING {text}')
    if len(problems.warnings) > 20:
        print(f'... {len(problems.warnings) - 20} more warnings')
    print(f'{args.benchmark} {args.submission}: {problems.summary()}')
    return 0 if problems.ok else 1


if __name__ == '__main__':
    sys.exit(main())
