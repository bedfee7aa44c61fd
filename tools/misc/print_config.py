# Copyright (c) mmvidseg contributors. All rights reserved.
"""Print the fully resolved config (after _base_ and --cfg-options)."""
import argparse

from mmengine import Config, DictAction


def parse_args():
    parser = argparse.ArgumentParser(description='Print the whole config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--save-path', help='also save it to this file')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override config settings')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')
    if args.save_path is not None:
        import os.path as osp
        if osp.exists(args.save_path):
            raise FileExistsError(f'{args.save_path} exists; choose another '
                                  '--save-path')
        cfg.dump(args.save_path)
        print(f'Saved to {args.save_path}')


if __name__ == '__main__':
    main()
