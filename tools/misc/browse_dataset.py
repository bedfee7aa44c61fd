# Copyright (c) mmvidseg contributors. All rights reserved.
"""Render clips of a config's dataset, after its pipeline, with GT masks.

    python tools/misc/browse_dataset.py CONFIG --out-dir work_dirs/browse \
        [--split train|val|test] [--num-videos 4] [--format mp4 gif]

Each item goes through the dataset's own pipeline (clip sampling and
clip-consistent augmentation included), so what you see is what the model
gets. Instances are coloured by their track id and labelled with the class.
"""
import argparse
import os.path as osp

import numpy as np
from mmengine.config import Config, DictAction

from mmvidseg.registry import DATASETS
from mmvidseg.utils import register_all_modules
from mmvidseg.utils.file_safety import add_force_argument, check_output_dir
from mmvidseg.visualization import VideoVisualizer, write_video


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--out-dir', required=True)
    parser.add_argument('--split', choices=['train', 'val', 'test'],
                        default='train')
    parser.add_argument('--num-videos', type=int, default=4)
    parser.add_argument('--format', nargs='+', default=['mp4'],
                        choices=['mp4', 'gif'])
    parser.add_argument('--fps', type=float, default=4.0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    add_force_argument(parser)
    return parser.parse_args()


def render_item(item: dict, vis: VideoVisualizer) -> list:
    """Frames (BGR, as loaded) with the GT instances of a packed item."""
    inputs = item['inputs'].numpy()  # (T, C, H, W), BGR as loaded
    frames = [np.ascontiguousarray(x.transpose(1, 2, 0)) for x in inputs]
    insts = []
    for frame in item['data_samples']:
        gt = frame.gt_instances
        masks = gt.masks.to_ndarray() if 'masks' in gt else None
        insts.append(
            dict(masks=masks, labels=gt.labels,
                 instances_id=gt.instances_ids if 'instances_ids' in gt
                 else None))
    return vis.draw_video(frames, insts)


def main():
    args = parse_args()
    check_output_dir(args.out_dir, args.force)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    dataset = DATASETS.build(cfg[f'{args.split}_dataloader'].dataset)
    vis = VideoVisualizer(dataset.metainfo.get('classes'))
    for idx in range(min(args.num_videos, len(dataset))):
        item = dataset[idx]
        frames = render_item(item, vis)
        video_id = item['data_samples'][0].metainfo.get('video_id', idx)
        for fmt in args.format:
            path = osp.join(args.out_dir, f'{args.split}_{video_id}.{fmt}')
            write_video(frames, path, fps=args.fps, min_size=256,
                        overwrite=args.force)
            print(path)


if __name__ == '__main__':
    main()
