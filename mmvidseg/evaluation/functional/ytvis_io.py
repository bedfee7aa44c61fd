# Copyright (c) mmvidseg contributors. All rights reserved.
"""Read, check and write YouTube-VIS / OVIS ground truth and results.

Formats (``youtubevos/cocoapi: PythonAPI/pycocotools/ytvos.py``):

* ground truth: ``{videos: [{id, width, height, length?, file_names?}],
  categories: [{id, name}], annotations: [{id, video_id, category_id,
  iscrowd, areas, segmentations: [RLE | polygon | null per frame]}]}``;
* results (CodaLab submission): a JSON list of ``{video_id, score,
  category_id (1-based), segmentations: [RLE {size: [h, w], counts: str} or
  null, one per frame]}``, zipped as ``results.json`` at the archive root.

:func:`check_ytvis_results` rejects what the CodaLab server would reject
("Results do not correspond to current coco set") or silently score as 0
(mask sizes, frame counts, category ids), naming the video, the entry, the
frame and the field, before anything is uploaded.
"""
import json
import os
import os.path as osp
import zipfile
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmvidseg.structures.masks import to_coco_rle
from ..validation.splits import Split, VideoSpec
from ..validation.ytvis import validate_ytvis_results
from .ytvis_ap import evaluate_ytvis
from .ytvis_iou import VideoTrack


class YTVISGroundTruth:
    """Ground truth of a YouTube-VIS-format split, indexed for scoring.

    Args:
        dataset (dict | str): The official JSON (``videos``, ``categories``,
            ``annotations``) or its path.
    """

    def __init__(self, dataset: Union[dict, str]) -> None:
        self.source = dataset if isinstance(dataset, str) else '<ground truth>'
        if isinstance(dataset, str):
            with open(dataset) as f:
                dataset = json.load(f)
        for key in ('videos', 'categories'):
            if key not in dataset:
                raise KeyError(f'{self.source} has no "{key}" list; it is not '
                               'a YouTube-VIS annotation file.')
        self.category_ids = sorted(c['id'] for c in dataset['categories'])
        self.video_sizes: Dict[int, Tuple[int, int]] = {}
        self.video_lengths: Dict[int, int] = {}
        anns = dataset.get('annotations') or []
        ann_lengths: Dict[int, int] = {}
        for ann in anns:
            ann_lengths[ann['video_id']] = max(
                ann_lengths.get(ann['video_id'], 0),
                len(ann['segmentations']))
        for video in dataset['videos']:
            vid = video['id']
            self.video_sizes[vid] = (video['height'], video['width'])
            if 'length' in video:
                self.video_lengths[vid] = video['length']
            elif 'file_names' in video:
                self.video_lengths[vid] = len(video['file_names'])
            else:
                self.video_lengths[vid] = ann_lengths.get(vid, 0)
        self.tracks: Dict[int, List[VideoTrack]] = {}
        for ann in anns:
            num = self.video_lengths.get(ann['video_id'])
            if num is not None and len(ann['segmentations']) != num:
                raise ValueError(
                    f'{self.source}: annotation {ann.get("id")} of video '
                    f'{ann["video_id"]} has {len(ann["segmentations"])} '
                    f'segmentations, the video has {num} frames.')
            self.tracks.setdefault(ann['video_id'], []).append(
                self._gt_track(ann))

    def _gt_track(self, ann: dict) -> VideoTrack:
        vid = ann['video_id']
        if vid not in self.video_sizes:
            raise KeyError(f'{self.source}: annotation {ann.get("id")} refers '
                           f'to video {vid}, which is not in "videos".')
        h, w = self.video_sizes[vid]
        segms = [to_coco_rle(s, h, w) if s else None
                 for s in ann['segmentations']]
        if 'areas' in ann:
            nonzero = [a for a in ann['areas'] if a]
            avg_area = np.array(nonzero).mean() if nonzero else 0
        else:
            avg_area = None  # computed from the masks by evaluate_ytvis
        return VideoTrack(
            ann['id'], ann['category_id'], segms,
            iscrowd=bool(ann.get('iscrowd', 0)), avg_area=avg_area)

    def subset(self, video_ids: Sequence[int]) -> 'YTVISGroundTruth':
        """A view restricted to ``video_ids`` (e.g. 2022's long videos)."""
        sub = object.__new__(YTVISGroundTruth)
        keep = set(video_ids)
        missing = keep - set(self.video_sizes)
        if missing:
            raise KeyError(f'videos {sorted(missing)[:10]} are not in '
                           f'{self.source}')
        sub.source = self.source
        sub.category_ids = self.category_ids
        sub.video_sizes = {v: s for v, s in self.video_sizes.items()
                           if v in keep}
        sub.video_lengths = {v: n for v, n in self.video_lengths.items()
                             if v in keep}
        sub.tracks = {v: t for v, t in self.tracks.items() if v in keep}
        return sub


