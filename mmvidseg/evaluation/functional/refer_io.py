# Copyright (c) mmvidseg contributors. All rights reserved.
"""Refer-YouTube-VOS / Ref-DAVIS submission folders and zips.

Ref-DAVIS17 (ReferFormer protocol, ``wjn922/ReferFormer:
inference_davis.py`` + ``scripts/dist_test_davis.sh``): per video and
annotator, the objects' masks are merged into one id map per frame
(:func:`combine_annotator_masks`), each annotator's folder is scored with the
unsupervised DAVIS-2017 evaluation and the numbers are averaged over the four
annotators (:func:`evaluate_ref_davis_folder`).

Submission layout (``mttr2021/MTTR: trainer.py: evaluate_refer_youtube_vos``,
the CodaLab RVOS server): ``Annotations/<video_id>/<exp_id>/<frame>.png``,
single-object uint8 masks with values 0 / 255, one per annotated frame of
``meta_expressions/valid/meta_expressions.json``, zipped with the
``Annotations`` folder at the archive root.
"""
import os
import os.path as osp
import re
import zipfile
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from .refer import expression_jf, refer_jf_summary


def write_refer_pngs(predictions: Dict[str, Dict[str, Dict[
        str, np.ndarray]]], out_dir: str) -> None:
    """Write ``<out_dir>/Annotations/<video>/<exp_id>/<frame>.png``.

    Args:
        predictions (dict): video id -> expression id -> frame name -> (H, W)
            bool mask (0 / 255 uint8 PNGs are written).
        out_dir (str): Output folder.
    """
    for video, exps in predictions.items():
        for exp_id, frames in exps.items():
            folder = osp.join(out_dir, 'Annotations', str(video), str(exp_id))
            os.makedirs(folder, exist_ok=True)
            for frame, mask in frames.items():
                if mask.ndim != 2:
                    raise ValueError(f'video {video} expression {exp_id} '
                                     f'frame {frame}: mask must be (H, W), '
                                     f'got {mask.shape}')
                Image.fromarray(mask.astype(np.uint8) * 255).save(
                    osp.join(folder, f'{frame}.png'))


def zip_refer_submission(out_dir: str, zip_name: Optional[str] = None) -> str:
    """Zip ``<out_dir>/Annotations`` (``Annotations/`` at the archive root,
    as MTTR's ``shutil.make_archive(..., base_dir='Annotations')``).

    Returns:
        str: The zip path (default ``<out_dir>/submission.zip``).
    """
    zip_path = zip_name or osp.join(out_dir, 'submission.zip')
    root = osp.join(out_dir, 'Annotations')
    with zipfile.ZipFile(zip_path, 'w', zipfile.ZIP_DEFLATED) as zf:
        for dirpath, _, files in sorted(os.walk(root)):
            for name in sorted(files):
                path = osp.join(dirpath, name)
                zf.write(path, osp.relpath(path, out_dir))
    return zip_path


def write_refer_submission(predictions: Dict[str, Dict[str, Dict[
        str, np.ndarray]]], out_dir: str, zip_name: Optional[str] = None
                           ) -> str:
    """Write ``<out_dir>/Annotations/...`` PNGs and a zip of them.

    Args:
        predictions (dict): video id -> expression id -> frame name -> (H, W)
            bool mask.
        out_dir (str): Output folder.
        zip_name (str, optional): Zip path; default
            ``<out_dir>/submission.zip``.

    Returns:
        str: The zip path (``Annotations/`` at its root).
    """
    write_refer_pngs(predictions, out_dir)
    return zip_refer_submission(out_dir, zip_name)


def _read_binary(path: str) -> np.ndarray:
    with Image.open(path) as img:
        arr = np.array(img)
    if arr.ndim == 3:
        raise ValueError(f'{path}: expected a single-channel 0/255 mask PNG, '
                         f'got {arr.shape[2]} channels')
    return arr > 0


def evaluate_refer_folder(gt_root: str, pred_root: str,
                          videos: Optional[Sequence[str]] = None,
                          bound_th: float = 0.008) -> Dict:
    """J&F of ``<pred_root>/<video>/<exp_id>/<frame>.png`` against the same
    layout under ``gt_root`` (an ``Annotations`` folder).

    Every ground-truth frame must have a prediction of the same size (the
    error names the file); extra predicted frames are ignored.
    """
    per_exp = {}
    for video in sorted(videos or os.listdir(gt_root)):
        vdir = osp.join(gt_root, video)
        if not osp.isdir(vdir):
            continue
        for exp_id in sorted(os.listdir(vdir)):
            frames = sorted(f for f in os.listdir(osp.join(vdir, exp_id))
                            if f.endswith('.png'))
            gts, preds = [], []
            for name in frames:
                gts.append(_read_binary(osp.join(vdir, exp_id, name)))
                path = osp.join(pred_root, video, exp_id, name)
                if not osp.isfile(path):
                    raise FileNotFoundError(
                        f'{path} is missing: one PNG per annotated frame of '
                        f'expression {exp_id} of video {video} is needed.')
                pred = _read_binary(path)
                if pred.shape != gts[-1].shape:
                    raise ValueError(f'{path} has size {pred.shape}, the '
                                     f'ground truth {gts[-1].shape}')
                preds.append(pred)
            if gts:
                per_exp[f'{video}/{exp_id}'] = expression_jf(
                    np.stack(gts), np.stack(preds), bound_th)
    return refer_jf_summary(per_exp)


