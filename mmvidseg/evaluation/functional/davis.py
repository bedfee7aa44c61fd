# Copyright (c) mmvidseg contributors. All rights reserved.
"""DAVIS 2017 J&F (semi-supervised and unsupervised), exact and fast.

Re-implements ``davisvideochallenge/davis2017-evaluation``:
``davis2017/metrics.py`` (``db_eval_iou``, ``db_eval_boundary``,
``f_measure``, ``_seg2bmap``), ``davis2017/utils.py`` (``db_statistics``) and
``davis2017/evaluation.py`` (``DAVISEvaluation``).

Definitions (identical to the official code):

* **J** per object and frame: IoU of the object masks, void pixels (label
  255) excluded in the unsupervised task (the semi-supervised task passes no
  void mask: void is background there); an empty union gives 1.
* **F**: boundary F-measure. Boundaries by ``_seg2bmap`` (a pixel differs
  from its right, lower or lower-right neighbour; special rules on the last
  row / column), matched within a disk of radius
  ``ceil(0.008 * ||(H, W)||)`` px (``cv2.dilate``); P = matched predicted
  boundary / predicted boundary, R likewise; empty boundaries give
  P / R = 1 / 0 as upstream; F = 2PR / (P + R), 0 if P + R = 0.
* Per object: Mean (``nanmean``), Recall (fraction of frames > 0.5), Decay
  (mean of the first quarter minus mean of the last, 4 bins with edges
  ``round(linspace(1, T, 5)) - 1`` **cast to uint8**: they wrap for sequences
  longer than 255 frames. ``decay='fixed'`` keeps integer edges; the default
  ``'official'`` reproduces the wrap).
* The number of objects of a sequence is the largest id in the first
  ground-truth frame; higher ids later are background.
* Semi-supervised: the first and last frames are not scored; a predicted id
  above the number of objects is an error (upstream exits).
* Unsupervised: every frame is scored; at most ``max_proposals`` (20)
  predicted ids; missing proposals are empty masks; each ground-truth object
  gets a proposal by ``linear_sum_assignment`` on ``-(mean J + mean F) / 2``
  and, as upstream, the matched pairs are listed in proposal order (the
  per-object names ``<seq>_<k>`` follow that order).
* J&F = (mean over all objects of J-Mean + mean of F-Mean) / 2.

Not official, opt-in (``objects_from='first_appearance'``, semi-supervised
only): objects may enter after the first frame, as in YouTube-VOS and in the
embedded toy DAVIS data. Every id of any ground-truth frame is an object, its
exemplar is its first frame with pixels, and it is scored on the frames after
that one, the last frame excluded as above. An object present in the first
frame gets exactly the official rows, so on a sequence whose objects are all
in its first frame both settings agree bit for bit; an object first seen in
the last or second-to-last frame has no frame to score and no row.

Speed: upstream dilates two full frames per object, frame and proposal.
Here J comes for all (object, proposal) pairs from one joint histogram per
frame, and each object's boundary and dilated boundary are computed once per
frame inside its bounding box (which holds every boundary pixel; the
official last-row / last-column rules are applied where the box touches the
image border), so the numbers are bitwise the official ones.
"""
import warnings
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

VOID = 255


def disk(radius: float) -> np.ndarray:
    """``skimage.morphology.disk``: (2r+1, 2r+1) uint8, x^2 + y^2 <= r^2."""
    grid = np.arange(-radius, radius + 1)
    xx, yy = np.meshgrid(grid, grid)
    return (xx**2 + yy**2 <= radius**2).astype(np.uint8)


def bound_pixels(shape: Tuple[int, int], bound_th: float = 0.008) -> float:
    """Upstream boundary tolerance in pixels (``bound_pix``)."""
    return bound_th if bound_th >= 1 else \
        np.ceil(bound_th * np.linalg.norm(shape))


