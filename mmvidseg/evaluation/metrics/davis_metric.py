# Copyright (c) mmvidseg contributors. All rights reserved.
"""DAVIS 2017 evaluator: palette-PNG submission and exact J&F."""
import os.path as osp
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmvidseg.registry import METRICS
from mmvidseg.structures.masks import decode_rle
from mmvidseg.structures.video_sample import to_numpy
from ..functional.davis import davis_summary, evaluate_davis_sequence
from ..functional.davis_io import write_davis_png, zip_davis_results
from ..functional.stemseg_outputs import DAVIS_MAX_PROPOSALS, davis_id_maps


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
    ``instances_id`` may be the ground-truth instance ids) or, with
    ``pred_order='rank'``, painted as STEm-Seg's reference DAVIS writer
    (:func:`mmvidseg.evaluation.functional.stemseg_outputs.davis_id_maps`:
    the first ``max_objects`` instances in their given order get ids
    1..N, later ones paint over earlier ones). Ground truth:
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
        pred_order (str): How ``pred_track_instances`` become an id map:
            ``'score'`` (ids = ``instances_id``, most confident on top) or
            ``'rank'`` (ids = position + 1 in the given order, later on
            top; unsupervised proposals ranked by the model).
        max_objects (int): ``'rank'`` only: instances kept (the benchmark's
            20 proposals).
        objects_from (str): Semi-supervised objects: ``'first_frame'``
            (official DAVIS-2017: the objects of the first frame; a higher
            predicted id is an error) or ``'first_appearance'`` (not
            official, YouTube-VOS-like: every object of the sequence, scored
            on the frames after its first annotated frame, the last frame
            excluded as DAVIS does; equal to the official numbers when all
            objects are in the first frame). The embedded toy DAVIS data
            lets objects enter later (5 of the 40 validation objects, one
            video with none in frame 0), which the official protocol cannot
            score; TarViS and the VOS accumulators already take each
            object's exemplar from its first annotated frame.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str): Metric name prefix. Defaults to ``'davis'``.
    """

    default_prefix: Optional[str] = 'davis'

    def __init__(self,
                 task: str = 'semi-supervised',
                 outfile_prefix: Optional[str] = None,
                 format_only: bool = False,
                 decay: str = 'official',
                 pred_order: str = 'score',
                 max_objects: int = DAVIS_MAX_PROPOSALS,
                 objects_from: str = 'first_frame',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'davis') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if task not in ('semi-supervised', 'unsupervised'):
            raise ValueError("task must be 'semi-supervised' or "
                             f"'unsupervised', got {task!r}")
        if format_only and outfile_prefix is None:
            raise ValueError('format_only=True needs outfile_prefix')
        if pred_order not in ('score', 'rank'):
            raise ValueError("pred_order must be 'score' or 'rank', got "
                             f'{pred_order!r}')
        if objects_from not in ('first_frame', 'first_appearance'):
            raise ValueError("objects_from must be 'first_frame' (official) "
                             f"or 'first_appearance', got {objects_from!r}")
        if objects_from != 'first_frame' and task != 'semi-supervised':
            raise ValueError("objects_from='first_appearance' needs task="
                             "'semi-supervised'")
        self.objects_from = objects_from
        self.pred_order = pred_order
        self.max_objects = max_objects
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
                    ranked = self.max_objects \
                        if self.pred_order == 'rank' else None
                    self.results.append(_video(self._frames.pop(vid),
                                              ranked))

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
            rec['name']: evaluate_davis_sequence(
                rec['gt'], rec['pred'], self.task, name=rec['name'],
                objects_from=self.objects_from)
            for rec in videos
        }
        summary = davis_summary(per_seq, self.decay)
        return {k: v for k, v in summary.items() if k != 'per_object'}


def _video(frames: List[dict], max_ranked: Optional[int]) -> dict:
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
        preds.append(_pred_ids(frame, h, w, name, t, id_map, max_ranked))
        gts.append(_gt_ids(frame, h, w, id_map))
        path = frame.get('img_path')
        names.append(osp.splitext(osp.basename(path))[0] if path else
                     f'{t:05d}')
    return dict(name=name, pred=np.stack(preds), gt=np.stack(gts),
                frame_names=names)


def _pred_ids(frame: dict, h: int, w: int, name: str, t: int,
              id_map: Dict[int, int],
              max_ranked: Optional[int] = None) -> np.ndarray:
    """(H, W) uint8 predicted object ids of one frame: ``pred_sem_seg``, or
    ``pred_track_instances`` painted by ascending score (ids =
    ``instances_id``) or, with ``max_ranked``, in their given order (ids =
    rank, :func:`davis_id_maps`)."""
    if 'pred_sem_seg' in frame:
        ids = to_numpy(frame['pred_sem_seg']['sem_seg']).reshape(-1, h, w)[0]
        return ids.astype(np.uint8)
    pred = frame['pred_track_instances']
    masks = to_numpy(pred['masks']).astype(bool)
    if masks.ndim != 3 or (len(masks) and masks.shape[1:] != (h, w)):
        raise ValueError(f'video {name} frame {t}: masks of shape '
                         f'{masks.shape}, expected (N, {h}, {w}) (ori_shape)')
    if max_ranked is not None:
        return davis_id_maps(masks.reshape(-1, 1, h, w), max_ranked)[0]
    ids = [id_map.get(i, i) for i in to_numpy(pred['instances_id']).tolist()]
    if any(not 0 <= i <= 254 for i in ids):
        raise ValueError(f'video {name} frame {t}: predicted instances_id '
                         f'{ids} are neither ground-truth instance ids nor '
                         'DAVIS object ids 1..254')
    scores = to_numpy(pred['scores']) if 'scores' in pred else np.zeros(
        len(ids))
    out = np.zeros((h, w), np.uint8)
    for i in np.argsort(scores, kind='stable'):
        out[masks[i]] = ids[i]
    return out


def _gt_ids(frame: dict, h: int, w: int, id_map: Dict[int,
                                                      int]) -> np.ndarray:
    if 'gt_sem_seg' in frame:
        return to_numpy(frame['gt_sem_seg']['sem_seg']).reshape(
            -1, h, w)[0].astype(np.uint8)
    out = np.zeros((h, w), np.uint8)
    for inst in frame.get('instances') or []:
        mask = inst.get('mask')
        if mask is None:
            continue
        if isinstance(mask, (dict, list)):  # RLE or polygons
            mask = decode_rle(mask, h, w)
        label = 255 if inst.get('ignore_flag', 0) else \
            id_map[inst['instance_id']]
        out[np.asarray(mask, bool)] = label
    return out