# ----------------------------------------------------------------------------
# Ref-DAVIS17 (ReferFormer protocol)
# ----------------------------------------------------------------------------
REF_DAVIS_KEYS = ('J&F-Mean', 'J-Mean', 'J-Recall', 'J-Decay', 'F-Mean',
                  'F-Recall', 'F-Decay')


def ref_davis_expression(exp_index: int) -> Tuple[int, int]:
    """(object id 1..K, annotator 0..3) of the ``exp_index``-th expression of
    a video: ReferFormer (``inference_davis.py``) orders the expressions
    object by object, the four annotators' ones together
    (``i = obj * 4 + anno``)."""
    return exp_index // 4 + 1, exp_index % 4


def combine_annotator_masks(probs: np.ndarray, threshold: float = 0.5,
                            background: float = 0.1) -> np.ndarray:
    """One annotator's object masks -> one id map per frame (ReferFormer).

    ``inference_davis.py``: probabilities below ``threshold`` become 0, a
    background plane of ``background`` is put first and the arg-max (first
    maximum on ties) gives the object id (0 = background).

    Args:
        probs (np.ndarray): (K, T, H, W) mask probabilities (or 0 / 1 masks)
            of objects 1..K.

    Returns:
        np.ndarray: (T, H, W) uint8 object ids.
    """
    probs = np.asarray(probs, dtype=np.float32)
    if probs.ndim != 4:
        raise ValueError('probs must be (K, T, H, W), got shape '
                         f'{probs.shape}')
    if len(probs) > 255:
        raise ValueError(f'{len(probs)} objects do not fit uint8 ids')
    probs = np.where(probs < threshold, np.float32(0), probs)
    planes = np.concatenate(
        [np.full((1, ) + probs.shape[1:], background, np.float32), probs])
    return planes.argmax(0).astype(np.uint8)  # (T, H, W)


def ref_davis_average(per_annotator: Dict[str, Dict]) -> Dict:
    """Mean of the DAVIS numbers over the annotators.

    Ref-DAVIS17 papers (ReferFormer ``scripts/dist_test_davis.sh`` scores
    ``anno_0`` ... ``anno_3`` separately with the unsupervised DAVIS-2017
    evaluation) report the average over the four annotators.

    Args:
        per_annotator (dict): annotator name -> ``davis_summary`` output.

    Returns:
        dict: the seven DAVIS numbers averaged, plus ``per_annotator``
        (without per-object entries).
    """
    if not per_annotator:
        raise ValueError('no annotator results to average')
    out: Dict = {
        key: float(np.mean([r[key] for r in per_annotator.values()]))
        for key in REF_DAVIS_KEYS
    }
    out['per_annotator'] = {
        name: {k: float(r[k]) for k in REF_DAVIS_KEYS}
        for name, r in per_annotator.items()
    }
    return out


def evaluate_ref_davis_folder(davis_root: str, pred_root: str,
                              subset: str = 'val',
                              resolution: str = '480p',
                              sequences: Optional[Sequence[str]] = None,
                              decay: str = 'official') -> Dict:
    """Ref-DAVIS17 J&F of ``<pred_root>/anno_<k>/<seq>/<frame>.png``.

    Each ``anno_<k>`` folder (one per annotator, as ReferFormer writes them)
    holds palette PNGs of object ids and is scored with the *unsupervised*
    DAVIS-2017 evaluation against ``<davis_root>/Annotations_unsupervised``
    (all frames, Hungarian matching of ids); the numbers are averaged over
    the annotators (:func:`ref_davis_average`).
    """
    from .davis_io import evaluate_davis_folder
    if not osp.isdir(pred_root):
        raise FileNotFoundError(f'{pred_root} is not a folder')
    names = sorted(d for d in os.listdir(pred_root)
                   if re.fullmatch(r'anno_\d+', d)
                   and osp.isdir(osp.join(pred_root, d)))
    if not names:
        raise FileNotFoundError(
            f'{pred_root} has no anno_<k> folders: Ref-DAVIS results need one '
            'folder per annotator (anno_0 ... anno_3), each with '
            '<sequence>/<frame>.png id maps')
    per = {
        name: evaluate_davis_folder(davis_root, osp.join(pred_root, name),
                                    task='unsupervised', subset=subset,
                                    resolution=resolution,
                                    sequences=sequences, decay=decay)
        for name in names
    }
    return ref_davis_average(per)