class _Boundary:
    """Boundary map of one object in one frame, inside its bounding box.

    Attributes:
        y0, x0 (int): Offset of ``bmap`` in the frame.
        bmap (np.ndarray): (h, w) bool boundary pixels.
        num (int): Number of boundary pixels.
        dil (np.ndarray): (h + 2r, w + 2r) uint8 dilated boundary, offset
            ``(y0 - r, x0 - r)``.
    """

    __slots__ = ('y0', 'x0', 'bmap', 'num', 'dil', 'r')

    def __init__(self, labels: np.ndarray, label: int,
                 box: Optional[Tuple[int, int, int, int]],
                 kernel: np.ndarray) -> None:
        r = kernel.shape[0] // 2
        self.r = r
        height, width = labels.shape
        if box is None:
            self.y0 = self.x0 = self.num = 0
            self.bmap = np.zeros((0, 0), bool)
            self.dil = np.zeros((0, 0), np.uint8)
            return
        ya, yb = max(box[0] - 1, 0), min(box[1] + 2, height)
        xa, xb = max(box[2] - 1, 0), min(box[3] + 2, width)
        seg = labels[ya:yb, xa:xb] == label
        self.y0, self.x0 = ya, xa
        self.bmap = _seg2bmap_window(seg, yb == height, xb == width)
        self.num = int(np.count_nonzero(self.bmap))
        padded = np.zeros((yb - ya + 2 * r, xb - xa + 2 * r), np.uint8)
        padded[r:r + yb - ya, r:r + xb - xa] = self.bmap
        self.dil = cv2.dilate(padded, kernel) if self.num else padded

    def matched(self, other: '_Boundary') -> int:
        """Boundary pixels of ``self`` within the tolerance of ``other``."""
        if self.num == 0 or other.num == 0:
            return 0
        h, w = self.bmap.shape
        oy, ox = other.y0 - other.r, other.x0 - other.r
        oh, ow = other.dil.shape
        ya, yb = max(self.y0, oy), min(self.y0 + h, oy + oh)
        xa, xb = max(self.x0, ox), min(self.x0 + w, ox + ow)
        if ya >= yb or xa >= xb:
            return 0
        mine = self.bmap[ya - self.y0:yb - self.y0, xa - self.x0:xb - self.x0]
        theirs = other.dil[ya - oy:yb - oy, xa - ox:xb - ox]
        return int(np.count_nonzero(mine & (theirs > 0)))


def _seg2bmap_window(seg: np.ndarray, at_bottom: bool,
                     at_right: bool) -> np.ndarray:
    """Upstream ``_seg2bmap`` on a window whose outside is background.

    Args:
        seg (np.ndarray): (h, w) bool window.
        at_bottom (bool): Its last row is the frame's last row.
        at_right (bool): Its last column is the frame's last column.
    """
    east = np.zeros_like(seg)
    south = np.zeros_like(seg)
    south_east = np.zeros_like(seg)
    east[:, :-1] = seg[:, 1:]
    south[:-1, :] = seg[1:, :]
    south_east[:-1, :-1] = seg[1:, 1:]
    bmap = (seg ^ east) | (seg ^ south) | (seg ^ south_east)
    if at_bottom:
        bmap[-1, :] = seg[-1, :] ^ east[-1, :]
    if at_right:
        bmap[:, -1] = seg[:, -1] ^ south[:, -1]
    if at_bottom and at_right:
        bmap[-1, -1] = 0
    return bmap


def _boxes(labels: np.ndarray, num: int,
           origin: Tuple[int, int] = (0, 0)) -> List[Optional[Tuple]]:
    """Bounding boxes (y0, y1, x0, x1 inclusive, shifted by ``origin``) of
    labels 1..num, or None for an absent label."""
    out: List[Optional[Tuple]] = []
    for k in range(1, num + 1):
        mask = labels == k
        ys = np.flatnonzero(mask.any(1))
        if ys.size == 0:
            out.append(None)
            continue
        xs = np.flatnonzero(mask.any(0))
        out.append((int(ys[0]) + origin[0], int(ys[-1]) + origin[0],
                    int(xs[0]) + origin[1], int(xs[-1]) + origin[1]))
    return out


def _f_value(n_fg: int, n_gt: int, fg_match: int, gt_match: int) -> float:
    """Upstream ``f_measure`` from boundary counts."""
    if n_fg == 0 and n_gt > 0:
        precision, recall = 1, 0
    elif n_fg > 0 and n_gt == 0:
        precision, recall = 0, 1
    elif n_fg == 0 and n_gt == 0:
        precision, recall = 1, 1
    else:
        precision = fg_match / float(n_fg)
        recall = gt_match / float(n_gt)
    if precision + recall == 0:
        return 0
    return 2 * precision * recall / (precision + recall)


