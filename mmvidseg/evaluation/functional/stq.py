# Copyright (c) mmvidseg contributors. All rights reserved.
"""Segmentation and Tracking Quality (STQ), pure numpy."""
import warnings
from collections import OrderedDict
from typing import Dict, Hashable, List, Sequence

import numpy as np

_EPSILON = 1e-15


def _stq_kernel():
    """``mmvidseg.ops._ext`` if it was built with ``stq_frame_statistics``,
    else None (then everything runs in numpy)."""
    try:
        from mmvidseg.ops.ext_loader import get_ext
    except ImportError:  # pragma: no cover - torch missing
        return None
    ext = get_ext()
    return ext if hasattr(ext, 'stq_frame_statistics') else None


class STQuality:
    """Accumulates STQ = sqrt(AQ * SQ) over frames of one or more sequences.

    Re-implements ``STQuality`` of "STEP: Segmenting and Tracking Every
    Pixel" (Weber et al., NeurIPS 2021 datasets track), official file
    ``google-research/deeplab2: evaluation/numpy/
    segmentation_and_tracking_quality.py``. Panoptic labels are
    ``(semantic << label_bit_shift) + instance``.

    * SQ (``IoU``): mean class IoU of a semantic confusion matrix summed
      over all frames; GT rows of ``ignore_label`` are dropped; classes
      with zero union are not counted. As upstream, when ``ignore_label >=
      num_classes`` it is mapped to an extra column ``num_classes``; the
      predicted-void column then counts as a class with IoU 0 whenever a
      valid GT pixel is predicted as void (parity quirk, kept).
    * AQ: ``1/|G| sum_g 1/|g| sum_p TPA(p,g) IoU(p,g)`` over thing tubes of
      each sequence; crowd pixels (thing class, instance 0) are removed
      from GT and prediction.

    Deliberate deviations: areas are accumulated as exact int64 counts and
    AQ is computed in float64 (upstream accumulates float32 counts, which
    under NumPy >= 2 keeps the whole AQ sum in float32 and loses precision
    beyond 2**24 pixels per tube); per-pixel ``weights`` are not supported;
    the computation is vectorised per frame (one ``bincount`` of the raw
    uint8 (GT, prediction) class pairs for the confusion matrix, byte views
    instead of shifts for 16-bit-shifted labels, ``np.unique`` of the thing
    pixels only), giving the same sums in a different order (differences
    ~1e-15). Where ``mmvidseg.ops._ext`` is built, uint8 semantic maps go
    through its C++ kernel ``stq_frame_statistics`` (two passes over the
    pixels, no sort; exactly the same per-frame arrays, tested).
    :meth:`frame_statistics` returns small per-frame statistics that
    :meth:`add_statistics` accumulates (used by the mmengine adapter and the
    parallel offline reader).

    Args:
        num_classes: number of semantic classes.
        things_list: class ids that carry track ids.
        ignore_label: void class id.
        label_bit_shift: bits the class is shifted in the panoptic label.
        offset: > ``num_classes << label_bit_shift``; combines GT and
            prediction ids into one key.
    """

    def __init__(self, num_classes: int, things_list: Sequence[int],
                 ignore_label: int, label_bit_shift: int,
                 offset: int) -> None:
        self.num_classes = int(num_classes)
        self.things_list = [int(c) for c in things_list]
        self.ignore_label = int(ignore_label)
        self.label_bit_shift = int(label_bit_shift)
        self.bit_mask = (1 << self.label_bit_shift) - 1
        self.offset = int(offset)
        lower_bound = self.num_classes << self.label_bit_shift
        if self.offset < lower_bound:
            raise ValueError(
                f'offset {self.offset} is too small: it must be at least '
                f'num_classes << label_bit_shift = {lower_bound}')
        if self.ignore_label >= self.num_classes:
            self.cm_size = self.num_classes + 1
            self.include_indices = np.arange(self.num_classes)
        else:
            self.cm_size = self.num_classes
            self.include_indices = np.array(
                [i for i in range(self.num_classes) if i != ignore_label])
        # thing lookup table over the confusion-matrix columns
        # (+ the invalid sentinel index cm_size, never a thing)
        self._is_thing_idx = np.zeros(self.cm_size + 1, dtype=bool)
        for c in self.things_list:
            if 0 <= c < self.cm_size:
                self._is_thing_idx[c] = True
        self._luts: Dict[Hashable, np.ndarray] = {}
        self.reset()

    def reset(self) -> None:
        """Clears all accumulated statistics."""
        self._confusion: Dict[Hashable, np.ndarray] = OrderedDict()
        self._lengths: Dict[Hashable, int] = OrderedDict()
        # per sequence: lists of (ids, counts) chunks, merged lazily
        self._gt_chunks: Dict[Hashable, List] = OrderedDict()
        self._pred_chunks: Dict[Hashable, List] = OrderedDict()
        self._inter_chunks: Dict[Hashable, List] = OrderedDict()

    def _lut(self, size: int) -> np.ndarray:
        """Raw semantic id -> confusion index; invalid ids -> ``cm_size``."""
        lut = np.full(size, self.cm_size, np.int16)
        lut[:min(size, self.cm_size)] = np.arange(min(size, self.cm_size))
        if self.num_classes < self.ignore_label < size:
            lut[self.ignore_label] = self.num_classes
        return lut

    def _semantic_index(self, sem: np.ndarray) -> np.ndarray:
        """Confusion-matrix index per pixel (int16); invalid = ``cm_size``.

        uint8 / uint16 maps go through a cached lookup table; other integer
        maps through a table over ``[0, max(cm_size, ignore_label + 1))``.
        """
        if sem.dtype in (np.uint8, np.uint16):
            key = sem.dtype.itemsize
            if key not in self._luts:
                self._luts[key] = self._lut(256**key)
            return self._luts[key][sem]
        size = max(self.cm_size, self.ignore_label + 1)
        if 0 not in self._luts:
            self._luts[0] = self._lut(size + 1)
        sem = sem.astype(np.int64, copy=False)
        return self._luts[0][np.where((sem >= 0) & (sem < size), sem, size)]

    def _check_semantic(self, idx: np.ndarray, sem: np.ndarray,
                        name: str) -> None:
        bad = np.unique(sem[idx == self.cm_size]).tolist()[:5]
        raise ValueError(
            f'{name} contains semantic ids {bad} outside [0, '
            f'{self.num_classes}) that are not the ignore label '
            f'{self.ignore_label}')

    def frame_statistics(self, y_true: np.ndarray, y_pred: np.ndarray,
                         where: str = 'frame') -> dict:
        """Sufficient statistics of one frame (small; picklable).

        Args:
            y_true: ``(H, W)`` GT panoptic label
                ``(semantic << label_bit_shift) + instance``.
            y_pred: ``(H, W)`` predicted panoptic label, same encoding.
            where: names the frame in error messages.

        Returns:
            dict: ``confusion`` ``(C, C)`` int64 semantic confusion matrix,
            ``gt`` / ``pred`` / ``inter``: ``(ids, counts)`` of the GT thing
            tubes, predicted thing tubes and their intersections (keys
            ``gt_id * offset + pred_id``), crowd pixels removed.
        """
        y_true = np.asarray(y_true).astype(np.int64, copy=False).reshape(-1)
        y_pred = np.asarray(y_pred).astype(np.int64, copy=False).reshape(-1)
        if y_true.shape != y_pred.shape:
            raise ValueError(f'{where}: GT has {y_true.size} pixels, '
                             f'prediction has {y_pred.size}')
        if self.label_bit_shift == 16:  # the kernel splits the labels itself
            stats = self._kernel_statistics(None, None, None, None, None,
                                            where, panoptic=(y_true, y_pred))
            if stats is not None:
                return stats
        return self.frame_statistics_parts(*self._split(y_true),
                                           *self._split(y_pred), where)

    def _split(self, y: np.ndarray) -> tuple:
        """``(semantic, instance)`` of int64 panoptic labels.

        With a 16-bit shift and labels in ``[0, 256 << 16)`` (the common
        case) the maps are zero-copy byte views of the little-endian
        int64s; otherwise shift and mask.
        """
        if (self.label_bit_shift == 16 and y.size and y.dtype.byteorder
                in '=<' and np.little_endian and y.flags['C_CONTIGUOUS']
                and 0 <= y.min() and y.max() < (256 << 16)):
            return y.view(np.uint8)[2::8], y.view(np.uint16)[0::4]
        return y >> self.label_bit_shift, y & self.bit_mask

    def frame_statistics_parts(self, sem_true: np.ndarray,
                               inst_true: np.ndarray, sem_pred: np.ndarray,
                               inst_pred: np.ndarray,
                               where: str = 'frame') -> dict:
        """:meth:`frame_statistics` from separate semantic / instance maps.

        The fast path of the offline evaluation: KITTI-STEP PNGs decode to
        uint8 semantic and uint16 instance maps, which are used without
        building int64 panoptic maps (the confusion matrix comes from one
        ``bincount`` of the raw uint8 pairs, remapped afterwards). Instance
        ids must be below ``2 ** label_bit_shift``. Same result as
        :meth:`frame_statistics` on ``(semantic << label_bit_shift) +
        instance``.
        """
        sem_true, sem_pred = sem_true.reshape(-1), sem_pred.reshape(-1)
        inst_true, inst_pred = inst_true.reshape(-1), inst_pred.reshape(-1)
        if not (sem_true.shape == sem_pred.shape == inst_true.shape ==
                inst_pred.shape):
            raise ValueError(f'{where}: GT has {sem_true.size} pixels, '
                             f'prediction has {sem_pred.size}')
        small = [self._as_uint8(s) for s in (sem_true, sem_pred)]
        if small[0] is not None and small[1] is not None:
            stats = self._kernel_statistics(small, inst_true, inst_pred,
                                            sem_true, sem_pred, where)
            if stats is not None:
                return stats
            cm = self._confusion_uint8(*small, sem_true, sem_pred, where)
            thing_t, thing_p = (self._thing_mask(s) for s in small)
        else:
            s_t = self._semantic_index(sem_true)  # (H*W,) int16
            s_p = self._semantic_index(sem_pred)
            size = self.cm_size + 1  # + invalid sentinel
            cm = np.bincount(s_t.astype(np.intp) * size + s_p,
                             minlength=size * size).reshape(size, size)
            if cm[self.cm_size].any():
                self._check_semantic(s_t, sem_true, f'{where}: ground truth')
            if cm[:, self.cm_size].any():
                self._check_semantic(s_p, sem_pred, f'{where}: prediction')
            cm = cm[:self.cm_size, :self.cm_size]
            thing_t, thing_p = self._is_thing_idx[s_t], self._is_thing_idx[
                s_p]
        crowd = thing_t & (inst_true == 0)
        label_mask = thing_t & ~crowd
        pred_mask = thing_p & ~crowd
        both = label_mask & pred_mask
        shift = self.label_bit_shift
        # thing ids are below num_classes: raw id == confusion index
        gt_ids = (sem_true[label_mask].astype(np.int64) << shift) + \
            inst_true[label_mask]
        pred_ids = (sem_pred[pred_mask].astype(np.int64) << shift) + \
            inst_pred[pred_mask]
        inter = ((sem_true[both].astype(np.int64) << shift) +
                 inst_true[both]) * self.offset + (
                     (sem_pred[both].astype(np.int64) << shift) +
                     inst_pred[both])
        return dict(
            confusion=cm.astype(np.int64),
            gt=np.unique(gt_ids, return_counts=True),
            pred=np.unique(pred_ids, return_counts=True),
            inter=np.unique(inter, return_counts=True))

    @staticmethod
    def _as_uint8(sem: np.ndarray):
        if sem.dtype == np.uint8:
            return sem
        if sem.size and 0 <= sem.min() and sem.max() < 256:
            return sem.astype(np.uint8)
        return None

    def _kernel_statistics(self, small: list, inst_true: np.ndarray,
                           inst_pred: np.ndarray, sem_true: np.ndarray,
                           sem_pred: np.ndarray, where: str,
                           panoptic: tuple = None):
        """:meth:`frame_statistics_parts` on the C++ kernel
        ``mmvidseg.ops._ext.stq_frame_statistics`` (two passes over the
        pixels, exact int64 counts: the same arrays as the numpy path), or
        None where it does not apply (extension not built, more than 15
        thing classes, ``label_bit_shift < 16``, instance ids outside
        ``[0, 2 ** 16)``)."""
        ext = _stq_kernel()
        slots = self._thing_slots()
        if ext is None or slots is None:
            return None
        import torch
        if panoptic is not None:  # int64 (semantic << 16) + instance
            arrays = [np.ascontiguousarray(y) for y in panoptic]
            with warnings.catch_warnings():  # read-only arrays
                warnings.simplefilter('ignore', UserWarning)
                out = ext.stq_panoptic_statistics(
                    *(torch.from_numpy(a) for a in arrays),
                    torch.from_numpy(slots))
            if not out:  # labels outside [0, 256 << 16)
                return None
            if 8 not in self._luts:
                self._luts[8] = self._lut(256)
            invalid = self._luts[8] == self.cm_size
            raw = out[0].numpy()
            if raw[invalid].any() or raw[:, invalid].any():
                return None  # the numpy path names the bad ids
            return self._kernel_output(out, [None, None], None, None, where)
        insts = []
        for inst in (inst_true, inst_pred):
            if inst.dtype not in (np.uint16, np.int32):
                if inst.size and (inst.min() < 0 or inst.max() >= 1 << 16):
                    return None
                inst = inst.astype(np.int32)
            insts.append(inst)
        if insts[0].dtype != insts[1].dtype:
            insts = [i.astype(np.int32) for i in insts]
        # contiguous copies in numpy: the kernel runs no torch parallel
        # region (safe in forked workers)
        arrays = [np.ascontiguousarray(a)
                  for a in (small[0], insts[0], small[1], insts[1])]
        with warnings.catch_warnings():  # read-only decoded images
            warnings.simplefilter('ignore', UserWarning)
            out = ext.stq_frame_statistics(
                *(torch.from_numpy(a) for a in arrays),
                torch.from_numpy(slots))
        return self._kernel_output(out, small, sem_true, sem_pred, where)

    def _kernel_output(self, out: list, small: list, sem_true: np.ndarray,
                       sem_pred: np.ndarray, where: str) -> dict:
        """Kernel tensors -> :meth:`frame_statistics` dict."""
        raw, g_keys, g_counts, p_keys, p_counts, pair_g, pair_p, pair_n = (
            t.numpy() for t in out)
        cm = self._confusion_from_raw(raw, *small, sem_true, sem_pred, where)
        g_ids, p_ids = self._tube_ids(g_keys), self._tube_ids(p_keys)
        return dict(
            confusion=cm,
            gt=(g_ids, g_counts),
            pred=(p_ids, p_counts),
            inter=(g_ids[pair_g] * self.offset + p_ids[pair_p], pair_n))

    def _thing_slots(self):
        """(256,) int32: 1 + rank of each raw thing class, else 0; None if
        the kernel cannot take this configuration."""
        if 'slots' not in self._luts:
            things = sorted({c for c in self.things_list
                             if 0 <= c < min(256, self.cm_size)})
            slots = None
            if len(things) <= 15 and self.label_bit_shift >= 16:
                slots = np.zeros(256, np.int32)
                slots[things] = np.arange(1, len(things) + 1)
                self._luts['slot_class'] = np.array([0] + things, np.int64)
            self._luts['slots'] = slots
        return self._luts['slots']

    def _tube_ids(self, keys: np.ndarray) -> np.ndarray:
        """Kernel tube keys ``slot << 16 | instance`` -> panoptic ids."""
        classes = self._luts['slot_class'][keys >> 16]
        return (classes << self.label_bit_shift) + (keys & 0xFFFF)

    def _confusion_uint8(self, s_t: np.ndarray, s_p: np.ndarray,
                         sem_true: np.ndarray, sem_pred: np.ndarray,
                         where: str) -> np.ndarray:
        """``(C, C)`` confusion from one bincount of raw uint8 pairs."""
        raw = np.bincount((s_t.astype(np.uint16) << 8) | s_p,
                          minlength=65536).reshape(256, 256)
        return self._confusion_from_raw(raw, s_t, s_p, sem_true, sem_pred,
                                        where)

    def _confusion_from_raw(self, raw: np.ndarray, s_t: np.ndarray,
                            s_p: np.ndarray, sem_true: np.ndarray,
                            sem_pred: np.ndarray, where: str) -> np.ndarray:
        """``(C, C)`` confusion from the ``(256, 256)`` raw pair counts."""
        if 8 not in self._luts:
            self._luts[8] = self._lut(256)
        lut = self._luts[8]
        invalid = lut == self.cm_size  # (256,)
        if raw[invalid].any():
            self._check_semantic(lut[s_t], sem_true, f'{where}: ground truth')
        if raw[:, invalid].any():
            self._check_semantic(lut[s_p], sem_pred, f'{where}: prediction')
        # sum the raw (256, 256) counts into confusion indices with one
        # weighted bincount (float64 is exact for counts below 2**53)
        if 'cells' not in self._luts:
            self._luts['cells'] = (lut.astype(np.intp)[:, np.newaxis] *
                                   (self.cm_size + 1) + lut).ravel()
        size = self.cm_size + 1
        cm = np.bincount(self._luts['cells'], weights=raw.ravel(),
                         minlength=size * size).reshape(size, size)
        return np.rint(cm[:self.cm_size, :self.cm_size]).astype(np.int64)

    def _thing_mask(self, sem: np.ndarray) -> np.ndarray:
        """Per-pixel thing flag of a raw uint8 semantic map."""
        things = np.nonzero(self._is_thing_idx)[0].tolist()
        if len(things) <= 8:
            mask = np.zeros(sem.shape, bool)
            for c in things:
                if c < 256:
                    mask |= sem == c
            return mask
        lut = np.zeros(256, bool)
        lut[:min(256, self.cm_size)] = self._is_thing_idx[:min(
            256, self.cm_size)]
        return np.take(lut, sem)

    def add_statistics(self, stats: dict,
                       sequence_id: Hashable = 0) -> None:
        """Adds one frame's :meth:`frame_statistics` to a sequence."""
        if sequence_id in self._confusion:
            self._confusion[sequence_id] += stats['confusion']
            self._lengths[sequence_id] += 1
        else:
            self._confusion[sequence_id] = stats['confusion'].astype(
                np.int64).copy()
            self._lengths[sequence_id] = 1
            self._gt_chunks[sequence_id] = []
            self._pred_chunks[sequence_id] = []
            self._inter_chunks[sequence_id] = []
        self._gt_chunks[sequence_id].append(stats['gt'])
        self._pred_chunks[sequence_id].append(stats['pred'])
        self._inter_chunks[sequence_id].append(stats['inter'])

    def update(self, y_true: np.ndarray, y_pred: np.ndarray,
               sequence_id: Hashable = 0) -> None:
        """Adds one frame.

        Args:
            y_true: ``(H, W)`` GT panoptic label
                ``(semantic << label_bit_shift) + instance``.
            y_pred: ``(H, W)`` predicted panoptic label, same encoding.
            sequence_id: the sequence the frame belongs to.
        """
        where = (f'sequence {sequence_id!r} frame '
                 f'{self._lengths.get(sequence_id, 0)}')
        self.add_statistics(self.frame_statistics(y_true, y_pred, where),
                            sequence_id)

    # mmengine-style alias of the deeplab2 method name
    update_state = update

    @staticmethod
    def _merge(chunks: List) -> tuple:
        if not chunks:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        ids = np.concatenate([c[0] for c in chunks])
        counts = np.concatenate([c[1] for c in chunks])
        uniq, inv = np.unique(ids, return_inverse=True)
        return uniq, np.bincount(inv, weights=counts,
                                 minlength=len(uniq)).astype(np.int64)

    def _sequence_aq(self, seq: Hashable) -> tuple:
        gt_ids, gt_sizes = self._merge(self._gt_chunks[seq])
        pr_ids, pr_sizes = self._merge(self._pred_chunks[seq])
        keys, tpa = self._merge(self._inter_chunks[seq])
        if len(keys) == 0:
            return 0.0, len(gt_ids)
        g = np.searchsorted(gt_ids, keys // self.offset)
        p = np.searchsorted(pr_ids, keys % self.offset)
        tpa = tpa.astype(np.float64)
        gsz = gt_sizes[g].astype(np.float64)
        union = gsz + pr_sizes[p] - tpa  # tpa + fpa + fna
        return float(np.sum(tpa * (tpa / union) / gsz)), len(gt_ids)

    @staticmethod
    def _mean_iou(confusion: np.ndarray) -> float:
        inter = confusion.diagonal()
        union = confusion.sum(0) + confusion.sum(1) - inter
        n = np.count_nonzero(union)
        ious = inter / np.maximum(union, _EPSILON)
        with np.errstate(divide='ignore', invalid='ignore'):
            return float(np.float64(np.sum(ious)) / n)

    def result(self) -> dict:
        """Returns ``STQ``, ``AQ``, ``IoU`` and per-sequence lists.

        Keys follow deeplab2: ``STQ_per_seq``, ``AQ_per_seq``,
        ``IoU_per_seq``, ``ID_per_seq``, ``Length_per_seq``. ``IoU`` is NaN
        when no class has a non-zero union.
        """
        seqs = list(self._confusion)
        aq_sums, tubes, ious = [], [], []
        total = np.zeros((self.cm_size, self.cm_size), np.float64)
        for seq in seqs:
            aq, n = self._sequence_aq(seq)
            aq_sums.append(aq)
            tubes.append(n)
            cm = np.zeros((self.cm_size, self.cm_size), np.float64)
            cm[self.include_indices] = self._confusion[seq][
                self.include_indices]
            total += cm
            ious.append(self._mean_iou(cm))
        aq_per_seq = np.asarray(aq_sums, np.float64) / np.maximum(
            np.asarray(tubes, np.float64), _EPSILON)
        aq_mean = float(np.sum(aq_sums) / max(float(np.sum(tubes)),
                                              _EPSILON))
        iou_mean = self._mean_iou(total)
        iou_per_seq = np.asarray(ious, np.float64)
        return {
            'STQ': float(np.sqrt(aq_mean * iou_mean)),
            'AQ': aq_mean,
            'IoU': iou_mean,
            'STQ_per_seq': np.sqrt(aq_per_seq * iou_per_seq).tolist(),
            'AQ_per_seq': aq_per_seq.tolist(),
            'IoU_per_seq': iou_per_seq.tolist(),
            'ID_per_seq': seqs,
            'Length_per_seq': [self._lengths[s] for s in seqs],
        }


def encode_panoptic(semantic: np.ndarray, instance: np.ndarray,
                    label_bit_shift: int) -> np.ndarray:
    """``(semantic << label_bit_shift) + instance`` as int64 (parenthesised).
    """
    semantic = np.asarray(semantic).astype(np.int64)
    instance = np.asarray(instance).astype(np.int64)
    if instance.size and int(instance.max()) >= (1 << label_bit_shift):
        raise ValueError(f'instance id {int(instance.max())} does not fit in '
                         f'label_bit_shift={label_bit_shift} bits')
    return (semantic << label_bit_shift) + instance
