# Copyright (c) mmvidseg contributors. All rights reserved.
"""Command-line tools never replace what a user wrote without ``--force``."""
import argparse
import os
import os.path as osp


def add_force_argument(parser: argparse.ArgumentParser) -> None:
    """``--force`` (alias ``--overwrite``): allow replacing existing outputs.
    """
    parser.add_argument(
        '--force', '--overwrite', dest='force', action='store_true',
        help='replace existing output files (refused otherwise)')


def check_new_file(path: str, force: bool) -> None:
    """Raise ``FileExistsError`` if ``path`` exists and ``force`` is False.
    """
    if osp.exists(path) and not force:
        raise FileExistsError(
            f'{path} exists; pass --force to replace it, or choose another '
            'output path.')


def check_output_dir(path: str, force: bool) -> None:
    """Raise ``FileExistsError`` if ``path`` is a non-empty folder (or a
    file) and ``force`` is False; outputs are written into it otherwise."""
    if osp.isfile(path):
        raise FileExistsError(f'{path} is a file, not an output folder.')
    if osp.isdir(path) and os.listdir(path) and not force:
        raise FileExistsError(
            f'{path} is not empty; pass --force to write into it (files of '
            'the same name are replaced), or choose another folder.')
