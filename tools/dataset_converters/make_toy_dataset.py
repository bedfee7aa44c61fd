# Copyright (c) mmvidseg contributors. All rights reserved.
"""Generate the embedded toy video dataset in the official formats.

Example::

    python tools/dataset_converters/make_toy_dataset.py --out data/toy \
        --preset default --seed 0 [--formats youtube_vis davis] [--force]

Running it again with the same preset and seed returns at once; see
``mmvidseg/datasets/toy/__init__.py`` for the layout.
"""
import argparse
import sys
import time

from mmvidseg.datasets.toy import (TOY_FORMATS, TOY_PRESETS,
                                   generate_toy_dataset)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate the mmvidseg toy video dataset.')
    parser.add_argument('--out', default='data/toy', help='output root')
    parser.add_argument(
        '--preset', default='default', choices=sorted(TOY_PRESETS))
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--formats',
        nargs='+',
        choices=TOY_FORMATS,
        default=None,
        help='formats to write (default: all)')
    parser.add_argument(
        '--force',
        action='store_true',
        help='replace another dataset or unknown files in the way')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()
    try:
        result = generate_toy_dataset(
            args.out,
            preset=args.preset,
            seed=args.seed,
            formats=args.formats,
            force=args.force)
    except FileExistsError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    if result['generated']:
        print(f"wrote {', '.join(result['generated'])} to {result['root']} "
              f'in {seconds:.1f} s')
    else:
        print(f"{result['root']} is up to date (preset {args.preset}, seed "
              f'{args.seed}); nothing to do')
    return 0


if __name__ == '__main__':
    sys.exit(main())
