# Copyright (c) mmvidseg contributors. All rights reserved.
"""The README's main job, end to end on the embedded toy data (CPU).

1. generate the toy dataset in the official formats (once; skipped when
   present),
2. train the toy config,
3. run ``tools/test_vis.py``: CodaLab ``results.json`` + zip, scored locally
   against the held-out valid ground truth (YouTube-VIS AP),
4. render the predicted tracks of a few validation videos to mp4 / gif,

and print where each output is. Everything lands under ``--work-dir``.
"""
import argparse
import json
import os.path as osp
import subprocess
import sys
import time

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEFAULT_CONFIG = 'configs/mask2former_vis/' \
    'mask2former_r18-b16-tiny_1xb4-2500i_toy-ytvis.py'


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--data-root', default='data/toy')
    parser.add_argument('--preset', default='default')
    parser.add_argument('--work-dir', default='work_dirs/main_job')
    parser.add_argument(
        '--max-iters', type=int, help='override train_cfg.max_iters')
    return parser.parse_args()


def run(cmd):
    print('+', ' '.join(cmd), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)


def report_versions():
    """Print the versions that change the main job's numbers and every
    package that differs from ``requirements/constraints.txt``."""
    sys.path.insert(0, ROOT)
    from mmvidseg.utils.env_info import (constraint_mismatches,
                                         numeric_versions)
    versions = numeric_versions()
    print('versions that affect the numbers: ' +
          ', '.join(f'{k} {v}' for k, v in versions.items()), flush=True)
    mismatches = constraint_mismatches()
    for name, pinned, installed in mismatches:
        print(f'WARNING: {name} {installed or "not installed"} differs from '
              f'the pinned {pinned} (requirements/constraints.txt); the AP '
              'may differ from the README. `bash tools/install.sh` '
              'restores the pins.', flush=True)
    return versions, [m[0] for m in mismatches]


def main():
    args = parse_args()
    t0 = time.time()
    py = sys.executable
    versions, unpinned = report_versions()
    run([
        py, 'tools/dataset_converters/make_toy_dataset.py', '--out',
        args.data_root, '--preset', args.preset
    ])
    t_data = time.time()
    # validation happens once, in test_vis.py below
    opts = [
        f'train_dataloader.dataset.data_root={args.data_root}/youtube_vis/',
        'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None'
    ]
    if args.max_iters:
        opts += [
            f'train_cfg.max_iters={args.max_iters}',
            f'train_cfg.val_interval={args.max_iters}',
            f'default_hooks.checkpoint.interval={args.max_iters}'
        ]
    run([py, 'tools/train.py', args.config, '--work-dir', args.work_dir,
         '--cfg-options'] + opts)
    t_train = time.time()
    ckpt = osp.join(ROOT, args.work_dir, 'last_checkpoint')
    with open(ckpt) as f:
        ckpt = f.read().strip()
    sub_dir = osp.join(args.work_dir, 'submission')
    vis_dir = osp.join(args.work_dir, 'vis')
    gt = f'{args.data_root}/youtube_vis/valid_gt.json'
    run([
        py, 'tools/test_vis.py', args.config, ckpt, '--out-dir', sub_dir,
        '--gt', gt, '--overwrite', '--show-dir', vis_dir, '--max-show', '4',
        '--work-dir', args.work_dir, '--cfg-options',
        f'test_dataloader.dataset.data_root={args.data_root}/youtube_vis/'
    ])
    t_end = time.time()
    with open(osp.join(ROOT, sub_dir, 'metrics.json')) as f:
        scores = json.load(f)
    summary = dict(
        metrics={k: round(v, 4) for k, v in scores.items()
                 if isinstance(v, float)},
        wall_time_s=dict(
            total=round(t_end - t0, 1),
            data=round(t_data - t0, 1),
            train=round(t_train - t_data, 1),
            test_and_render=round(t_end - t_train, 1)),
        outputs=dict(
            toy_data=args.data_root,
            checkpoint=ckpt,
            results_json=osp.join(sub_dir, 'results.json'),
            metrics_json=osp.join(sub_dir, 'metrics.json'),
            codalab_zip=osp.join(sub_dir, 'submission_file.zip'),
            rendered_videos=vis_dir,
            logs=args.work_dir),
        versions=versions,
        not_as_pinned=unpinned)
    with open(osp.join(ROOT, args.work_dir, 'main_job_summary.json'),
              'w') as f:
        json.dump(summary, f, indent=2)
    print('\n=== mmvidseg main job done ===')
    print(json.dumps(summary, indent=2))


if __name__ == '__main__':
    main()
