# Copyright (c) mmvidseg contributors. All rights reserved.
"""YouTube-VIS / OVIS evaluator: submission files and exact local AP."""
import os.path as osp
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.fileio import get_local_path
from mmengine.logging import MMLogger

from mmvidseg.structures.masks import encode_masks, rle_area, to_json_rle
from mmvidseg.structures.video_sample import to_numpy
from ..functional.ytvis_io import (YTVISGroundTruth, dump_ytvis_results,
                                   write_ytvis_submission,
                                   ytvis_2022_ap, ytvis_ap)

# summary name of the functional API -> mmdet's YouTubeVISMetric key suffix
_MMDET_NAMES = OrderedDict(
    AP='mAP', AP50='mAP_50', AP75='mAP_75', AP_S='mAP_s', AP_M='mAP_m',
    AP_L='mAP_l', AR1='AR@1', AR10='AR@10', AR100='AR@100', AR_S='AR_s@100',
    AR_M='AR_m@100', AR_L='AR_l@100')


class YouTubeVISMetric(BaseMetric):
    """Track mAP of YouTube-VIS 2019 / 2021 / 2022 and OVIS, plus submission.

    Registered in mmvidseg's scope, it **shadows mmdet's class of the same
    name** (``mmdet/evaluation/metrics/youtube_vis_metric.py``) for configs
    with ``default_scope='mmvidseg'``; ``type='mmdet.YouTubeVISMetric'`` still
    reaches mmdet's. It processes data samples exactly as mmdet's does (one
    ``TrackDataSample`` per video, or one frame per sample in order), groups
    predictions per ``instances_id`` (score = mean of the per-frame scores,
    category = majority vote of the per-frame labels, plus 1), and in one pass

    * writes the submission files whenever ``outfile_prefix`` or
      ``submission_dir`` is set: ``<outfile_prefix>.json`` and
      ``<outfile_prefix>.submission_file.zip``, the names mmdet's metric
      uses, and / or ``<submission_dir>/results.json`` and
      ``<submission_dir>/submission_file.zip`` (the CodaLab names, used by
      ``tools/test_vis.py``); the zip holds ``results.json`` at its root, as
      CodaLab expects;
    * unless ``format_only``, scores them with
      :func:`mmvidseg.evaluation.functional.ytvis_io.ytvis_ap`, which equals
      the official ``youtubevos/cocoapi: PythonAPI/pycocotools/ytvoseval.py``.

    Differences from mmdet's class: the result files are also written when
    scoring (mmdet writes them only with ``format_only``), so the files and
    the score come from one evaluator; ``format_only`` without an output
    path raises (mmdet writes to a temporary folder that is deleted);
    ground-truth areas are mask areas (as on the server), not box areas;
    AR@1 / AR@10 / AR@100 and AR_S/M/L are always reported; no rounding to 3
    decimals; ``ann_file`` can hold the official ground truth; no dependency
    on ``np.float``. mmdet 3.3's unit test cases for its metric pass
    unchanged (``tests/test_evaluation/test_metrics/
    test_youtube_vis_metric.py``).

    Args:
        metric (str | list[str]): Only ``'youtube_vis_ap'``.
        ann_file (str, optional): Official YouTube-VIS JSON with annotations
            (e.g. a held-out valid split) to score against. Defaults to None:
            the ``instances`` of the data samples are the ground truth.
        outfile_prefix (str, optional): As mmdet's: writes
            ``<outfile_prefix>.json`` and
            ``<outfile_prefix>.submission_file.zip``. Defaults to None.
        submission_dir (str, optional): Folder for ``results.json`` and
            ``submission_file.zip``. Defaults to None.
        format_only (bool): Only write the files, score nothing (test splits
            without ground truth). Needs ``outfile_prefix`` or
            ``submission_dir``.
        dataset_version (str, optional): ``'2019'``, ``'2021'``, ``'2022'``
            or ``'ovis'`` (None: as 2019). Only ``'2022'`` changes the
            scoring: AP = mean of AP on short and long videos, which needs
            ``long_video_ids``.
        long_video_ids (Sequence[int] | str, optional): YTVIS-2022 long video
            ids, or a JSON / text file listing them.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str): Prefix of the metric names. Defaults to
            ``'youtube_vis'`` (keys ``youtube_vis/segm_mAP`` ... as mmdet).
    """

    default_prefix: Optional[str] = 'youtube_vis'

    def __init__(self,
                 metric: Union[str, List[str]] = 'youtube_vis_ap',
                 ann_file: Optional[str] = None,
                 outfile_prefix: Optional[str] = None,
                 submission_dir: Optional[str] = None,
                 format_only: bool = False,
                 dataset_version: Optional[str] = '2019',
                 long_video_ids: Optional[Union[Sequence[int], str]] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'youtube_vis') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        metrics = metric if isinstance(metric, list) else [metric]
        for name in metrics:
            if name != 'youtube_vis_ap':
                raise KeyError(
                    f"metric must be 'youtube_vis_ap', got {name!r}")
        if dataset_version not in (None, '2019', '2021', '2022', 'ovis'):
            raise ValueError("dataset_version must be '2019', '2021', '2022' "
                             f"or 'ovis' (or None), got {dataset_version!r}")
        if format_only and outfile_prefix is None and submission_dir is None:
            raise ValueError(
                'format_only=True writes the submission only: set '
                'outfile_prefix (writes <prefix>.json and '
                '<prefix>.submission_file.zip, as mmdet) or submission_dir '
                '(writes <dir>/results.json and <dir>/submission_file.zip).')
        self.ann_file = ann_file
        self.outfile_prefix = outfile_prefix
        self.submission_dir = submission_dir
        self.format_only = format_only
        self.dataset_version = dataset_version
        self.long_video_ids = long_video_ids
        self._frames: Dict[int, list] = {}  # video_id -> frames seen so far

    # ------------------------------------------------------------ processing
    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        """Turn each finished video into submission entries (+ its GT).

        Args:
            data_batch (dict): Unused.
            data_samples (Sequence): ``TrackDataSample`` s (or their dicts),
                each holding ``video_data_samples``: one ``DetDataSample`` per
                frame with ``pred_track_instances``.
        """
        for track_sample in data_samples:
            frames = _get(track_sample, 'video_data_samples')
            for frame in frames:
                frame = frame.to_dict() if hasattr(frame, 'to_dict') else frame
                vid = frame['video_id']
                buf = self._frames.setdefault(vid, [])
                record = _frame_record(frame)
                if record['video_length'] is None:
                    record['video_length'] = len(frames)
                buf.append(record)
                if len(buf) == buf[0]['video_length']:
                    self.results.append(_video_record(self._frames.pop(vid)))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Write the submission files and score them.

        Args:
            results (list): One record per video (from all ranks).

        Returns:
            dict[str, float]: ``segm_mAP`` ... as mmdet's metric (empty when
            ``format_only``).
        """
        logger = MMLogger.get_current_instance()
        seen, videos = set(), []
        for rec in results:  # drop copies added by distributed padding
            if rec['video_id'] not in seen:
                seen.add(rec['video_id'])
                videos.append(rec)
        preds = [p for rec in videos for p in rec['preds']]
        written = []
        if self.outfile_prefix is not None:
            written.append(write_ytvis_submission(
                preds, f'{self.outfile_prefix}.json',
                f'{self.outfile_prefix}.submission_file.zip'))
        if self.submission_dir is not None:
            written.append(dump_ytvis_results(preds, self.submission_dir))
        for json_path, zip_path in written:
            logger.info(f'YouTube-VIS results: {json_path}; submit '
                        f'{zip_path} to the CodaLab server.')
        if self.format_only:
            return dict()
        gt = self._ground_truth(videos)
        if self.dataset_version == '2022':
            if self.long_video_ids is None:
                raise ValueError(
                    "dataset_version='2022' scores AP = (AP_short + AP_long) "
                    '/ 2: set long_video_ids (ids or a file listing them).')
            stats = ytvis_2022_ap(gt, preds, _read_ids(self.long_video_ids))
        else:
            stats = ytvis_ap(gt, preds)
        out = OrderedDict()
        for key, name in _MMDET_NAMES.items():
            out[f'segm_{name}'] = stats[key]
        for key, val in stats.items():
            if key.endswith(('_short', '_long')):
                base, part = key.rsplit('_', 1)
                out[f'segm_{_MMDET_NAMES[base]}_{part}'] = val
        return out

    def _ground_truth(self, videos: List[dict]) -> YTVISGroundTruth:
        classes = (self.dataset_meta or {}).get('classes')
        if self.ann_file is not None:
            with get_local_path(self.ann_file) as path:
                gt = YTVISGroundTruth(path)
            gt.source = self.ann_file
            if classes is not None and len(classes) != len(gt.category_ids):
                raise ValueError(
                    f'{self.ann_file} has {len(gt.category_ids)} categories, '
                    f'the dataset {len(classes)} classes: labels map to '
                    'category ids as label + 1 in official id order.')
            return gt
        if not any(r['gts'] for r in videos):
            raise ValueError(
                'YouTubeVISMetric: the data samples carry no ground-truth '
                'instances (a test split?): set ann_file to an official JSON '
                'with annotations, or format_only=True to only write the '
                'submission.')
        if classes is None:
            raise ValueError('YouTubeVISMetric needs dataset_meta["classes"] '
                             '(set by the Runner from the dataset) or '
                             'ann_file.')
        return YTVISGroundTruth(
            dict(categories=[dict(id=i + 1, name=n)
                             for i, n in enumerate(classes)],
                 videos=[dict(id=r['video_id'], height=r['height'],
                              width=r['width'], length=r['length'])
                         for r in videos],
                 annotations=[a for r in videos for a in r['gts']]))


def _get(sample, key: str):
    return sample[key] if isinstance(sample, dict) else getattr(sample, key)


def _frame_record(frame: dict) -> dict:
    """Per-frame predictions (RLE) and ground truth of one frame dict."""
    pred = frame['pred_track_instances']
    h, w = frame['ori_shape'][:2]
    masks = pred['masks']
    masks = to_numpy(masks)
    if masks.ndim != 3 or (len(masks) and masks.shape[1:] != (h, w)):
        raise ValueError(
            f'video {frame["video_id"]} frame {frame.get("frame_id")}: '
            f'pred_track_instances.masks has shape {masks.shape}, expected '
            f'(N, {h}, {w}) = the original frame size (ori_shape).')
    rles = encode_masks(masks)
    length = frame.get('ori_video_length', frame.get('video_length'))
    return dict(
        video_id=frame['video_id'], frame_id=frame.get('frame_id'),
        video_length=length, height=h, width=w, rles=rles,
        scores=to_numpy(pred['scores']),  # native dtype: same mean as mmdet
        labels=to_numpy(pred['labels']).astype(np.int64),
        ids=to_numpy(pred['instances_id']).tolist(),
        instances=frame.get('instances') or [])


def _video_record(frames: List[dict]) -> dict:
    """Submission entries (one per ``instances_id``) and GT of one video."""
    first = frames[0]
    vid, length = first['video_id'], first['video_length']
    positions = [f['frame_id'] if f['frame_id'] is not None else i
                 for i, f in enumerate(frames)]
    if sorted(positions) != list(range(length)):
        raise ValueError(f'video {vid}: frame_id values {positions} must be '
                         f'0..{length - 1}, each once.')
    tracks: Dict = {}
    for t, frame in zip(positions, frames):
        for j, tid in enumerate(frame['ids']):
            track = tracks.setdefault(
                tid, dict(scores=[], labels=[], segms={}))
            track['scores'].append(frame['scores'][j])
            track['labels'].append(frame['labels'][j])
            track['segms'][t] = frame['rles'][j]
    preds = [
        dict(video_id=vid,
             score=np.array(tr['scores']).mean().item(),
             category_id=int(np.bincount(np.array(tr['labels'])).argmax()) + 1,
             segmentations=[tr['segms'].get(t) for t in range(length)])
        for tr in tracks.values()
    ]
    return dict(video_id=vid, height=first['height'], width=first['width'],
                length=length, preds=preds,
                gts=_video_gts(vid, length, positions, frames))


def _video_gts(vid: int, length: int, positions: List[int],
               frames: List[dict]) -> List[dict]:
    """Official-format GT annotations from the frames' ``instances``."""
    anns: Dict = {}
    for t, frame in zip(positions, frames):
        h, w = frame['height'], frame['width']
        for inst in frame['instances']:
            if inst.get('mask') is None:  # absent in this frame
                continue
            iid = inst['instance_id']
            ann = anns.setdefault(iid, dict(
                id=iid, video_id=vid,
                category_id=int(inst['bbox_label']) + 1,
                iscrowd=int(inst.get('ignore_flag', 0)),
                segmentations=[None] * length, areas=[None] * length))
            rle = to_json_rle(inst['mask'], h, w)  # RLE, polygons or bitmap
            ann['segmentations'][t] = rle
            ann['areas'][t] = rle_area(rle)
    return list(anns.values())


def _read_ids(ids: Union[Sequence[int], str]) -> List[int]:
    if not isinstance(ids, str):
        return [int(i) for i in ids]
    with get_local_path(ids) as path:
        text = open(path).read()
    if osp.splitext(ids)[1] == '.json':
        import json
        return [int(i) for i in json.loads(text)]
    return [int(tok) for tok in text.replace(',', ' ').split()]
