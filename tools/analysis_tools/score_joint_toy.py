# Copyright (c) mmvidseg contributors. All rights reserved.
"""Score ONE toy joint TarViS checkpoint on the four toy tasks.

The same weights, switched only by the model's task and its test settings
(one config per task, each inheriting the joint training config):

=============  ==============================================  =============
task           config (configs/tarvis/)                        scores
=============  ==============================================  =============
vis            tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py     YouTube-VIS
               (toy YouTube-VIS valid, 20 videos)              AP / AR
vis-heldout    the same on the held-out videos of              AP / AR
               ``make_toy_heldout.py --seeds 1 2`` (160)
vps            tarvis_r18-b16-tiny_toy-joint-test-kitti-step   STQ, VPQ
davis          tarvis_r18-b16-tiny_toy-joint-test-davis        J&F (objects
                                                               from their
                                                               first frame)
burst          tarvis_r18-b16-tiny_toy-joint-test-burst        HOTA, point
                                                               exemplars
burst-mask     the same with ``model.task='vos'``              HOTA, mask
                                                               exemplars
=============  ==============================================  =============

    python tools/analysis_tools/score_joint_toy.py CHECKPOINT \\
        [--toy-root data/toy] [--heldout data/toy_heldout] \\
        [--tasks vis vis-heldout vps davis burst] [--max-videos N] \\
        [--work-dir work_dirs/score_joint_toy]

prints one line per task (headline scores, CPU and wall seconds; VPQ and
BURST HOTA in percent as their official tools, the others in [0, 1]) and writes
every metric to ``<work-dir>/scores.json``. ``--max-videos`` scores the first
N videos of each split only (a quick check; the YouTube-VIS AP then still
counts the ground truth of the other videos as missed).
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

CONFIGS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'configs')
JOINT = 'tarvis/tarvis_r18-b16-tiny_1xb2-1200i_toy-joint.py'
TASK_CONFIGS = {
    'vis': JOINT,
    'vis-heldout': JOINT,
    'vps': 'tarvis/tarvis_r18-b16-tiny_toy-joint-test-kitti-step.py',
    'davis': 'tarvis/tarvis_r18-b16-tiny_toy-joint-test-davis.py',
    'burst': 'tarvis/tarvis_r18-b16-tiny_toy-joint-test-burst.py',
    'burst-mask': 'tarvis/tarvis_r18-b16-tiny_toy-joint-test-burst.py',
}
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
    parser.add_argument('--tasks', nargs='+', default=DEFAULT_TASKS,
                        choices=sorted(TASK_CONFIGS))
    parser.add_argument('--max-videos', type=int, default=None,
                        help='score the first N videos of each split only')
    parser.add_argument('--work-dir', default='work_dirs/score_joint_toy')
    return parser.parse_args(argv)


def _reroot(obj, toy_root: str):
    """Replace the configs' ``data/toy`` prefix by ``toy_root``."""
    if isinstance(obj, dict):
        return {k: _reroot(v, toy_root) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_reroot(v, toy_root) for v in obj]
    if isinstance(obj, str) and obj.startswith('data/toy/'):
        return osp.join(toy_root, obj[len('data/toy/'):])
    return obj


def task_config(task: str, checkpoint: str, toy_root: str,
                heldout: Optional[str], work_dir: str,
                max_videos: Optional[int] = None) -> Config:
    """Test config of one task for the joint checkpoint.

    Raises:
        FileNotFoundError: ``vis-heldout`` without the held-out files.
    """
    cfg = Config.fromfile(osp.join(CONFIGS, TASK_CONFIGS[task]))
    loader = _reroot(cfg.test_dataloader.to_dict(), toy_root)
    evaluator = _reroot(copy.deepcopy(cfg.test_evaluator), toy_root)
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


def score(tasks: List[str], checkpoint: str, toy_root: str,
          heldout: Optional[str], work_dir: str,
          max_videos: Optional[int] = None) -> Dict[str, dict]:
    """Run each task's test loop on the same checkpoint.

    Returns:
        dict: task -> ``metrics`` (all numbers the evaluators return),
        ``cpu_s`` (process CPU seconds) and ``wall_s``.
    """
    from mmengine.runner import Runner
    out = {}
    for task in tasks:
        cfg = task_config(task, checkpoint, toy_root, heldout, work_dir,
                          max_videos)
        wall, cpu = time.perf_counter(), time.process_time()
        metrics = Runner.from_cfg(cfg).test()
        out[task] = dict(
            metrics={k: float(v) for k, v in metrics.items()
                     if isinstance(v, (int, float))},
            cpu_s=time.process_time() - cpu,
            wall_s=time.perf_counter() - wall)
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
        results = score(args.tasks, args.checkpoint, args.toy_root,
                        args.heldout, args.work_dir, args.max_videos)
    except FileNotFoundError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    os.makedirs(args.work_dir, exist_ok=True)
    path = osp.join(args.work_dir, 'scores.json')
    with open(path, 'w') as f:
        json.dump(dict(checkpoint=args.checkpoint, tasks=results), f,
                  indent=2)
    print(f'checkpoint {args.checkpoint}')
    print('\n'.join(summary_lines(results)))
    print(f'all metrics: {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