def check_ytvis_results(results: list, gt: YTVISGroundTruth,
                        source: str = 'results.json') -> None:
    """Reject results the official server would refuse or score as zero.

    Delegates to
    :func:`mmvidseg.evaluation.validation.ytvis.validate_ytvis_results`
    (the one implementation, shared with ``eval_offline.py`` and
    ``tools/misc/check_submission.py``).

    Args:
        results (list): The submission list.
        gt (YTVISGroundTruth): The ground truth they are scored against.
        source (str): Name used in the messages.

    Raises:
        ResultsFormatError: a ``ValueError`` naming the entry, video, frame
            and field, with the fix.
    """
    validate_ytvis_results(results, ytvis_split(gt), source=source)


def ytvis_split(gt: YTVISGroundTruth) -> Split:
    """The videos (frame counts, sizes) and category ids of ``gt``."""
    return Split(gt.source, {v: VideoSpec(gt.video_lengths[v],
                                          gt.video_sizes[v])
                             for v in gt.video_sizes}, gt.category_ids)


def load_ytvis_results(results: Union[list, str], gt: YTVISGroundTruth,
                       check: bool = True) -> Dict[int, List[VideoTrack]]:
    """Predicted tracks per video, in results order (ids = position + 1).

    Args:
        results (list | str): The submission list, or a ``results.json`` /
            CodaLab ``.zip`` path.
        gt (YTVISGroundTruth): Ground truth.
        check (bool): Validate with :func:`check_ytvis_results` first.
            Uncompressed RLE is compressed when scoring (the server only
            reads compressed RLE).
    """
    source = results if isinstance(results, str) else 'results'
    if isinstance(results, str):
        results = read_ytvis_results(results)
    if check:
        check_ytvis_results(results, gt, source)
    tracks: Dict[int, List[VideoTrack]] = {}
    for i, res in enumerate(results):
        tracks.setdefault(res['video_id'], []).append(
            VideoTrack(i + 1, res['category_id'], res['segmentations'],
                       score=float(res['score'])))
    return tracks


def read_ytvis_results(path: str) -> list:
    """Read ``results.json`` or a submission zip holding ``results.json``."""
    if path.endswith('.zip'):
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.endswith('results.json')]
            if 'results.json' not in names:
                raise KeyError(f'{path} must hold results.json at its root '
                               f'(found {zf.namelist()[:5]}); CodaLab reads '
                               'only that file.')
            with zf.open('results.json') as f:
                return json.load(f)
    with open(path) as f:
        return json.load(f)


