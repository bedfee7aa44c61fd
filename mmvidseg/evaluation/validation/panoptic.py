# Copyright (c) mmvidseg contributors. All rights reserved.
"""Video-panoptic results, see ``shared/reference/metrics.md`` sections 2
and 3:

* KITTI-STEP: ``<pred>/<seq>/<frame>.png`` RGB, ``R`` = semantic id,
  ``G * 256 + B`` = instance id, one per GT frame, GT size;
* VIPSeg: ``<pred>/pred.json`` (``annotations: [{video_id, annotations:
  [{file_name?, segments_info} per frame]}]``) and
  ``<pred>/pan_pred/<video_id>/<file_name>`` COCO-panoptic RGB PNGs;
* Cityscapes-VPS: ``<pred>/pred.json`` (``annotations: [{segments_info}
  per GT frame, in GT order]``) and ``<pred>/pan_pred/<image id>.png``.

PNGs are checked from their headers (complete file, RGB, size); the
evaluators decode them and name a segment id missing from
``segments_info``.
"""
import os
import os.path as osp
from typing import Dict, Optional, Sequence

from .common import check_png, load_json_file, png_header
from .errors import Problems

RGB = (2, 6)


def _read(path: str) -> Optional[bytes]:
    if not osp.isfile(path):
        return None
    with open(path, 'rb') as f:
        return f.read()


def _gt_size(path: str):
    if not osp.isfile(path):
        return None
    with open(path, 'rb') as f:
        header = png_header(f.read(33))
    return header[:2] if header else None


def _check_frame(pred_png: str, gt_png: Optional[str], where: str,
                 problems: Problems, size=None) -> None:
    data = _read(pred_png)
    if data is None:
        problems.error(pred_png, where, '', 'is missing', 'write one '
                       'panoptic PNG per ground-truth frame')
        return
    size = size or (_gt_size(gt_png) if gt_png else None)
    if check_png(data, pred_png, where, problems, RGB, size,
                 'save the id map as an 8-bit RGB PNG') is not None:
        problems.count('frames')


def validate_kitti_step_folder(pred: str, gt: str,
                               sequences: Optional[Sequence[str]] = None,
                               problems: Optional[Problems] = None
                               ) -> Problems:
    """One RGB PNG per GT frame in ``<pred>/<seq>/``, of the GT size."""
    problems = problems or Problems()
    if not osp.isdir(pred):
        problems.error(pred, '', '', 'is not a folder', 'pass the folder '
                       'holding one folder per sequence')
        return problems
    sequences = sequences or sorted(
        d for d in os.listdir(gt) if osp.isdir(osp.join(gt, d)))
    for seq in sequences:
        if not osp.isdir(osp.join(pred, seq)):
            problems.error(pred, f'sequence {seq}', '', f'has no folder '
                           f'{seq}/', 'write one PNG per frame of every '
                           'sequence')
            continue
        for name in sorted(n for n in os.listdir(osp.join(gt, seq))
                           if n.endswith('.png')):
            _check_frame(osp.join(pred, seq, name), osp.join(gt, seq, name),
                         f'sequence {seq} frame {name}', problems)
        problems.count('sequences')
    return problems


def _check_segments(infos, file: str, where: str, categories: set,
                    problems: Problems) -> bool:
    if not isinstance(infos, list):
        problems.error(file, where, 'segments_info', 'is not a list',
                       'write [{id, category_id}] per frame')
        return False
    ids = set()
    for el in infos:
        if not isinstance(el, dict) or 'id' not in el or \
                'category_id' not in el:
            problems.error(file, where, 'segments_info', f'entry {el!r:.40} '
                           'lacks "id" or "category_id"', 'write {id, '
                           'category_id} per segment')
            return False
        if el['id'] in ids:
            problems.error(file, where, 'segments_info.id', f'{el["id"]} is '
                           'listed twice', 'list each segment once')
            return False
        ids.add(el['id'])
        if categories and el['category_id'] not in categories:
            problems.error(file, where, 'segments_info.category_id',
                           f'{el["category_id"]!r} is not a dataset category',
                           'use the category ids of the GT JSON (VIPSeg: '
                           '0..123)')
            return False
    return True


def _pred_entries(pred: str, problems: Problems, layout: str) -> tuple:
    """``(pred/pred.json, its "annotations" list)``; the list is None (and
    a problem recorded) when the file or the key is unusable."""
    source = osp.join(pred, 'pred.json')
    data = load_json_file(source, problems, 'pred.json')
    if data is None:
        return source, None
    entries = data.get('annotations') if isinstance(data, dict) else None
    if not isinstance(entries, list):
        problems.error(source, '', 'annotations', 'is missing (or not a '
                       'list)', f'write {{"annotations": {layout}}}')
        return source, None
    return source, entries