def frame_jf(gt: np.ndarray, pred: np.ndarray, num_gt: int, num_pred: int,
             void: Optional[np.ndarray], kernel: np.ndarray,
             pairs: Optional[List[Tuple[int, int]]] = None
             ) -> Tuple[np.ndarray, np.ndarray]:
    """J and F of (ground-truth object, predicted id) pairs in one frame.

    Args:
        gt (np.ndarray): (H, W) int labels 0..num_gt (void already 0).
        pred (np.ndarray): (H, W) int labels 0..num_pred.
        num_gt (int): Ground-truth objects.
        num_pred (int): Predicted ids (proposals).
        void (np.ndarray, optional): (H, W) bool pixels to ignore.
        kernel (np.ndarray): Dilation disk.
        pairs (list[tuple[int, int]], optional): 1-based (gt, pred) pairs to
            score; default all.

    Returns:
        tuple[np.ndarray, np.ndarray]: (num_gt, num_pred) J and F (NaN for
        pairs not scored).
    """
    if void is not None:
        gt = np.where(void, 0, gt)
        pred = np.where(void, 0, pred)
    # everything below happens inside the box holding both foregrounds
    fg = (gt != 0) | (pred != 0)
    ys, xs = np.flatnonzero(fg.any(1)), np.flatnonzero(fg.any(0))
    if ys.size:
        y0, y1, x0, x1 = ys[0], ys[-1] + 1, xs[0], xs[-1] + 1
    else:
        y0 = y1 = x0 = x1 = 0
    gt_c, pred_c = gt[y0:y1, x0:x1], pred[y0:y1, x0:x1]
    hist = np.bincount(
        (gt_c.astype(np.int64) * (num_pred + 1) + pred_c).ravel(),
        minlength=(num_gt + 1) * (num_pred + 1)).reshape(
            num_gt + 1, num_pred + 1)  # (G + 1, P + 1), [0, 0] is partial
    inter = hist[1:, 1:]  # (G, P)
    union = hist[1:].sum(1)[:, None] + hist[:, 1:].sum(0)[None, :] - inter
    with np.errstate(divide='ignore', invalid='ignore'):
        jac = inter / union
    jac[np.isclose(union, 0)] = 1
    gt_b = [_Boundary(gt, k, box, kernel)
            for k, box in enumerate(_boxes(gt_c, num_gt, (y0, x0)), 1)]
    pr_b = [_Boundary(pred, k, box, kernel)
            for k, box in enumerate(_boxes(pred_c, num_pred, (y0, x0)), 1)]
    if pairs is None:
        pairs = [(g, p) for g in range(1, num_gt + 1)
                 for p in range(1, num_pred + 1)]
    f_val = np.full((num_gt, num_pred), np.nan)
    j_val = np.full((num_gt, num_pred), np.nan)
    for g, p in pairs:
        fg, gb = pr_b[p - 1], gt_b[g - 1]
        f_val[g - 1, p - 1] = _f_value(fg.num, gb.num, fg.matched(gb),
                                       gb.matched(fg))
        j_val[g - 1, p - 1] = jac[g - 1, p - 1]
    return j_val, f_val


def db_statistics(values: np.ndarray,
                  decay: str = 'official') -> Tuple[float, float, float]:
    """Mean, recall and decay of per-frame values (upstream ``utils``).

    Args:
        values (np.ndarray): (T,) per-frame J or F.
        decay (str): ``'official'`` casts the bin edges to uint8 (wraps past
            255 frames, as upstream); ``'fixed'`` keeps them as integers.
    """
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', category=RuntimeWarning)
        mean = np.nanmean(values)
        recall = np.nanmean(values > 0.5)
        ids = np.round(np.linspace(1, len(values), 4 + 1) + 1e-10) - 1
        ids = ids.astype(np.uint8 if decay == 'official' else np.int64)
        bins = [values[ids[i]:ids[i + 1] + 1] for i in range(0, 4)]
        dec = np.nanmean(bins[0]) - np.nanmean(bins[3])
    return mean, recall, dec


