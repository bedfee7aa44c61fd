# Copyright (c) mmvidseg contributors. All rights reserved.
"""Score ONE toy joint TarViS checkpoint on the four toy tasks.

The same weights, switched only by the model's ``task`` / ``dataset_name``
/ ``test_cfg`` and the test data, as the joint config's ``task_tests`` say
(``configs/tarvis/tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py``):

=============  ===============================================  ==========
task           test data                                        scores
=============  ===============================================  ==========
vis            toy YouTube-VIS valid (20 videos), the config's  AP / AR
               own test settings
vis-heldout    the same model on the videos of                  AP / AR
               ``make_toy_heldout.py --seeds 1 2`` (160)
vps            ``task_tests.vps``: toy KITTI-STEP valid         STQ, VPQ
davis          ``task_tests.davis``: toy DAVIS valid, objects   J&F
               scored from their first frame
burst          ``task_tests.burst``: toy BURST valid, point     HOTA
               exemplars
burst-mask     the same with ``model.task='vos'`` (masks)       HOTA
=============  ===============================================  ==========

    python tools/analysis_tools/score_joint_toy.py CHECKPOINT \\
        [--config JOINT_CONFIG] [--toy-root data/toy] \\
        [--heldout data/toy_heldout] \\
        [--tasks vis vis-heldout vps davis burst] [--max-videos N] \\
        [--work-dir work_dirs/score_joint_toy]

prints one line per task (headline scores, CPU and wall seconds; VPQ and
BURST HOTA in percent as their official tools, the others in [0, 1]) and
writes every metric to ``<work-dir>/scores.json``. ``--max-videos`` scores
the first N videos of each split only (a quick check; the YouTube-VIS AP
then still counts the ground truth of the other videos as missed).
"""
import argparse
import copy
import json
import os
import os.path as osp
import sys
import time
from typing import Dict, List, Optional

from mmengine.config import Config

from mmvidseg.testing import reroot_toy

CONFIGS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
JOINT = 'tarvis/tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py'
TASKS = ('vis', 'vis-heldout', 'vps', 'davis', 'burst', 'burst-mask')
DEFAULT_TASKS = ['vis', 'vis-heldout', 'vps', 'davis', 'burst']
HEADLINE = {
    'vis': ('youtube_vis/segm_mAP', ),
    'vis-heldout': ('youtube_vis/segm_mAP', ),
    'vps': ('stq/STQ', 'vpq/VPQ'),
    'davis': ('davis/J&F-Mean', ),
    'burst': ('burst/HOTA_all', ),
    'burst-mask': ('burst/HOTA_all', ),
}
HELDOUT_JSON = 'youtube_vis/heldout.json'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('checkpoint', help='one joint TarViS-tiny checkpoint')
    parser.add_argument('--toy-root', default='data/toy',
                        help='the embedded toy data (make_toy_dataset.py)')
    parser.add_argument('--heldout', default='data/toy_heldout',
                        help='--out of make_toy_heldout.py (vis-heldout)')
    parser.add_argument('--config', default=osp.join(CONFIGS, JOINT),
                        help='the joint config (with task_tests)')
    parser.add_argument('--tasks', nargs='+', default=DEFAULT_TASKS,
                        choices=TASKS)
    parser.add_argument('--max-videos', type=int, default=None,
                        help='score the first N videos of each split only')
    parser.add_argument('--work-dir', default='work_dirs/score_joint_toy')
    return parser.parse_args(argv)



def _plain(obj):
    """ConfigDict / lists of them as plain dicts and lists."""
    if hasattr(obj, 'to_dict'):
        return obj.to_dict()
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return copy.deepcopy(obj)


