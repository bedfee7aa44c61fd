# Copyright (c) mmvidseg contributors. All rights reserved.
"""What a results file is checked against: the videos of a split, with
their frame counts, frame names, sizes and expressions where known.

Split files (``tools/misc/check_submission.py --split-file``):

* a YouTube-VIS / OVIS annotation JSON (``videos: [{id, height, width,
  length | file_names}]``, ``categories``), e.g. ``valid.json``, which has
  no annotations: :func:`split_from_ytvis`;
* a Ref-YouTube-VOS ``meta_expressions.json`` (``videos: {video:
  {expressions: {exp_id: ...}, frames: [...]}}``):
  :func:`split_from_meta_expressions`;
* a plain video list, one video per line, ``<video> [<num_frames>
  [<height> <width>]]``, ``#`` starts a comment:
  :func:`split_from_video_list`;
* a DAVIS root (``ImageSets/2017/<set>.txt`` with ``JPEGImages`` or
  ``Annotations``): :func:`split_from_davis`.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from .common import png_header
from .errors import ResultsFormatError


@dataclass
class VideoSpec:
    """What is known of one video of a split (None = unknown)."""
    num_frames: Optional[int] = None
    size: Optional[Tuple[int, int]] = None  # (h, w)
    frames: Optional[List[str]] = None  # frame names without extension
    expressions: Optional[List[str]] = None
    num_objects: Optional[int] = None


@dataclass
class Split:
    """Videos of a split (keys: YouTube-VIS int ids or names)."""
    source: str
    videos: Dict[Any, VideoSpec] = field(default_factory=dict)
    category_ids: Optional[List[int]] = None


def _stem(name: str) -> str:
    return osp.splitext(osp.basename(name))[0]


def _bad_split(path: str, problem: str) -> ResultsFormatError:
    return ResultsFormatError(f'{path}: {problem}. Fix: pass an annotation '
                              'JSON, a meta_expressions.json, a DAVIS root '
                              'or a video list (<video> [<num_frames> '
                              '[<height> <width>]] per line) as --split-file')


def split_from_ytvis(dataset, source: str = '<ground truth>') -> Split:
    """Split of a YouTube-VIS / OVIS annotation JSON (dict or path)."""
    if isinstance(dataset, str):
        source = dataset
        with open(dataset) as f:
            dataset = json.load(f)
    if not isinstance(dataset, dict) or 'videos' not in dataset:
        raise _bad_split(source, 'has no "videos" list')
    lengths: Dict[Any, int] = {}
    for ann in dataset.get('annotations') or []:
        lengths[ann['video_id']] = max(lengths.get(ann['video_id'], 0),
                                       len(ann['segmentations']))
    split = Split(source, category_ids=sorted(
        c['id'] for c in dataset.get('categories', [])) or None)
    for video in dataset['videos']:
        names = video.get('file_names')
        num = video.get('length', len(names) if names else lengths.get(
            video['id']))
        size = (video['height'], video['width']) if 'height' in video \
            else None
        split.videos[video['id']] = VideoSpec(
            num, size, [_stem(n) for n in names] if names else None)
    return split


def split_from_meta_expressions(path: str) -> Split:
    """Split of a Ref-YouTube-VOS ``meta_expressions.json``."""
    with open(path) as f:
        meta = json.load(f)
    if not isinstance(meta.get('videos'), dict):
        raise _bad_split(path, 'has no "videos" dict')
    split = Split(path)
    for vid, info in meta['videos'].items():
        frames = [str(f) for f in info.get('frames', [])]
        split.videos[vid] = VideoSpec(
            len(frames), None, frames,
            sorted(info.get('expressions', {}), key=_natural))
    return split


def _natural(key: str):
    return (0, int(key)) if str(key).isdigit() else (1, str(key))


def split_from_video_list(path: str, int_ids: bool = False) -> Split:
    """Split of a text file: ``<video> [<num_frames> [<height> <width>]]``
    per line (``int_ids``: YouTube-VIS numeric video ids)."""
    split = Split(path)
    with open(path) as f:
        for line_no, line in enumerate(f, 1):
            fields = line.split('#')[0].split()
            if not fields:
                continue
            if len(fields) not in (1, 2, 4) or not all(
                    x.isdigit() for x in fields[1:]):
                raise _bad_split(f'{path}:{line_no}', 'expected "<video> '
                                 '[<num_frames> [<height> <width>]]"')
            vid = int(fields[0]) if int_ids and fields[0].isdigit() \
                else fields[0]
            nums = [int(x) for x in fields[1:]]
            split.videos[vid] = VideoSpec(
                nums[0] if nums else None,
                (nums[1], nums[2]) if len(nums) == 3 else None)
    return split


def split_from_davis(root: str, subset: str = 'val',
                     task: str = 'semi-supervised',
                     resolution: str = '480p',
                     frames_from: str = 'images',
                     sequences: Optional[List[str]] = None) -> Split:
    """Split of a DAVIS root: sequences of ``ImageSets/<year>/<set>.txt``
    (or ``sequences``), frames of ``JPEGImages`` (``frames_from='images'``,
    what the server reads; else, or without images, of the annotations,
    what the local evaluation reads), size and number of objects of the
    first annotated frame."""
    year = '2019' if task == 'unsupervised' and subset in (
        'test-dev', 'test-challenge') else '2017'
    listing = osp.join(root, 'ImageSets', year, f'{subset}.txt')
    if not sequences and not osp.isfile(listing):
        raise _bad_split(root, f'has no {listing}')
    folder = 'Annotations' if task == 'semi-supervised' else \
        'Annotations_unsupervised'
    if sequences:
        seqs = list(sequences)
    else:
        with open(listing) as f:
            seqs = [line.strip() for line in f if line.strip()]
    split = Split(listing)
    for seq in seqs:
        ann_dir = osp.join(root, folder, resolution, seq)
        img_dir = osp.join(root, 'JPEGImages', resolution, seq)
        source = img_dir if osp.isdir(img_dir) and frames_from == \
            'images' else ann_dir
        if not osp.isdir(source):
            raise _bad_split(root, f'has neither {img_dir} nor {ann_dir}')
        frames = sorted(_stem(n) for n in os.listdir(source)
                        if n.endswith(('.jpg', '.png')))
        anns = sorted(n for n in os.listdir(ann_dir) if n.endswith(
            '.png')) if osp.isdir(ann_dir) else []
        size = num_objects = None
        if anns:
            from .common import decode_png
            with open(osp.join(ann_dir, anns[0]), 'rb') as f:
                data = f.read()
            size = png_header(data)[:2]
            ids = decode_png(data)
            num_objects = int(ids[ids != 255].max(initial=0))
        split.videos[seq] = VideoSpec(len(frames), size, frames,
                                      num_objects=num_objects)
    return split