def ytvis_ap(gt: Union[dict, str, YTVISGroundTruth],
             results: Union[list, str],
             video_ids: Optional[Sequence[int]] = None,
             check: bool = True,
             return_arrays: bool = False) -> Dict:
    """YouTube-VIS / OVIS track AP of ``results`` against ``gt``.

    Args:
        gt (dict | str | YTVISGroundTruth): Official ground-truth JSON.
        results (list | str): Submission list, ``results.json`` or zip.
        video_ids (Sequence[int], optional): Score only these videos (results
            of other videos are dropped). Defaults to all GT videos.
        check (bool): Validate the results first. Defaults to True.
        return_arrays (bool): Also return precision / recall arrays.

    Returns:
        dict: AP, AP50, AP75, AP_S, AP_M, AP_L, AR1, AR10, AR100, AR_S, AR_M,
        AR_L (floats in [0, 1], -1 where undefined).
    """
    if not isinstance(gt, YTVISGroundTruth):
        gt = YTVISGroundTruth(gt)
    dts = load_ytvis_results(results, gt, check=check)
    if video_ids is not None:
        gt = gt.subset(video_ids)
        dts = {v: t for v, t in dts.items() if v in gt.video_sizes}
    return evaluate_ytvis(gt.video_lengths, gt.category_ids, gt.tracks, dts,
                          return_arrays=return_arrays)


def ytvis_2022_ap(gt: Union[dict, str, YTVISGroundTruth],
                  results: Union[list, str],
                  long_video_ids: Sequence[int],
                  check: bool = True) -> Dict[str, float]:
    """YouTube-VIS 2022: AP = mean of AP on short and on long videos.

    Args:
        gt: Ground truth of the whole 2022 valid split.
        results: Submission list, ``results.json`` or zip.
        long_video_ids (Sequence[int]): Ids of the long videos; the others are
            the short ones (= the YTVIS-2021 valid set).
        check (bool): Validate the results first.

    Returns:
        dict: ``AP`` (the mean), ``AP_short``, ``AP_long`` and every summary
        number of each subset with the suffix ``_short`` / ``_long``.
    """
    if not isinstance(gt, YTVISGroundTruth):
        gt = YTVISGroundTruth(gt)
    if isinstance(results, str):
        results = read_ytvis_results(results)
    long_ids = set(long_video_ids)
    short_ids = [v for v in gt.video_sizes if v not in long_ids]
    out: Dict[str, float] = {}
    for name, ids in (('short', short_ids), ('long', sorted(long_ids))):
        stats = ytvis_ap(gt, results, video_ids=ids, check=check)
        out.update({f'{k}_{name}': v for k, v in stats.items()})
        check = False
    out['AP'] = (out['AP_short'] + out['AP_long']) / 2
    return out


def dump_ytvis_results(results: List[dict], out_dir: str) -> Tuple[str, str]:
    """Write ``<out_dir>/results.json`` and ``<out_dir>/submission_file.zip``.

    Args:
        results (list[dict]): Submission entries; ``bytes`` RLE counts are
            decoded to ``str`` (JSON cannot hold bytes).
        out_dir (str): Output folder (created).

    Returns:
        tuple[str, str]: Paths of the JSON and of the zip (``results.json`` at
        the archive root, as CodaLab expects).
    """
    return write_ytvis_submission(results,
                                  osp.join(out_dir, 'results.json'),
                                  osp.join(out_dir, 'submission_file.zip'))


def write_ytvis_submission(results: List[dict], json_path: str,
                           zip_path: str) -> Tuple[str, str]:
    """Write the results JSON and a zip holding it as ``results.json``.

    mmdet's ``YouTubeVISMetric`` names them ``<prefix>.json`` and
    ``<prefix>.submission_file.zip``; :func:`dump_ytvis_results` writes the
    folder layout. Parent folders are created.

    Returns:
        tuple[str, str]: ``json_path`` and ``zip_path``.
    """
    for path in (json_path, zip_path):
        if osp.dirname(path):
            os.makedirs(osp.dirname(path), exist_ok=True)
    for res in results:
        for segm in res['segmentations']:
            if segm is not None and isinstance(segm.get('counts'), bytes):
                segm['counts'] = segm['counts'].decode()
    with open(json_path, 'w') as f:
        json.dump(results, f)
    with zipfile.ZipFile(zip_path, 'w', zipfile.ZIP_DEFLATED) as zf:
        zf.write(json_path, 'results.json')
    return json_path, zip_path
