# Copyright (c) mmvidseg contributors. All rights reserved.
"""Referring segmentation outputs.

* A2D-Sentences / JHMDB-Sentences: COCO results lists
  (:func:`validate_a2d_results`, see :mod:`.coco`).
* Refer-YouTube-VOS submission (``shared/reference/metrics.md`` section
  8): ``Annotations/<video>/<exp_id>/<frame>.png`` single-object 0 / 255
  masks, one per frame of ``meta_expressions.json``, zipped with
  ``Annotations/`` at the archive root (:func:`validate_refer_submission`).
"""
import os
import os.path as osp
from typing import Optional, Union

import numpy as np

from .coco import coco_images, validate_coco_segm_results
from .common import Tree, check_png, decode_png, open_tree, png_header
from .errors import Problems
from .splits import Split, VideoSpec


def validate_a2d_results(results: Union[list, str], gt: dict,
                         problems: Optional[Problems] = None,
                         source: str = 'results.json') -> Optional[list]:
    """A2D / JHMDB-Sentences predictions against the COCO-format GT."""
    return validate_coco_segm_results(results, coco_images(gt), problems,
                                      source)


def _root(tree: Tree, problems: Problems) -> Optional[str]:
    """Prefix of the ``Annotations`` folder ('' when the tree is it)."""
    files = tree.files()
    if not files:
        problems.error(tree.path, 'layout', '', 'holds no file',
                       'write Annotations/<video>/<exp_id>/<frame>.png')
        return None
    if any(f.startswith('Annotations/') for f in files):
        return 'Annotations/'
    if not tree.is_zip and all(f.count('/') == 2 for f in files):
        return ''  # a folder that is the Annotations folder itself
    nested = sorted({f[:f.index('Annotations/')] for f in files
                     if 'Annotations/' in f})
    problems.error(tree.path, 'layout', 'Annotations/', 'is not at the '
                   f'archive root (e.g. {files[0]!r})' + (
                       f'; it is under {nested[0]!r}' if nested else ''),
                   'zip from the folder that holds Annotations/: `zip -r '
                   'submission.zip Annotations` (MTTR: shutil.make_archive('
                   '..., base_dir="Annotations"))')
    return None


def validate_refer_submission(submission: str, split: Split,
                              problems: Optional[Problems] = None,
                              deep: bool = False) -> Problems:
    """Check a Ref-YouTube-VOS folder or zip against ``split`` (from
    ``meta_expressions.json``, or the ground-truth folder).

    Every (video, expression, frame) of the split needs a single-channel
    PNG; the frames of one video must share one size (the size given by
    the split where known). ``deep`` also checks the values are 0 / 255.
    """
    problems = problems or Problems()
    tree = open_tree(submission, problems, 'Ref-YouTube-VOS submission')
    if tree is None:
        return problems
    try:
        root = _root(tree, problems)
        if root is None:
            return problems
        present = set(tree.files())
        for vid, spec in split.videos.items():
            size = spec.size
            if not any(f.startswith(f'{root}{vid}/') for f in present):
                problems.error(tree.path, f'video {vid}', '', 'has no '
                               f'folder {root}{vid}/', 'write a PNG for '
                               'every expression and frame of the video')
                continue
            for exp_id in spec.expressions or []:
                for frame in spec.frames or []:
                    rel = f'{root}{vid}/{exp_id}/{frame}.png'
                    where = f'video {vid} expression {exp_id} frame {frame}'
                    if rel not in present:
                        problems.error(tree.path, where, '', f'{rel} is '
                                       'missing', 'write one 0/255 PNG per '
                                       'frame of meta_expressions.json')
                        continue
                    data = tree.read(rel)
                    got = check_png(data, tree.name(rel), where, problems,
                                    (0, 3), size, 'save a single-channel '
                                    '0/255 mask: Image.fromarray(mask * 255)')
                    if got is None:
                        continue
                    size = size or got
                    problems.count('frames')
                    if deep:
                        values = np.unique(decode_png(data))
                        if not set(values.tolist()) <= {0, 1, 255}:
                            problems.error(tree.name(rel), where, 'values',
                                           f'are {values[:6].tolist()}, not '
                                           '0 / 255', 'threshold the mask')
                problems.count('expressions')
            problems.count('videos')
        known = {str(v) for v in split.videos}
        extra = sorted({f[len(root):].split('/')[0] for f in present
                        if f.startswith(root)} - known)
        if extra:
            problems.warn(tree.path, '', '', f'has videos {extra[:5]} that '
                          f'are not in {split.source}')
    finally:
        tree.close()
    return problems


def refer_split_from_folder(gt_root: str,
                            videos=None) -> Split:
    """Split of a ground-truth ``Annotations`` folder (offline J&F)."""
    split = Split(gt_root)
    for vid in sorted(videos or os.listdir(gt_root)):
        vdir = osp.join(gt_root, vid)
        if not osp.isdir(vdir):
            continue
        exps = sorted(os.listdir(vdir))
        frames = sorted(osp.splitext(f)[0] for f in os.listdir(
            osp.join(vdir, exps[0])) if f.endswith('.png')) if exps else []
        size = None
        if frames:
            with open(osp.join(vdir, exps[0], frames[0] + '.png'), 'rb') as f:
                header = png_header(f.read(33))
            size = header[:2] if header else None
        split.videos[vid] = VideoSpec(len(frames), size, frames, exps)
    return split