def task_config(config: str, task: str, checkpoint: str, toy_root: str,
                heldout: Optional[str], work_dir: str,
                max_videos: Optional[int] = None) -> Config:
    """Test config of one task for the joint checkpoint.

    Raises:
        FileNotFoundError: ``vis-heldout`` without the held-out files.
        KeyError: a task the config's ``task_tests`` does not hold.
    """
    cfg = Config.fromfile(config)
    name = 'burst' if task == 'burst-mask' else task
    if name not in ('vis', 'vis-heldout'):
        tests = cfg.get('task_tests', {})
        if name not in tests:
            raise KeyError(f'{config}: task_tests has no {name!r} entry '
                           f'(it has {sorted(tests)})')
        cfg.model.update(copy.deepcopy(tests[name]['model']))
        cfg.test_dataloader = copy.deepcopy(tests[name]['test_dataloader'])
        cfg.test_evaluator = copy.deepcopy(tests[name]['test_evaluator'])
    loader = reroot_toy(_plain(cfg.test_dataloader), toy_root)
    evaluator = reroot_toy(_plain(cfg.test_evaluator), toy_root)
    if task == 'vis-heldout':
        ann = osp.join(heldout or '', HELDOUT_JSON)
        if not osp.isfile(ann):
            raise FileNotFoundError(
                f'{ann} not found: write the held-out videos with '
                f'python tools/analysis_tools/make_toy_heldout.py --seeds 1 2 '
                f'--out {heldout} (or pass --heldout)')
        root = osp.dirname(ann)
        loader['dataset'].update(
            data_root=root + os.sep, ann_file=osp.abspath(ann),
            data_prefix=dict(img_path=osp.join(root, 'JPEGImages')))
        evaluator['ann_file'] = osp.abspath(ann)
    if task == 'burst-mask':
        cfg.model.task = 'vos'
    if max_videos is not None:
        loader['dataset']['indices'] = max_videos
    out = osp.join(work_dir, task)
    for metric in evaluator if isinstance(evaluator, list) else [evaluator]:
        if metric.get('outfile_prefix'):
            metric['outfile_prefix'] = osp.join(out, 'results')
    cfg.test_dataloader = loader
    cfg.test_evaluator = evaluator
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.train_dataloader = cfg.train_cfg = cfg.optim_wrapper = None
    cfg.param_scheduler = None
    cfg.custom_hooks = []  # GlobalBatchHook is a training hook
    cfg.load_from = checkpoint
    cfg.work_dir = out
    cfg.experiment_name = f'score_joint_toy_{task}_{time.time_ns()}'
    cfg.log_level = 'WARNING'  # no config dump per task; scores printed
    return cfg


def score(config: str, tasks: List[str], checkpoint: str, toy_root: str,
          heldout: Optional[str], work_dir: str,
          max_videos: Optional[int] = None) -> Dict[str, dict]:
    """Run each task's test loop on the same checkpoint; after each task
    ``<work_dir>/scores.json`` holds the tasks scored so far.

    Returns:
        dict: task -> ``metrics`` (all numbers the evaluators return),
        ``cpu_s`` (process CPU seconds) and ``wall_s``.
    """
    from mmengine.runner import Runner
    out: Dict[str, dict] = {}
    for task in tasks:
        cfg = task_config(config, task, checkpoint, toy_root, heldout,
                          work_dir, max_videos)
        wall, cpu = time.perf_counter(), time.process_time()
        metrics = Runner.from_cfg(cfg).test()
        out[task] = dict(
            metrics={k: float(v) for k, v in metrics.items()
                     if isinstance(v, (int, float))},
            cpu_s=time.process_time() - cpu,
            wall_s=time.perf_counter() - wall)
        os.makedirs(work_dir, exist_ok=True)
        with open(osp.join(work_dir, 'scores.json'), 'w') as f:
            json.dump(dict(checkpoint=checkpoint, tasks=out), f, indent=2)
    return out


def summary_lines(results: Dict[str, dict]) -> List[str]:
    """One line per task: headline scores, CPU / wall seconds."""
    lines = []
    for task, res in results.items():
        heads = ', '.join(f'{k}={res["metrics"][k]:.4f}'
                          for k in HEADLINE[task] if k in res['metrics'])
        lines.append(f'{task:<12} {heads}  (CPU {res["cpu_s"]:.1f} s, '
                     f'wall {res["wall_s"]:.1f} s)')
    return lines


def main(argv=None) -> int:
    args = parse_args(argv)
    if not osp.isfile(args.checkpoint):
        print(f'error: checkpoint {args.checkpoint} not found',
              file=sys.stderr)
        return 2
    try:
        results = score(args.config, args.tasks, args.checkpoint,
                        args.toy_root, args.heldout, args.work_dir,
                        args.max_videos)
    except (FileNotFoundError, KeyError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    path = osp.join(args.work_dir, 'scores.json')
    print(f'checkpoint {args.checkpoint}')
    print('\n'.join(summary_lines(results)))
    print(f'all metrics: {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
