# Copyright (c) mmvidseg contributors. All rights reserved.
"""DAVIS 2017 evaluator: palette-PNG submission and exact J&F."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from pycocotools import mask as mask_utils

from mmvidseg.registry import METRICS
from ..functional.davis import davis_summary, evaluate_davis_sequence
from ..functional.davis_io import write_davis_png, zip_davis_results


@METRICS.register_module()
class DAVISMetric(BaseMetric):
    """J&F of DAVIS 2017 semi-supervised / unsupervised VOS.

    Scores with :func:`mmvidseg.evaluation.functional.davis.
    evaluate_davis_sequence`, equal to
    ``davisvideochallenge/davis2017-evaluation`` (first and last frames not
    scored in the semi-supervised task, at most 20 proposals in the
    unsupervised one, decay bins as upstream unless ``decay='fixed'``).

    Each data sample is a ``TrackDataSample`` holding the whole video (or
    one frame per sample, in order). Per frame, the prediction is
    ``pred_sem_seg.sem_seg`` (1, H, W) object ids, or ``pred_track_instances``
    (``masks`` (N, H, W), ``instances_id`` = object ids, painted by ascending
    ``scores`` so that the most confident object wins overlaps;
    ``instances_id`` may be the ground-truth instance ids). Ground truth:
    ``gt_sem_seg.sem_seg`` ids (255 = void), or the frame's ``instances``
    as ``DAVISDataset`` gives them (``mask`` + dataset-wide ``instance_id``,
    renumbered 1..K in sorted order, i.e. the DAVIS object ids;
    ``ignore_flag=1`` instances are void).

    Args:
        task (str): ``'semi-supervised'`` or ``'unsupervised'``.
        outfile_prefix (str, optional): Folder for ``<video>/<frame>.png``
            palette PNGs and ``submission.zip`` (test-dev).
        format_only (bool): Only write the PNGs / zip.
        decay (str): ``'official'`` (uint8 wrap) or ``'fixed'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str): Metric name prefix. Defaults to ``'davis'``.
    """

    default_prefix: Optional[str] = 'davis'

    def __init__(self,
                 task: str = 'semi-supervised',
                 outfile_prefix: Optional[str] = None,
                 format_only: bool = False,
                 decay: str = 'official',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'davis') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if task not in ('semi-supervised', 'unsupervised'):
            raise ValueError("task must be 'semi-supervised' or "
                             f"'unsupervised', got {task!r}")
        if format_only and outfile_prefix is None:
            raise ValueError('format_only=True needs outfile_prefix')
        self.task = task
        self.outfile_prefix = outfile_prefix
        self.format_only = format_only
        self.decay = decay
        self._frames: Dict = {}

    def process(self, data_batch: dict, data_samples: Sequence) -> None:
        """Collect whole videos as (T, H, W) uint8 id maps."""
        for track_sample in data_samples:
            frames = track_sample['video_data_samples'] if isinstance(
                track_sample, dict) else track_sample.video_data_samples
            for frame in frames:
                frame = frame.to_dict() if hasattr(frame, 'to_dict') else frame
                vid = frame.get('video_id')
                buf = self._frames.setdefault(vid, [])
                buf.append(frame)
                length = frame.get('ori_video_length',
                                   frame.get('video_length', len(frames)))
                if len(buf) == length:
                    self.results.append(_video(self._frames.pop(vid)))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        seen, videos = set(), []
        for rec in results:
            if rec['name'] not in seen:
                seen.add(rec['name'])
                videos.append(rec)
        logger = MMLogger.get_current_instance()
        if self.outfile_prefix is not None:
            for rec in videos:
                for name, ids in zip(rec['frame_names'], rec['pred']):
                    write_davis_png(
                        osp.join(self.outfile_prefix, rec['name'],
                                 f'{name}.png'), ids)
            zip_path = zip_davis_results(
                self.outfile_prefix, osp.join(self.outfile_prefix,
                                              'submission.zip'))
            logger.info(f'DAVIS results written to {self.outfile_prefix} '
                        f'({zip_path})')
        if self.format_only:
            return {}
        per_seq = {
            rec['name']: evaluate_davis_sequence(rec['gt'], rec['pred'],
                                                 self.task, name=rec['name'])
            for rec in videos
        }
        summary = davis_summary(per_seq, self.decay)
        return {k: v for k, v in summary.items() if k != 'per_object'}


def _video(frames: List[dict]) -> dict:
    """(T, H, W) prediction and ground-truth id maps of one video."""
    order = sorted(range(len(frames)),
                   key=lambda i: frames[i].get('frame_id', i))
    frames = [frames[i] for i in order]
    first = frames[0]
    name = str(first.get('video_name', first.get('video_id')))
    # dataset-wide instance ids -> DAVIS object ids 1..K (sorted order)
    inst_ids = sorted({i['instance_id'] for f in frames
                       for i in f.get('instances') or []
                       if not i.get('ignore_flag', 0)})
    id_map = {iid: k for k, iid in enumerate(inst_ids, 1)}
    preds, gts, names = [], [], []
    for t, frame in enumerate(frames):
        h, w = frame['ori_shape'][:2]
        preds.append(_pred_ids(frame, h, w, name, t, id_map))
        gts.append(_gt_ids(frame, h, w, id_map))
        path = frame.get('img_path')
        names.append(osp.splitext(osp.basename(path))[0] if path else
                     f'{t:05d}')
    return dict(name=name, pred=np.stack(preds), gt=np.stack(gts),
                frame_names=names)


def _numpy(x) -> np.ndarray:
    return x.detach().cpu().numpy() if hasattr(x, 'detach') else np.asarray(x)


def _pred_ids(frame: dict, h: int, w: int, name: str, t: int,
              id_map: Dict[int, int]) -> np.ndarray:
    if 'pred_sem_seg' in frame:
        ids = _numpy(frame['pred_sem_seg']['sem_seg']).reshape(-1, h, w)[0]
        return ids.astype(np.uint8)
    pred = frame['pred_track_instances']
    masks = _numpy(pred['masks']).astype(bool)
    if masks.ndim != 3 or (len(masks) and masks.shape[1:] != (h, w)):
        raise ValueError(f'video {name} frame {t}: masks of shape '
                         f'{masks.shape}, expected (N, {h}, {w}) (ori_shape)')
    ids = [id_map.get(i, i) for i in _numpy(pred['instances_id']).tolist()]
    if any(not 0 <= i <= 254 for i in ids):
        raise ValueError(f'video {name} frame {t}: predicted instances_id '
                         f'{ids} are neither ground-truth instance ids nor '
                         'DAVIS object ids 1..254')
    scores = _numpy(pred['scores']) if 'scores' in pred else np.zeros(
        len(ids))
    out = np.zeros((h, w), np.uint8)
    for i in np.argsort(scores, kind='stable'):
        out[masks[i]] = ids[i]
    return out


def _gt_ids(frame: dict, h: int, w: int, id_map: Dict[int,
                                                      int]) -> np.ndarray:
    if 'gt_sem_seg' in frame:
        return _numpy(frame['gt_sem_seg']['sem_seg']).reshape(
            -1, h, w)[0].astype(np.uint8)
    out = np.zeros((h, w), np.uint8)
    for inst in frame.get('instances') or []:
        mask = inst.get('mask')
        if mask is None:
            continue
        if isinstance(mask, dict):
            rle = mask if not isinstance(mask['counts'], list) else \
                mask_utils.frPyObjects(mask, h, w)
            mask = mask_utils.decode(rle).astype(bool)
        elif isinstance(mask, list):
            mask = mask_utils.decode(mask_utils.merge(
                mask_utils.frPyObjects(mask, h, w))).astype(bool)
        label = 255 if inst.get('ignore_flag', 0) else \
            id_map[inst['instance_id']]
        out[np.asarray(mask, bool)] = label
    return out
