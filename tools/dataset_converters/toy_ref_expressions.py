# Copyright (c) mmvidseg contributors. All rights reserved.
"""Add the every-unique-expression files to an existing toy
Ref-YouTube-VOS folder.

The toy generator (``make_toy_dataset.py``) writes them itself; a
``data/toy`` generated before that lacks them.
This tool recovers each object's colour / class / direction from its full
expression (``'the red square moving left'``) in the folder's
``meta_expressions.json`` files and writes, as the generator does:

* ``meta_expressions/train_all/meta_expressions.json``: every expression of
  every kind that is unique in its video (class ``'the square'``, motion
  ``'the square moving left'``, colour ``'the red square'``, full), a
  training set (``train_dataloader.dataset.ann_file``) where every word
  kind has to pick the object on its own;
* ``valid_gt/kinds/<kind>[_decisive].json``: the valid expressions of one
  kind (``_decisive``: only where that word has to choose), for per-kind
  evaluation (``--cfg-options test_dataloader.dataset.ann_file=...``).

Example::

    python tools/dataset_converters/toy_ref_expressions.py \
        data/toy/ref_youtube_vos
"""
import argparse
import json
import os.path as osp
from types import SimpleNamespace
from typing import List

from mmvidseg.datasets.toy.encoding import write_json
from mmvidseg.datasets.toy.vos import kind_keys, unique_meta_expressions

_CLASSES = ('square', 'circle', 'triangle')


def parse_full(text: str) -> SimpleNamespace:
    """``'the red square moving left'`` -> colour, class_name, direction."""
    words = text.split()
    if len(words) != 5 or words[0] != 'the' or words[3] != 'moving' or \
            words[2] not in _CLASSES:
        raise ValueError(f'{text!r} is not a full toy expression '
                         "('the <colour> <class> moving <direction>')")
    return SimpleNamespace(colour=words[1], class_name=words[2],
                           direction=words[4])


def read_videos(path: str) -> List[SimpleNamespace]:
    """Videos (name, num_frames, objects) of a toy meta_expressions.json
    with ``obj_id`` (train, or valid_gt)."""
    with open(path) as f:
        meta = json.load(f)
    videos = []
    for name, video in meta['videos'].items():
        objects = {}
        for exp in video['expressions'].values():
            if 'obj_id' not in exp:
                raise KeyError(f'{path}: video {name}: expressions have no '
                               'obj_id; give the train or valid_gt file')
            if len(exp['exp'].split()) == 5:
                obj = parse_full(exp['exp'])
                obj.local_id = int(exp['obj_id'])
                objects[obj.local_id] = obj
        videos.append(SimpleNamespace(
            name=name, num_frames=len(video['frames']),
            objects=[objects[k] for k in sorted(objects)]))
    return videos


def write(root: str) -> List[str]:
    """Write the files under the toy ``ref_youtube_vos`` folder ``root``;
    returns their paths."""
    train = read_videos(
        osp.join(root, 'meta_expressions', 'train', 'meta_expressions.json'))
    valid = read_videos(osp.join(root, 'valid_gt', 'meta_expressions.json'))
    out = {osp.join(root, 'meta_expressions', 'train_all',
                    'meta_expressions.json'): unique_meta_expressions(train)}
    for key in kind_keys():
        out[osp.join(root, 'valid_gt', 'kinds', f'{key}.json')] = \
            unique_meta_expressions(valid, key)
    for path, data in out.items():
        write_json(path, data)
    return list(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='a toy ref_youtube_vos folder')
    args = parser.parse_args()
    for path in write(args.root):
        with open(path) as f:
            videos = json.load(f)['videos']
        n = sum(len(v['expressions']) for v in videos.values())
        print(f'{path}: {len(videos)} videos, {n} expressions')


if __name__ == '__main__':
    main()
