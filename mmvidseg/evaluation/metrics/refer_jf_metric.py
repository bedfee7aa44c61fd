# Copyright (c) mmvidseg contributors. All rights reserved.
"""Refer-YouTube-VOS / Ref-DAVIS17 J&F metric (mmengine adapter).

:class:`ReferJFMetric`: Refer-YouTube-VOS (J&F per expression, submission
zip ``Annotations/<video>/<exp_id>/<frame>.png``) and Ref-DAVIS17
(ReferFormer: per annotator unsupervised DAVIS J&F, averaged over the
annotators). Data-sample fields are listed in
:mod:`mmvidseg.structures.refer_sample`; in addition the metric reads the
metainfo ``exp_id`` (expression id) and, for Ref-DAVIS, optional ``obj_id``
/ ``anno_id`` (default: ReferFormer's expression order, ``exp_index =
(obj_id - 1) * 4 + anno_id``).
"""
import zlib
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmvidseg.registry import METRICS
from mmvidseg.structures.masks import decode_rle, encode_masks, merge_rles
from mmvidseg.structures.refer_sample import (frame_key, frame_name,
                                              gt_masks, pred_masks_scores,
                                              shape_of)
from mmvidseg.structures.video_sample import (flatten, sample_frames,
                                              to_numpy)
from ..functional.davis import davis_summary, evaluate_davis_sequence
from ..functional.refer import expression_jf, refer_jf_summary
from ..functional.refer_io import (combine_annotator_masks,
                                   ref_davis_average, ref_davis_expression,
                                   write_refer_pngs, zip_refer_submission)


