# Copyright (c) mmvidseg contributors. All rights reserved.
"""Convert DAVIS / KITTI-MOTS / YouTube-VIS to STEm-Seg's video JSON.

The official STEm-Seg code reads only its own JSON files and ships no
converter (``sabarim/STEm-Seg`` issues #12, #14, #26)::

    python tools/dataset_converters/stemseg_json.py davis \
        --root data/DAVIS --split train --out davis_train.json
    python tools/dataset_converters/stemseg_json.py kitti_mots \
        --root data/kitti_mots --seqmap val.seqmap --out kittimots_val.json
    python tools/dataset_converters/stemseg_json.py youtube_vis \
        --root data/youtube_vis_2019 --ann-file train.json \
        --img-dir train/JPEGImages --out youtube_vis_train.json

``image_paths`` are relative to the base dir printed at the end (the
reference's ``DAVIS_BASE_DIR`` / ``KITTIMOTS_BASE_DIR`` /
``YOUTUBE_VIS_BASE_DIR``); read the output with ``StemSegJSONDataset``
(``data_prefix=dict(img_path=<base dir>)``). An existing output file is
not replaced without ``--force`` (alias ``--overwrite``).
"""
import argparse
import json
import os
import os.path as osp
import sys

from mmvidseg.utils.file_safety import add_force_argument
from mmvidseg.datasets.davis import DAVISDataset
from mmvidseg.datasets.kitti_mots import KITTIMOTSDataset
from mmvidseg.datasets.stemseg_json import (STEMSEG_KITTI_IGNORE_CAT_ID,
                                            videos_to_stemseg_json)
from mmvidseg.datasets.youtube_vis import YouTubeVISDataset


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='format', required=True)
    davis = sub.add_parser('davis', help='DAVIS 2017 (class-agnostic)')
    davis.add_argument('--root', required=True, help='the DAVIS folder')
    davis.add_argument('--split', default='train')
    davis.add_argument('--task', default='unsupervised',
                       choices=['unsupervised', 'semi-supervised'])
    davis.add_argument('--resolution', default='480p')
    kitti = sub.add_parser('kitti_mots', help='KITTI-MOTS instances_txt')
    kitti.add_argument('--root', required=True)
    kitti.add_argument('--seqmap', default='', help='seqmap under --root '
                       '(default: the official train sequences)')
    kitti.add_argument('--class-ids', type=int, nargs='+', default=[1, 2])
    kitti.add_argument('--classes', nargs='+',
                       default=['car', 'pedestrian'])
    ytvis = sub.add_parser('youtube_vis', help='YouTube-VIS / OVIS JSON')
    ytvis.add_argument('--root', required=True)
    ytvis.add_argument('--ann-file', required=True)
    ytvis.add_argument('--img-dir', required=True)
    for p in (davis, kitti, ytvis):
        p.add_argument('--out', required=True, help='output JSON file')
        add_force_argument(p)
    return parser.parse_args(argv)


def convert(args: argparse.Namespace) -> tuple:
    """Returns (JSON dict, base dir of its image paths)."""
    if args.format == 'davis':
        ds = DAVISDataset(data_root=args.root, task=args.task,
                          split=args.split, resolution=args.resolution,
                          with_void=False, test_mode=True,
                          require_annotations=True, serialize_data=False)
        base = ds.img_dir
        labels, to_cat, ignore = {1: 'object'}, (lambda lab: 1), None
    elif args.format == 'kitti_mots':
        if len(args.class_ids) != len(args.classes):
            raise SystemExit('--class-ids and --classes differ in length')
        ds = KITTIMOTSDataset(data_root=args.root, ann_file=args.seqmap,
                              class_ids=args.class_ids,
                              metainfo=dict(classes=tuple(args.classes)),
                              test_mode=True, serialize_data=False)
        base = osp.join(args.root, ds.img_dir)
        labels = dict(zip(args.class_ids, args.classes))
        if STEMSEG_KITTI_IGNORE_CAT_ID in labels:
            raise SystemExit(f'class id {STEMSEG_KITTI_IGNORE_CAT_ID} is the '
                             'ignore category of STEm-Seg\'s KITTI JSON')
        labels[STEMSEG_KITTI_IGNORE_CAT_ID] = 'ignore'
        to_cat = (lambda lab: args.class_ids[lab])
        ignore = STEMSEG_KITTI_IGNORE_CAT_ID
    else:
        ds = YouTubeVISDataset(data_root=args.root, ann_file=args.ann_file,
                               data_prefix=dict(img_path=args.img_dir),
                               dataset_version=None, test_mode=True,
                               serialize_data=False)
        base = osp.join(args.root, args.img_dir)
        labels = dict(zip(ds.cat_ids, ds.metainfo['classes']))
        to_cat, ignore = (lambda lab: ds.cat_ids[lab]), None
    videos = [ds.get_data_info(i) for i in range(len(ds))]
    for v in videos:
        if 'video_name' not in v or not v['video_name']:
            v['video_name'] = str(v['video_id'])
    return videos_to_stemseg_json(videos, base, labels, to_cat,
                                  ignore), base


def main(argv=None) -> int:
    args = parse_args(argv)
    if osp.exists(args.out) and not args.force:
        print(f'error: {args.out} exists; pass --force to replace it',
              file=sys.stderr)
        return 1
    data, base = convert(args)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(data, f)
    num_frames = sum(len(s['image_paths']) for s in data['sequences'])
    print(f'wrote {len(data["sequences"])} sequences ({num_frames} frames) '
          f'to {args.out}; image base dir: {base}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
