# Copyright (c) mmvidseg contributors. All rights reserved.
"""Read DAVIS ground truth / results folders, write palette PNGs and zips.

Layouts (``davisvideochallenge/davis2017-evaluation: davis2017/davis.py``,
``davis2017/results.py``):

* ground truth: ``<root>/Annotations/<resolution>/<seq>/<frame>.png``
  (semi-supervised) or ``<root>/Annotations_unsupervised/<resolution>/...``,
  sequence lists ``<root>/ImageSets/2017/<set>.txt`` (``2019`` for the
  unsupervised test-dev / test-challenge);
* results: ``<results>/<seq>/<frame>.png``, indexed (palette) PNGs whose
  values are object ids, one per ground-truth frame (the semi-supervised
  task does not read the first and last frames).
"""
import os
import os.path as osp
import zipfile
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from .davis import davis_summary, evaluate_davis_sequence


def davis_palette() -> List[int]:
    """The PASCAL VOC / DAVIS colour map, flat (768,) for ``putpalette``."""
    palette = np.zeros((256, 3), dtype=np.uint8)
    for i in range(256):
        c, r, g, b = i, 0, 0, 0
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        palette[i] = (r, g, b)
    return palette.ravel().tolist()


def write_davis_png(path: str, labels: np.ndarray) -> None:
    """Write (H, W) object ids as an indexed PNG with the DAVIS palette."""
    if labels.ndim != 2 or labels.min() < 0 or labels.max() > 255:
        raise ValueError(f'{path}: labels must be (H, W) ids in 0..255, got '
                         f'shape {labels.shape}')
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    img = Image.fromarray(labels.astype(np.uint8), mode='P')
    img.putpalette(davis_palette())
    img.save(path)


def read_png_ids(path: str) -> np.ndarray:
    """Ids of an indexed (or grayscale) PNG as (H, W) uint8."""
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'{path} not found: results need one indexed PNG per frame, '
            'named like the ground-truth frame, in a folder per sequence.')
    with Image.open(path) as img:
        if img.mode not in ('P', 'L', '1'):
            raise ValueError(f'{path} is a {img.mode} image; DAVIS results '
                             'must be indexed (palette) PNGs of object ids.')
        return np.array(img).astype(np.uint8)


def list_sequences(root: str, subset: str, task: str) -> List[str]:
    """Sequence names of ``ImageSets/<year>/<subset>.txt``."""
    year = '2019' if task == 'unsupervised' and subset in (
        'test-dev', 'test-challenge') else '2017'
    path = osp.join(root, 'ImageSets', year, f'{subset}.txt')
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path} not found: --gt must be the DAVIS '
                                'root holding ImageSets/ and Annotations/.')
    with open(path) as f:
        return [line.strip() for line in f if line.strip()]


def read_sequence(ann_dir: str) -> Tuple[List[str], np.ndarray]:
    """Frame ids and (T, H, W) uint8 ids of one ground-truth sequence."""
    names = sorted(f for f in os.listdir(ann_dir) if f.endswith('.png'))
    if not names:
        raise FileNotFoundError(f'no PNG annotations in {ann_dir}')
    frames = [read_png_ids(osp.join(ann_dir, n)) for n in names]
    return [osp.splitext(n)[0] for n in names], np.stack(frames)


def evaluate_davis_folder(root: str,
                          results: str,
                          task: str = 'semi-supervised',
                          subset: str = 'val',
                          resolution: str = '480p',
                          sequences: Optional[Sequence[str]] = None,
                          decay: str = 'official',
                          max_proposals: int = 20) -> Dict:
    """Score a results folder against the DAVIS ground truth.

    Args:
        root (str): DAVIS root (``Annotations``, ``ImageSets``).
        results (str): Folder with ``<seq>/<frame>.png``.
        task (str): ``'semi-supervised'`` or ``'unsupervised'``.
        subset (str): ``val``, ``test-dev`` ... (``ImageSets`` file).
        resolution (str): ``480p`` or ``Full-Resolution``.
        sequences (Sequence[str], optional): Only these sequences.
        decay (str): ``'official'`` (uint8 wrap) or ``'fixed'``.
        max_proposals (int): Unsupervised proposal limit.

    Returns:
        dict: See :func:`mmvidseg.evaluation.functional.davis.davis_summary`.
    """
    folder = 'Annotations' if task == 'semi-supervised' else \
        'Annotations_unsupervised'
    names = list(sequences) if sequences else list_sequences(
        root, subset, task)
    per_seq = {}
    for seq in names:
        frame_ids, gt = read_sequence(osp.join(root, folder, resolution, seq))
        pred = np.zeros_like(gt)
        scored = range(1, len(frame_ids) - 1) if task == 'semi-supervised' \
            else range(len(frame_ids))
        for t in scored:
            path = osp.join(results, seq, f'{frame_ids[t]}.png')
            frame = read_png_ids(path)
            if frame.shape != gt.shape[1:]:
                raise ValueError(f'{path} is {frame.shape[1]}x'
                                 f'{frame.shape[0]}, the ground truth '
                                 f'{gt.shape[2]}x{gt.shape[1]} ({resolution})')
            pred[t] = frame
        per_seq[seq] = evaluate_davis_sequence(
            gt, pred, task, max_proposals=max_proposals, name=seq)
    return davis_summary(per_seq, decay)


def zip_davis_results(results: str, zip_path: str) -> str:
    """Zip ``<results>/<seq>/<frame>.png`` for the CodaLab server (sequence
    folders at the archive root)."""
    with zipfile.ZipFile(zip_path, 'w', zipfile.ZIP_DEFLATED) as zf:
        for seq in sorted(os.listdir(results)):
            seq_dir = osp.join(results, seq)
            if not osp.isdir(seq_dir):
                continue
            for name in sorted(os.listdir(seq_dir)):
                if name.endswith('.png'):
                    zf.write(osp.join(seq_dir, name), f'{seq}/{name}')
    return zip_path