@METRICS.register_module()
class ReferJFMetric(BaseMetric):
    """Refer-YouTube-VOS / Ref-DAVIS17 J&F and the RVOS submission zip.

    One data sample = one expression of one video (a ``TrackDataSample``
    with its frames, or frame samples). Per frame: ``pred_instances`` /
    ``pred_track_instances`` ``masks`` + ``scores`` (optional
    ``instances_id``); the referred object is the instance (``instances_id``,
    else the query index) with the highest mean score over the frames where
    it appears (as MTTR / ReferFormer select their query), its mask is used
    in every frame (empty where absent). Ground truth (referred object's
    mask) from ``gt_instances.masks`` / ``instances`` / ``gt_mask``; frames
    without it are not scored.

    * ``protocol='ref_youtube_vos'``: J and F (DAVIS definitions,
      ``bound_th``) per annotated frame, averaged over frames, then over
      expressions (the RVOS server's averaging is unconfirmed; see
      :mod:`mmvidseg.evaluation.functional.refer`).
    * ``protocol='ref_davis'``: ReferFormer (``inference_davis.py``,
      ``scripts/dist_test_davis.sh``): per video and annotator the objects'
      masks are merged into id maps (:func:`combine_annotator_masks`), the
      ground truth id map is rebuilt from the expressions' object masks (or
      read from ``gt_sem_seg``), every annotator is scored with the
      unsupervised DAVIS-2017 J&F and the numbers are averaged over the
      annotators. ``obj_id`` / ``anno_id`` come from the metainfo, else from
      the expression index (``exp_id`` as an integer).

    When ``outfile_prefix`` is set, ``<outfile_prefix>/Annotations/<video>/
    <exp_id>/<frame>.png`` (0 / 255) and ``<outfile_prefix>/submission.zip``
    are written (frame names from ``img_path``, else ``%05d``).

    Args:
        protocol (str): ``'ref_youtube_vos'`` or ``'ref_davis'``.
        select (str): Where the referred instance is chosen: ``'video'``
            (over all frames of the expression; every predicted mask is kept
            until the end) or ``'sample'`` (within each data sample, i.e.
            per clip as ReferFormer's 36-frame clips; one mask per frame is
            kept, far less memory with many queries).
        outfile_prefix (str, optional): Submission folder.
        format_only (bool): Only write the submission.
        bound_th (float): F boundary tolerance. Defaults to 0.008.
        decay (str): Ref-DAVIS decay bins, ``'official'`` or ``'fixed'``.
        collect_device (str): ``'cpu'`` or ``'gpu'``.
        prefix (str, optional): Defaults to ``'refer'``.
    """

    default_prefix: Optional[str] = 'refer'

    def __init__(self, protocol: str = 'ref_youtube_vos',
                 select: str = 'video',
                 outfile_prefix: Optional[str] = None,
                 format_only: bool = False, bound_th: float = 0.008,
                 decay: str = 'official', collect_device: str = 'cpu',
                 prefix: Optional[str] = 'refer') -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if protocol not in ('ref_youtube_vos', 'ref_davis'):
            raise ValueError("protocol must be 'ref_youtube_vos' or "
                             f"'ref_davis', got {protocol!r}")
        if format_only and outfile_prefix is None:
            raise ValueError('format_only=True needs outfile_prefix')
        if select not in ('video', 'sample'):
            raise ValueError(f"select must be 'video' or 'sample', got "
                             f'{select!r}')
        self.protocol = protocol
        self.select = select
        self.outfile_prefix = outfile_prefix
        self.format_only = format_only
        self.bound_th = bound_th
        self.decay = decay

    def process(self, data_batch: Any, data_samples: Sequence) -> None:
        """Keep per frame the RLEs, scores and ids of the predictions."""
        for sample in data_samples:
            records = []
            for i, frame in enumerate(sample_frames(sample)):
                vid, exp, fid = frame_key(frame, i)
                shape = shape_of(frame)
                masks, scores, pred = pred_masks_scores(frame, shape)
                ids = to_numpy(pred['instances_id']).reshape(-1).tolist() \
                    if 'instances_id' in pred else list(range(len(masks)))
                gt = gt_masks(frame, shape)
                gt_ids = frame.get('gt_sem_seg')
                records.append(dict(
                    video_id=vid, exp_id=exp, frame_id=fid, shape=shape,
                    name=frame_name(dict(frame, frame_id=fid)),
                    preds=encode_masks(masks), scores=scores.tolist(),
                    ids=ids,
                    gt=None if gt is None else merge_rles(gt[0], *shape),
                    gt_ids=None if gt_ids is None else zlib.compress(
                        to_numpy(gt_ids['sem_seg']).reshape(shape).astype(
                            np.uint8).tobytes(), 1),
                    obj_id=frame.get('obj_id'), anno_id=frame.get('anno_id')))
            if self.select == 'sample':
                for frames in _group(records).values():
                    for rec, rle in zip(frames, _referred_rles(frames)):
                        rec.update(ids=[0] if rle else [],
                                   scores=[1.] if rle else [],
                                   preds=[rle] if rle else [])
            self.results.append(records)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        expressions = _group(flatten(results))
        per_exp, davis_objs = {}, {}
        for (vid, exp), frames in expressions.items():
            rles = _referred_rles(frames)  # per frame RLE or None (empty)
            shape = tuple(frames[0]['shape'])
            if self.outfile_prefix is not None:
                write_refer_pngs(
                    {vid: {exp: {f['name']: _decode(r, shape)
                                 for f, r in zip(frames, rles)}}},
                    self.outfile_prefix)
            if self.format_only:
                continue
            if self.protocol == 'ref_davis':
                davis_objs.setdefault(vid, []).append((exp, frames, rles))
                continue
            scored = [t for t, f in enumerate(frames) if f['gt'] is not None]
            if scored:
                gts = np.stack([decode_rle(frames[t]['gt']).astype(bool)
                                for t in scored])
                preds = np.stack([_decode(rles[t], shape) for t in scored])
                per_exp[f'{vid}/{exp}'] = expression_jf(gts, preds,
                                                        self.bound_th)
        if self.outfile_prefix is not None:
            zip_path = zip_refer_submission(self.outfile_prefix)
            logger.info(f'Referring submission written to {zip_path}')
        if self.format_only:
            return {}
        if self.protocol == 'ref_davis':
            return self._ref_davis(davis_objs)
        if not per_exp:
            raise ValueError('ReferJFMetric found no ground-truth mask in any '
                             'frame; use format_only=True for the server')
        summary = refer_jf_summary(per_exp)
        return {k: summary[k] for k in ('J&F', 'J', 'F')}

    def _ref_davis(self, videos: Dict[Any, list]) -> Dict[str, float]:
        per_anno: Dict[int, Dict[str, Tuple[np.ndarray, np.ndarray]]] = {}
        for vid, exps in videos.items():
            exps = sorted(exps, key=lambda e: _exp_order(e[0]))
            by_anno: Dict[int, Dict[int, list]] = {}
            gt_ids = None
            for index, (exp, frames, rles) in enumerate(exps):
                obj, anno = ref_davis_expression(index)
                if frames[0]['obj_id'] is not None:
                    obj = int(frames[0]['obj_id'])
                if frames[0]['anno_id'] is not None:
                    anno = int(frames[0]['anno_id'])
                by_anno.setdefault(anno, {})[obj] = rles
                if frames[0]['gt_ids'] is not None:  # gt_sem_seg ids
                    gt_ids = np.stack([
                        np.frombuffer(zlib.decompress(f['gt_ids']),
                                      np.uint8).reshape(f['shape'])
                        for f in frames
                    ])
                else:
                    gt_ids = _paint_gt(gt_ids, frames, obj)
            if gt_ids is None:
                raise ValueError(f'video {vid}: no ground-truth mask in any '
                                 'frame of any expression (Ref-DAVIS needs '
                                 'the objects\' masks or gt_sem_seg)')
            for anno, objs in by_anno.items():
                pred = np.zeros(gt_ids.shape, np.uint8)  # (T, H, W)
                for obj, rles in objs.items():
                    if len(rles) != len(gt_ids):
                        raise ValueError(
                            f'video {vid}: object {obj} of annotator {anno} '
                            f'has {len(rles)} frames, the ground truth '
                            f'{len(gt_ids)}; every expression of a Ref-DAVIS '
                            'video must cover all its frames')
                for t in range(len(gt_ids)):
                    probs = np.zeros((max(objs), 1) + gt_ids.shape[1:],
                                     np.float32)  # (K, 1, H, W)
                    for obj, rles in objs.items():
                        probs[obj - 1, 0] = _decode(rles[t], gt_ids.shape[1:])
                    pred[t] = combine_annotator_masks(probs)[0]
                per_anno.setdefault(anno, {})[str(vid)] = \
                    evaluate_davis_sequence(gt_ids, pred, 'unsupervised',
                                            name=f'{vid} (anno {anno})')
        summary = ref_davis_average({
            f'anno_{a}': davis_summary(per_anno[a], self.decay)
            for a in sorted(per_anno)
        })
        out = {'J&F': summary['J&F-Mean'], 'J': summary['J-Mean'],
               'F': summary['F-Mean']}
        for name, vals in summary['per_annotator'].items():
            out[f'{name}/J&F'] = vals['J&F-Mean']
        return out