def validate_vipseg(pred: str, gt_dir: str, gt_json: dict,
                    problems: Optional[Problems] = None) -> Problems:
    """``pred.json`` entries and ``pan_pred`` PNGs of the VIPSeg layout
    against the GT JSON (``videos[].images``, ``categories``)."""
    problems = problems or Problems()
    source, entries = _pred_entries(pred, problems,
                                    '[{video_id, annotations}]')
    if entries is None:
        return problems
    videos = {v['video_id']: v for v in gt_json['videos']}
    cats = {c['id'] for c in gt_json.get('categories', [])}
    by_video: Dict = {}
    for i, entry in enumerate(entries):
        where = f'annotations[{i}]'
        if not isinstance(entry, dict) or 'video_id' not in entry or \
                not isinstance(entry.get('annotations'), list):
            problems.error(source, where, 'video_id / annotations', 'is '
                           'missing', 'write {video_id, annotations: [one '
                           'per frame]}')
            continue
        vid = entry['video_id']
        where = f'annotations[{i}] (video {vid!r})'
        if vid not in videos:
            problems.error(source, where, 'video_id', 'is not a video of '
                           'the ground truth', 'use the GT video ids')
        elif vid in by_video:
            problems.error(source, where, 'video_id', 'is listed twice',
                           'write one entry per video')
        else:
            by_video[vid] = entry['annotations']
    for vid, video in videos.items():
        _check_vipseg_video(vid, video, by_video.get(vid), pred, gt_dir,
                            source, cats, problems)
    return problems


def _check_vipseg_video(vid, video: dict, frames, pred: str, gt_dir: str,
                        source: str, cats: set, problems: Problems) -> None:
    if frames is None:
        problems.error(source, f'video {vid!r}', 'video_id', 'has no '
                       'prediction entry', 'predict every GT video')
        return
    images = video['images']
    if len(frames) != len(images):
        problems.error(source, f'video {vid!r}', 'annotations', f'has '
                       f'{len(frames)} frames, the ground truth '
                       f'{len(images)}', 'write one entry per GT frame, in '
                       'GT order')
        return
    for img, frame in zip(images, frames):
        where = f'video {vid!r} frame {img["file_name"]}'
        if not isinstance(frame, dict):
            problems.error(source, where, '', 'is not a dict',
                           'write {file_name, segments_info}')
            continue
        if not _check_segments(frame.get('segments_info'), source, where,
                               cats, problems):
            continue
        size = (img['height'], img['width']) if 'height' in img else None
        _check_frame(osp.join(pred, 'pan_pred', vid, img['file_name']),
                     osp.join(gt_dir, vid, img['file_name']), where,
                     problems, size)
    problems.count('videos')


def validate_coco_panoptic(pred_json: str, pred_dir: str, gt: dict,
                           gt_dir: str,
                           problems: Optional[Problems] = None) -> Problems:
    """A COCO-panoptic prediction (COCO-Videos panoptic: ``<video>.json``
    with ``annotations: [{image_id, file_name, segments_info}]`` and the
    PNGs in ``<video>/``) against the GT JSON of the same video."""
    problems = problems or Problems()
    data = load_json_file(pred_json, problems, 'panoptic JSON')
    if data is None:
        return problems
    entries = data.get('annotations') if isinstance(data, dict) else None
    if not isinstance(entries, list):
        problems.error(pred_json, '', 'annotations', 'is missing (or not a '
                       'list)', 'write {"annotations": [{image_id, '
                       'file_name, segments_info}]}')
        return problems
    cats = {c['id'] for c in gt.get('categories', [])}
    by_image: Dict = {}
    for i, entry in enumerate(entries):
        missing = [k for k in ('image_id', 'file_name', 'segments_info')
                   if not isinstance(entry, dict) or k not in entry]
        if missing:
            problems.error(pred_json, f'annotations[{i}]', missing[0],
                           'is missing', 'write {image_id, file_name, '
                           'segments_info} per frame')
            continue
        if entry['image_id'] in by_image:
            problems.error(pred_json, f'annotations[{i}]', 'image_id',
                           f'{entry["image_id"]!r} is listed twice',
                           'write one entry per frame')
            continue
        by_image[entry['image_id']] = entry
    for ann in gt['annotations']:
        where = f'image_id {ann["image_id"]!r}'
        entry = by_image.get(ann['image_id'])
        if entry is None:
            problems.error(pred_json, where, 'image_id', 'has no '
                           'prediction', 'predict every ground-truth frame')
            continue
        if _check_segments(entry['segments_info'], pred_json, where, cats,
                           problems):
            _check_frame(osp.join(pred_dir, entry['file_name']),
                         osp.join(gt_dir, ann['file_name']), where, problems)
    return problems


def validate_cityscapes_vps(pred: str, gt_json: dict,
                            problems: Optional[Problems] = None
                            ) -> Problems:
    """``pred.json`` (one entry per GT frame) and ``pan_pred/<image
    id>.png`` of the Cityscapes-VPS layout."""
    problems = problems or Problems()
    source, entries = _pred_entries(pred, problems,
                                    '[{segments_info} per GT frame]')
    if entries is None:
        return problems
    images = gt_json['images']
    num = len(gt_json['annotations'])
    if len(entries) != num:
        problems.error(source, '', 'annotations', f'has {len(entries)} '
                       f'frames, the ground truth {num}', 'write one entry '
                       'per GT frame, in GT order')
        return problems
    cats = {c['id'] for c in gt_json.get('categories', [])}
    for img, entry in zip(images, entries):
        where = f'image {img["id"]}'
        if not isinstance(entry, dict):
            problems.error(source, where, '', 'is not a dict',
                           'write {segments_info} per frame')
            continue
        if not _check_segments(entry.get('segments_info'), source, where,
                               cats, problems):
            continue
        size = (img['height'], img['width']) if 'height' in img else None
        _check_frame(osp.join(pred, 'pan_pred', f'{img["id"]}.png'), None,
                     where, problems, size)
    return problems
