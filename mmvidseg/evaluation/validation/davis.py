# Copyright (c) mmvidseg contributors. All rights reserved.
"""DAVIS 2017 results: ``<seq>/<frame>.png`` palette PNGs of object ids,
as a folder or the CodaLab test-dev zip (sequence folders at the archive
root), see ``shared/reference/metrics.md`` section 4.

``davis2017-evaluation`` reads one PNG per frame of every sequence of the
set (``results.py``) and exits on an id above the number of objects
(semi-supervised) or above 20 proposals (unsupervised).
"""
from typing import Optional

import numpy as np

from .common import Tree, check_png, decode_png, open_tree
from .errors import Problems
from .splits import Split

MAX_PROPOSALS = 20


def _layout(tree: Tree, split: Split, problems: Problems) -> Optional[str]:
    """The prefix under which sequence folders lie ('' = the root)."""
    files = tree.files()
    if not files:
        problems.error(tree.path, 'layout', '', 'holds no file',
                       'write one PNG per frame in <sequence>/<frame>.png')
        return None
    tops = {f.split('/')[0] for f in files if '/' in f}
    if tops & set(map(str, split.videos)):
        return ''
    deeper = {'/'.join(f.split('/')[:2]) for f in files
              if f.count('/') >= 2}
    nested = sorted(p.split('/')[0] for p in deeper
                    if p.split('/')[1] in set(map(str, split.videos)))
    if not nested:
        return ''  # each missing sequence is named below
    where = f'e.g. {files[0]!r}'
    fix = ('put the sequence folders at the archive root: `cd RESULTS && '
           'zip -r ../submission.zip *`' if tree.is_zip else
           'pass the folder that holds the sequence folders')
    fix += f' (they are under {nested[0]}/)'
    problems.error(tree.path, 'layout', '', 'has no folder named after a '
                   f'sequence of {split.source} at its root ({where})', fix)
    return None


def validate_davis_results(results: str, split: Split,
                           task: str = 'semi-supervised',
                           problems: Optional[Problems] = None,
                           scored_only: bool = False,
                           deep: bool = False) -> Problems:
    """Check a DAVIS results folder or zip against ``split``.

    Args:
        results (str): Folder or zip with ``<seq>/<frame>.png``.
        split (Split): Sequences with their frame names, sizes and (for the
            semi-supervised task) numbers of objects.
        task (str): ``'semi-supervised'`` or ``'unsupervised'``.
        problems (Problems, optional): Collector (default: raise).
        scored_only (bool): Require only the frames the local evaluation
            reads (semi-supervised: not the first and last); the server
            and ``davis2017-evaluation`` read every frame.
        deep (bool): Decode the PNGs and check the object ids.
    """
    problems = problems or Problems()
    tree = open_tree(results, problems, 'DAVIS results')
    if tree is None:
        return problems
    try:
        prefix = _layout(tree, split, problems)
        if prefix is None:
            return problems
        present = set(tree.files())
        for seq, spec in split.videos.items():
            if not any(f.startswith(f'{seq}/') for f in present):
                problems.error(tree.path, f'sequence {seq}', '',
                               'has no result folder', f'write {seq}/'
                               '<frame>.png for every frame')
                continue
            frames = spec.frames or []
            wanted = range(1, len(frames) - 1) if (
                scored_only and task == 'semi-supervised') else range(
                    len(frames))
            limit = spec.num_objects if task == 'semi-supervised' \
                else MAX_PROPOSALS
            for t in wanted:
                rel = f'{seq}/{frames[t]}.png'
                where = f'sequence {seq} frame {frames[t]}'
                if rel not in present:
                    problems.error(tree.path, where, '', f'{rel} is missing',
                                   'write one PNG per frame, named as the '
                                   'frame (00000.png ...)')
                    continue
                data = tree.read(rel)
                if check_png(data, tree.name(rel), where, problems, (0, 3),
                             spec.size, 'save object ids as an indexed '
                             '(palette) PNG: Image.fromarray(ids, "P")') \
                        is None:
                    continue
                problems.count('frames')
                if deep and limit is not None:
                    top = int(np.max(decode_png(data), initial=0))
                    if top > limit:
                        problems.error(
                            tree.name(rel), where, 'object id',
                            f'{top} is above {limit} (' + (
                                'objects of the first frame)' if task ==
                                'semi-supervised' else 'proposals allowed)'),
                            'keep the first-frame ids' if task ==
                            'semi-supervised' else 'keep the 20 best '
                            'proposals')
            problems.count('sequences')
        extra = sorted({f.split('/')[0] for f in present if '/' in f} -
                       set(map(str, split.videos)))
        if extra:
            problems.warn(tree.path, '', '', f'has folders {extra[:5]} that '
                          f'are not sequences of {split.source}')
    finally:
        tree.close()
    return problems
