# Copyright (c) mmvidseg contributors. All rights reserved.
"""Refer-YouTube-VOS / Ref-DAVIS submission folders and zips.

Submission layout (``mttr2021/MTTR: trainer.py: evaluate_refer_youtube_vos``,
the CodaLab RVOS server): ``Annotations/<video_id>/<exp_id>/<frame>.png``,
single-object uint8 masks with values 0 / 255, one per annotated frame of
``meta_expressions/valid/meta_expressions.json``, zipped with the
``Annotations`` folder at the archive root.
"""
import os
import os.path as osp
import zipfile
from typing import Dict, Optional, Sequence

import numpy as np
from PIL import Image

from .refer import expression_jf, refer_jf_summary


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
    zip_path = zip_name or osp.join(out_dir, 'submission.zip')
    root = osp.join(out_dir, 'Annotations')
    with zipfile.ZipFile(zip_path, 'w', zipfile.ZIP_DEFLATED) as zf:
        for dirpath, _, files in sorted(os.walk(root)):
            for name in sorted(files):
                path = osp.join(dirpath, name)
                zf.write(path, osp.relpath(path, out_dir))
    return zip_path


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
