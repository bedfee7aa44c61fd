# Copyright (c) mmvidseg contributors. All rights reserved.
"""Write a larger held-out YouTube-VIS set of toy videos for model selection.

The embedded toy validation split has 20 videos, so one model's toy AP moves
by several points with the videos it happens to contain. Toy datasets
generated with other seeds hold new videos of the same distribution; this
tool generates them (``mmvidseg.datasets.toy``), merges the train and valid
videos of every seed into one YouTube-VIS file with ground truth, and prints
the ``tools/test_vis.py`` command that scores a checkpoint on it:

    python tools/analysis_tools/make_toy_heldout.py --seeds 1 2 \
        --out data/toy_heldout

writes ``data/toy_heldout/youtube_vis/heldout.json`` (160 videos with the
default preset) and ``.../JPEGImages``; the per-seed datasets stay under
``data/toy_heldout/seed<k>``. Seed 0 is refused while ``--train-seed`` is 0
(it would reproduce the training videos).
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys

from mmvidseg.datasets.toy import TOY_PRESETS, generate_toy_dataset

MERGED = 'heldout.json'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='data/toy_heldout')
    parser.add_argument('--seeds', type=int, nargs='+', default=[1, 2])
    parser.add_argument(
        '--preset', default='default', choices=sorted(TOY_PRESETS))
    parser.add_argument(
        '--train-seed',
        type=int,
        default=0,
        help='seed of the dataset the models were trained on (refused)')
    parser.add_argument(
        '--force',
        action='store_true',
        help=f'replace an existing {MERGED} and its frames')
    return parser.parse_args(argv)


def make_heldout(out: str, seeds, preset: str = 'default',
                 train_seed: int = 0, force: bool = False) -> dict:
    """Generate the toy YouTube-VIS data of ``seeds`` and merge them.

    Returns:
        dict: ``ann_file`` (merged json), ``data_root`` and ``img_path``
        (folder of the frames), ``num_videos`` and ``num_annotations``.
    """
    seeds = list(seeds)
    if train_seed in seeds:
        raise ValueError(
            f'seed {train_seed} is the training dataset\'s seed: its videos '
            'are the ones the model was trained on; choose other seeds')
    if len(set(seeds)) != len(seeds):
        raise ValueError(f'seeds repeat: {seeds}')
    root = osp.join(out, 'youtube_vis')
    ann_file = osp.join(root, MERGED)
    img_root = osp.join(root, 'JPEGImages')
    if osp.exists(ann_file) or osp.exists(img_root):
        if not force:
            raise FileExistsError(
                f'{ann_file} (or {img_root}) exists; pass --force to replace '
                'it or choose another --out')
        shutil.rmtree(img_root, ignore_errors=True)
    os.makedirs(img_root, exist_ok=True)

    videos, annotations, categories = [], [], None
    for seed in seeds:
        paths = generate_toy_dataset(
            osp.join(out, f'seed{seed}'),
            preset=preset,
            seed=seed,
            formats=['youtube_vis'])['youtube_vis']
        for split in ('train', 'valid'):
            gt_file = paths['train_json' if split == 'train' else
                            'valid_gt_json']
            with open(gt_file) as f:
                gt = json.load(f)
            if categories is None:
                categories = gt['categories']
            elif gt['categories'] != categories:
                raise ValueError(f'{gt_file}: categories differ from the '
                                 'first seed\'s')
            new_ids = {}
            for video in gt['videos']:
                new_ids[video['id']] = len(videos) + 1
                folder = osp.dirname(video['file_names'][0])
                name = f'seed{seed}_{split}_{folder}'
                shutil.copytree(
                    osp.join(paths[f'{split}_images'], folder),
                    osp.join(img_root, name))
                videos.append(
                    dict(
                        video,
                        id=new_ids[video['id']],
                        file_names=[
                            f'{name}/{osp.basename(f)}'
                            for f in video['file_names']
                        ]))
            for ann in gt['annotations']:
                annotations.append(
                    dict(
                        ann,
                        id=len(annotations) + 1,
                        video_id=new_ids[ann['video_id']]))
    with open(ann_file, 'w') as f:
        json.dump(
            dict(
                info=dict(
                    description=f'mmvidseg toy held-out videos, preset '
                    f'{preset}, seeds {seeds} (train + valid splits)'),
                licenses=[],
                videos=videos,
                annotations=annotations,
                categories=categories), f)
    return dict(
        ann_file=osp.abspath(ann_file),
        data_root=osp.abspath(root) + os.sep,
        img_path=osp.abspath(img_root),
        num_videos=len(videos),
        num_annotations=len(annotations))


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        info = make_heldout(args.out, args.seeds, args.preset,
                            args.train_seed, args.force)
    except (ValueError, FileExistsError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(f'{info["num_videos"]} videos, {info["num_annotations"]} '
          f'instances: {info["ann_file"]}')
    print('score a checkpoint on them:\n'
          '  python tools/test_vis.py CONFIG CHECKPOINT --out-dir OUT '
          f'--gt {info["ann_file"]} --cfg-options '
          f'test_dataloader.dataset.data_root={info["data_root"]} '
          f'test_dataloader.dataset.ann_file={info["ann_file"]} '
          f'test_dataloader.dataset.data_prefix.img_path={info["img_path"]} '
          f'test_evaluator.ann_file={info["ann_file"]}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
