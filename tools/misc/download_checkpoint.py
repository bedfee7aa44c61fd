# Copyright (c) mmvidseg contributors. All rights reserved.
"""Download a model-zoo checkpoint, verify it and convert it to mmvidseg.

    python tools/misc/download_checkpoint.py NAME [NAME ...] --dest DIR [--force]
    python tools/misc/download_checkpoint.py --list

NAME is a ``Name`` of ``configs/*/metafile.yml`` (see ``--list``); the
converted checkpoint is written to ``DIR/NAME.pth`` (the official download is
kept under ``DIR/downloads/``). Same steps as ``load_from='zoo://NAME'``
(:mod:`mmvidseg.utils.zoo`), without installing ``openmim``.
"""
import argparse
import os.path as osp
import sys

from mmvidseg.utils.zoo import ZooError, load_index, resolve


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('names', nargs='*', help='model-zoo names')
    parser.add_argument('--dest', help='output folder')
    parser.add_argument('--list', action='store_true',
                        help='list the names and where their weights are')
    parser.add_argument('--force', '--overwrite', dest='force',
                        action='store_true',
                        help='replace DIR/NAME.pth if it exists')
    args = parser.parse_args(argv)
    if args.list:
        for name, entry in sorted(load_index().items()):
            print(f"{name}\t{entry.get('Weights', '-')}")
        return 0
    if not args.names or not args.dest:
        parser.error('give NAME(s) and --dest (or --list)')
    for name in args.names:
        out = osp.join(args.dest, f'{name}.pth')
        if osp.exists(out) and not args.force:
            print(f'error: {out} exists; pass --force to replace it',
                  file=sys.stderr)
            return 1
        if osp.exists(out):
            import os
            os.remove(out)
        try:
            path = resolve(name, cache=args.dest)
        except ZooError as e:
            print(f'error: {e}', file=sys.stderr)
            return 1
        print(path)
    return 0


if __name__ == '__main__':
    sys.exit(main())