def _split_void(gt: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    void = gt == VOID
    return np.where(void, 0, gt), void


def evaluate_davis_sequence(gt: np.ndarray, pred: np.ndarray,
                            task: str = 'semi-supervised',
                            max_proposals: int = 20,
                            bound_th: float = 0.008,
                            name: str = 'sequence',
                            objects_from: str = 'first_frame'
                            ) -> Tuple[np.ndarray, np.ndarray]:
    """Per-object per-frame J and F of one sequence, as upstream.

    Args:
        gt (np.ndarray): (T, H, W) ground-truth ids (0 background, 255 void),
            every frame of the sequence.
        pred (np.ndarray): (T, H, W) predicted ids for the same frames (the
            first and last are ignored for the semi-supervised task).
        task (str): ``'semi-supervised'`` or ``'unsupervised'``.
        max_proposals (int): Unsupervised proposal limit. Defaults to 20.
        bound_th (float): Boundary tolerance (fraction of the diagonal, or
            pixels if >= 1). Defaults to 0.008.
        name (str): Sequence name for error messages.
        objects_from (str): ``'first_frame'`` (official: the objects of the
            first frame) or ``'first_appearance'`` (semi-supervised only, not
            official: every object, scored after its first frame with pixels;
            module docstring).

    Returns:
        tuple[np.ndarray, np.ndarray]: J and F, each (num_objects, T') with
        T' = T - 2 (semi-supervised) or T, rows in upstream order. With
        ``'first_appearance'``: one row per object with a frame to score,
        in id order, NaN on the frames up to its first appearance
        (:func:`davis_summary` drops them).
    """
    if gt.shape != pred.shape:
        raise ValueError(f'sequence {name}: predictions have shape '
                         f'{pred.shape} (frames, H, W), the ground truth '
                         f'{gt.shape}.')
    if objects_from not in ('first_frame', 'first_appearance'):
        raise ValueError("objects_from must be 'first_frame' or "
                         f"'first_appearance', got {objects_from!r}")
    if objects_from == 'first_appearance':
        if task != 'semi-supervised':
            raise ValueError(
                "objects_from='first_appearance' is a semi-supervised "
                'protocol; the unsupervised task scores every object '
                f'already (got {task!r})')
        return _from_first_appearance(gt, pred, bound_th, name)
    first, _ = _split_void(gt[0])
    num_gt = int(first.max())
    if task == 'semi-supervised':
        gt, pred = gt[1:-1], pred[1:-1]
    elif task != 'unsupervised':
        raise ValueError(f"task must be 'semi-supervised' or 'unsupervised', "
                         f'got {task!r}')
    num_pred = int(pred.max()) if pred.size else 0
    if task == 'semi-supervised' and num_pred > num_gt:
        raise ValueError(
            f'sequence {name}: predicted id {num_pred} is higher than the '
            f'number of objects ({num_gt}, from the first annotated frame); '
            'the official evaluation exits on this.')
    if task == 'unsupervised' and num_pred > max_proposals:
        raise ValueError(
            f'sequence {name}: predicted id {num_pred} exceeds the maximum '
            f'number of proposals ({max_proposals}); the official evaluation '
            'exits on this.')
    num_res = max(num_pred, num_gt)
    kernel = disk(bound_pixels(gt.shape[1:], bound_th))
    num_frames = gt.shape[0]
    j_all = np.zeros((num_res, num_gt, num_frames))  # (P, G, T)
    f_all = np.zeros((num_res, num_gt, num_frames))  # (P, G, T)
    semi = task == 'semi-supervised'
    pairs = [(k, k) for k in range(1, num_gt + 1)] if semi else None
    for t in range(num_frames):
        labels, void = _split_void(gt[t])
        labels = np.where(labels > num_gt, 0, labels)
        j_val, f_val = frame_jf(labels, pred[t], num_gt, num_res,
                                None if semi else void, kernel, pairs)
        j_all[:, :, t] = j_val.T
        f_all[:, :, t] = f_val.T
    if semi:
        idx = np.arange(num_gt)
        return j_all[idx, idx], f_all[idx, idx]
    score = (np.mean(j_all, axis=2) + np.mean(f_all, axis=2)) / 2
    rows, cols = linear_sum_assignment(-score)
    return j_all[rows, cols], f_all[rows, cols]


def _from_first_appearance(gt: np.ndarray, pred: np.ndarray,
                           bound_th: float,
                           name: str) -> Tuple[np.ndarray, np.ndarray]:
    """Semi-supervised J / F with objects scored after their first frame.

    Returns:
        tuple[np.ndarray, np.ndarray]: (K', T - 2) J and F of the K' objects
        with at least one scored frame, NaN on the frames up to each
        object's first appearance.
    """
    labels_all = np.where(gt == VOID, 0, gt)
    num_gt = int(labels_all.max()) if labels_all.size else 0
    num_frames = gt.shape[0] - 2
    present = np.stack([(labels_all == k).reshape(len(gt), -1).any(1)
                        for k in range(1, num_gt + 1)]) if num_gt else \
        np.zeros((0, len(gt)), bool)  # (K, T)
    first = np.where(present.any(1), present.argmax(1), len(gt))  # (K, )
    pred = pred[1:-1]
    num_pred = int(pred.max()) if pred.size else 0
    if num_pred > num_gt:
        raise ValueError(
            f'sequence {name}: predicted id {num_pred} is higher than the '
            f'number of objects ({num_gt}, over all annotated frames)')
    kernel = disk(bound_pixels(gt.shape[1:], bound_th))
    pairs = [(k, k) for k in range(1, num_gt + 1)]
    j_all = np.full((num_gt, num_frames), np.nan)  # (K, T - 2)
    f_all = np.full((num_gt, num_frames), np.nan)  # (K, T - 2)
    for t in range(num_frames):
        j_val, f_val = frame_jf(labels_all[t + 1], pred[t], num_gt,
                                num_gt, None, kernel, pairs)
        idx = np.arange(num_gt)
        j_all[:, t], f_all[:, t] = j_val[idx, idx], f_val[idx, idx]
    # frame t + 1 of the video is scored for object k when t + 1 > first[k]
    scored = np.arange(1, num_frames + 1)[None] > first[:, None]  # (K, T-2)
    j_all[~scored] = np.nan
    f_all[~scored] = np.nan
    keep = scored.any(1)
    return j_all[keep], f_all[keep]


def davis_summary(per_sequence: Dict[str, Tuple[np.ndarray, np.ndarray]],
                  decay: str = 'official') -> Dict:
    """Global DAVIS numbers from per-sequence J / F (upstream
    ``evaluation_method.py``).

    Args:
        per_sequence (dict): Sequence name -> (J, F), each (objects, T').
        decay (str): ``'official'`` (uint8 bin edges) or ``'fixed'``.

    Returns:
        dict: ``J&F-Mean``, ``J-Mean``, ``J-Recall``, ``J-Decay``,
        ``F-Mean``, ``F-Recall``, ``F-Decay`` and ``per_object``:
        ``{<seq>_<k>: {J-Mean, F-Mean, ...}}``.
    """
    stats = {'J': ([], [], []), 'F': ([], [], [])}
    per_object: Dict[str, Dict[str, float]] = {}
    for seq, (j_seq, f_seq) in per_sequence.items():
        for k in range(j_seq.shape[0]):
            entry = per_object.setdefault(f'{seq}_{k + 1}', {})
            for key, values in (('J', j_seq[k]), ('F', f_seq[k])):
                # NaN = a frame before the object's first appearance
                # (objects_from='first_appearance'); official rows have none
                # (J of an empty union is 1, F is always defined)
                values = values[~np.isnan(values)]
                mean, recall, dec = db_statistics(values, decay)
                for lst, val in zip(stats[key], (mean, recall, dec)):
                    lst.append(val)
                entry.update({f'{key}-Mean': float(mean),
                              f'{key}-Recall': float(recall),
                              f'{key}-Decay': float(dec)})
    out: Dict = {}
    j_mean = float(np.mean(stats['J'][0]))
    f_mean = float(np.mean(stats['F'][0]))
    out['J&F-Mean'] = (np.mean(stats['J'][0]) + np.mean(stats['F'][0])) / 2.
    out['J&F-Mean'] = float(out['J&F-Mean'])
    for key in ('J', 'F'):
        out[f'{key}-Mean'] = j_mean if key == 'J' else f_mean
        out[f'{key}-Recall'] = float(np.mean(stats[key][1]))
        out[f'{key}-Decay'] = float(np.mean(stats[key][2]))
    out['per_object'] = per_object
    return out
