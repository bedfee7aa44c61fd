# Copyright (c) mmvidseg contributors. All rights reserved.
"""Write a YouTube-VIS / OVIS CodaLab submission, and score it when ground
truth is available.

    python tools/test_vis.py CONFIG CHECKPOINT [--out-dir DIR] [--gt GT.json]
        [--show-dir DIR]

Writes ``DIR/results.json`` and ``DIR/submission_file.zip`` (``results.json``
at the zip root, as the CodaLab servers expect) and checks the zip against
the test dataset's videos and frame counts (as
``tools/misc/check_submission.py`` does), failing loudly when the server
would reject or mis-score it. With ``--gt`` (an official
JSON *with* annotations, e.g. a held-out valid file) or a config whose
evaluator has an ``ann_file``, it also prints AP / AR. ``--show-dir`` renders
the predicted tracks of the first ``--max-show`` videos to mp4 / gif.
"""
import argparse
import json
import os.path as osp

from mmengine.runner import Runner

from mmvidseg.evaluation.validation.submission import verify_submission
from mmvidseg.utils.config_utils import (add_runner_args, load_runner_config,
                                         parse_runner_args)
from mmvidseg.utils.file_safety import add_force_argument, check_new_file


def parse_args():
    parser = argparse.ArgumentParser(
        description='YouTube-VIS / OVIS submission files (+ local AP)')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file or URL')
    parser.add_argument(
        '--out-dir', help='where results.json and submission_file.zip go '
        '(default: <work_dir>/submission)')
    parser.add_argument(
        '--gt', help='official JSON with annotations to score against')
    add_force_argument(parser)  # --force / --overwrite: replace results
    parser.add_argument('--show-dir', help='render predicted tracks here')
    parser.add_argument(
        '--show-format', nargs='+', default=['mp4', 'gif'],
        choices=['mp4', 'gif'])
    parser.add_argument('--max-show', type=int, default=4)
    parser.add_argument('--show-score-thr', type=float, default=0.3)
    add_runner_args(parser, 'where logs go')
    return parse_runner_args(parser)


def main():
    args = parse_args()
    cfg = load_runner_config(args)
    cfg.load_from = args.checkpoint

    out_dir = args.out_dir or osp.join(cfg.work_dir, 'submission')
    results = osp.join(out_dir, 'results.json')
    check_new_file(results, args.force)
    evaluator = cfg.test_evaluator
    if isinstance(evaluator, (list, tuple)):
        raise ValueError('test_vis.py expects a single YouTubeVISMetric '
                         'test_evaluator')
    gt = args.gt or evaluator.get('ann_file')
    cfg.test_evaluator = dict(
        evaluator,
        type='YouTubeVISMetric',
        outfile_prefix=None,  # no <prefix>.json copies from the config
        submission_dir=out_dir,
        ann_file=gt,
        format_only=gt is None)
    if args.show_dir:
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            dict(
                type='VideoRenderHook',
                out_dir=args.show_dir,
                formats=args.show_format,
                max_videos=args.max_show,
                score_thr=args.show_score_thr,
                min_size=256)
        ]
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    zip_path = osp.join(out_dir, 'submission_file.zip')
    split_file = getattr(runner.test_loop.dataloader.dataset, 'ann_file',
                         None) or gt
    if split_file:  # raises ResultsFormatError naming every problem
        checked = verify_submission('youtube_vis_2019', zip_path, split_file)
        print(f'Checked against {split_file}: {checked.summary()}')
    else:
        print('WARNING: the test dataset has no ann_file and no --gt was '
              f'given: run tools/misc/check_submission.py on {zip_path} '
              'before uploading')
    print(f'Submission: {results}')
    print(f'CodaLab zip: {zip_path}')
    if gt is not None:
        scores = {k: float(v) for k, v in metrics.items()
                  if isinstance(v, (int, float))}
        with open(osp.join(out_dir, 'metrics.json'), 'w') as f:
            json.dump(dict(ground_truth=gt, **scores), f, indent=2)
        print(f'Scored against {gt}: ' +
              ', '.join(f'{k}={v:.4f}' for k, v in scores.items()))
        print(f'Metrics: {osp.join(out_dir, "metrics.json")}')
    if args.show_dir:
        print(f'Rendered videos: {args.show_dir}')
    return metrics


if __name__ == '__main__':
    main()