def _exp_order(exp: Any) -> Tuple[int, Any]:
    try:
        return 0, int(exp)
    except (TypeError, ValueError):
        return 1, str(exp)


def _paint_gt(gt_ids: Optional[np.ndarray], frames: List[dict],
              obj: int) -> Optional[np.ndarray]:
    """Add object ``obj``'s ground-truth masks to the (T, H, W) id map."""
    if all(f['gt'] is None for f in frames):
        return gt_ids
    if gt_ids is None:
        gt_ids = np.zeros((len(frames), ) + tuple(frames[0]['shape']),
                          np.uint8)
    for t, f in enumerate(frames):
        if f['gt'] is not None:
            gt_ids[t][decode_rle(f['gt']).astype(bool)] = obj
    return gt_ids


def _group(records: List[dict]) -> Dict[Tuple[Any, Any], List[dict]]:
    """``{(video, exp): frames sorted by frame_id}``, duplicates dropped."""
    groups: Dict[Tuple[Any, Any], Dict[int, dict]] = {}
    for rec in records:
        groups.setdefault((rec['video_id'], rec['exp_id']), {}).setdefault(
            rec['frame_id'], rec)
    out = {}
    for key, frames in groups.items():
        ordered = [frames[f] for f in sorted(frames)]
        shapes = {tuple(f['shape']) for f in ordered}
        if len(shapes) > 1:
            raise ValueError(f'video {key[0]} expression {key[1]}: frames of '
                             f'different sizes {sorted(shapes)}')
        out[key] = ordered
    return out


def _referred_rles(frames: List[dict]) -> List[Optional[dict]]:
    """Per frame the RLE of the instance with the highest mean score (None
    where it is absent)."""
    totals: Dict[Any, List[float]] = {}
    for f in frames:
        for i, s in zip(f['ids'], f['scores']):
            totals.setdefault(i, []).append(s)
    if not totals:
        return [None] * len(frames)
    keys = list(totals)
    best = keys[int(np.argmax([np.mean(totals[k]) for k in keys]))]
    out = []
    for f in frames:
        out.append(next((rle for i, rle in zip(f['ids'], f['preds'])
                         if i == best), None))
    return out


def _decode(rle: Optional[dict], shape: Sequence[int]) -> np.ndarray:
    """(H, W) bool mask of an RLE; all False for None."""
    if rle is None:
        return np.zeros(tuple(shape), bool)
    return decode_rle(rle).astype(bool)
