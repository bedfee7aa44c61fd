# Copyright (c) mmvidseg contributors. All rights reserved.
"""Streaming inference with bounded memory: :class:`VideoSession`.

Shaped like the session convention of ``transformers``' video models::

    session = VideoSession(model, window=8, overlap=2)
    for result in session.propagate('my_video.mp4'):    # or a frame folder,
        print(result.frame_idx, result.track_ids)        # a camera index,
                                                         # or arrays
    # a live stream: results come out as soon as their window has run
    for frame in camera:
        for result in session.step(frame):
            ...
    for result in session.flush():  # the end of the stream
        ...

Clip-based models (Mask2Former-VIS, TeViT, STEm-Seg, TarViS-VIS and
TarViS-VPS) run over overlapping windows of ``window`` frames; the ids of
consecutive windows are linked by
:mod:`mmvidseg.models.trackers.window_linking` (the same code as TeViT's
chunked mode; a track missing from a window is carried for up to
``max_missing`` windows: see
:class:`~mmvidseg.models.trackers.window_linking.WindowLinker`). Video
panoptic models (``pred_panoptic_seg`` maps,
``label + track_id * label_divisor``) stream the same way: their thing
segments are the tracks (masks linked across windows by mask IoU, ids from
1), their stuff is taken per frame from the window that reports the frame,
and each result also carries the frame's panoptic map with the session's
track ids (:attr:`FrameResult.panoptic`). Frames are decoded lazily and
dropped once no window needs them, so the memory the session holds is that
of ``window`` decoded frames plus the not-yet-reported results of one
window, whatever the video
length. Every result carries its frame index, global track ids, labels,
scores and masks at the frame's original size (:meth:`FrameResult.rle` for
COCO RLE). Video-TTT models (``Mask2FormerTTT``) adapt and predict frame
by frame instead (:mod:`mmvidseg.apis.ttt_stream`).

Difference from the offline chunked mode: offline, the last window is moved
back to end at the video's last frame; a stream does not know its end in
advance, so at :meth:`VideoSession.flush` the last window is the last
``window`` frames and it reports every frame not reported yet.
"""
import os
import os.path as osp
from collections import deque
from dataclasses import dataclass, field
from typing import Dict, Iterable, Iterator, List, Optional, Union

import cv2
import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.structures import InstanceData

from mmvidseg.models.trackers.window_linking import WindowLinker, handover
from mmvidseg.structures.masks import encode_masks

from .inference import IMAGE_EXTS, _frame_pipeline
from .ttt_stream import TTTStream, is_ttt_model

Source = Union[str, int, Iterable[np.ndarray]]


@dataclass
class FrameResult:
    """The tracks of one frame.

    Attributes:
        frame_idx (int): 0-based index in the stream.
        track_ids (np.ndarray): ``(N, )`` ids, stable over the stream.
        labels (np.ndarray): ``(N, )`` class indices.
        scores (np.ndarray): ``(N, )`` track scores.
        masks (np.ndarray): ``(N, H, W)`` bool at the original frame size.
        image (np.ndarray, optional): The ``(H, W, 3)`` BGR frame itself (a
            reference, not a copy), for drawing.
        panoptic (np.ndarray, optional): Video panoptic models: the
            ``(H, W)`` int64 map ``label + track_id * label_divisor``
            (stuff and void: track 0; void keeps the model's void label)
            with this session's track ids; the tracks above are its thing
            segments, with score 1.0 (the panoptic output has no score).
        semantic (np.ndarray, optional): Semantic models (Video-TTT): the
            ``(H, W)`` int64 class map of the frame.
    """
    frame_idx: int
    track_ids: np.ndarray
    labels: np.ndarray
    scores: np.ndarray
    masks: np.ndarray = field(repr=False)
    image: Optional[np.ndarray] = field(default=None, repr=False)
    panoptic: Optional[np.ndarray] = field(default=None, repr=False)
    semantic: Optional[np.ndarray] = field(default=None, repr=False)

    def rle(self) -> List[dict]:
        """COCO RLE (JSON counts) of every mask."""
        return encode_masks(self.masks)


def iter_frames(source: Source,
                max_frames: Optional[int] = None) -> Iterator[np.ndarray]:
    """BGR frames, decoded one at a time, from a video file, a folder of
    images (sorted by name), a camera index or an iterable of arrays.

    Raises:
        FileNotFoundError: the file / folder does not exist or holds no
            image.
        ValueError: a frame that cannot be decoded, or frames of different
            sizes (the message names the frame).
    """
    count, shape = 0, None

    def check(frame, where):
        nonlocal shape
        if frame is None:
            raise ValueError(f'{where}: cannot be decoded')
        if shape is None:
            shape = frame.shape
        elif frame.shape != shape:
            raise ValueError(f'{where}: size {frame.shape[:2]} differs from '
                             f'the first frame {shape[:2]}; a stream must '
                             'keep one frame size')
        return frame

    if isinstance(source, (str, os.PathLike)) and osp.isdir(source):
        names = sorted(n for n in os.listdir(source)
                       if n.lower().endswith(IMAGE_EXTS))
        if not names:
            raise FileNotFoundError(f'no {IMAGE_EXTS} images in {source}')
        for name in names:
            if max_frames is not None and count >= max_frames:
                return
            path = osp.join(source, name)
            yield check(cv2.imread(path), f'frame {path}')
            count += 1
        return
    if isinstance(source, (str, os.PathLike, int)):
        if not isinstance(source, int) and not osp.isfile(source):
            raise FileNotFoundError(f'video {source!r} does not exist')
        cap = cv2.VideoCapture(source)
        if not cap.isOpened():
            raise FileNotFoundError(f'OpenCV cannot open {source!r}')
        try:
            while max_frames is None or count < max_frames:
                ok, frame = cap.read()
                if not ok:
                    break
                yield check(frame, f'{source} frame {count}')
                count += 1
        finally:
            cap.release()
        if count == 0:
            raise ValueError(f'OpenCV decoded no frame from {source!r}')
        return
    for frame in source:
        if max_frames is not None and count >= max_frames:
            return
        yield check(np.asarray(frame), f'frame {count}')
        count += 1


def _frame_results(frames: List[np.ndarray], **extra) -> dict:
    """The test pipeline's input for a window of decoded frames (one video
    of ``len(frames)`` frames); ``extra`` values are repeated per frame."""
    num = len(frames)
    results = dict(
        img=list(frames), img_id=list(range(num)),
        img_path=[None] * num, frame_id=list(range(num)),
        video_id=[0] * num, video_length=[num] * num,
        ori_video_length=[num] * num)
    results.update({k: [v] * num for k, v in extra.items()})
    return results


class _Window:
    """One window's predictions: per local track, per frame, its mask;
    for panoptic models also the per-frame semantic (label) maps."""

    def __init__(self, start: int, samples: list,
                 label_divisor: int = 1000) -> None:
        self.start = start
        self.frames = []  # per frame: {local id: (label, score, mask)}
        self.semantic: List[np.ndarray] = []  # panoptic: (H, W) labels
        self.label_divisor = int(label_divisor)
        for sample in samples:
            if 'pred_track_instances' not in sample:
                if 'pred_panoptic_seg' in sample:
                    self._add_panoptic(sample.pred_panoptic_seg.sem_seg)
                    continue
                raise NotImplementedError(
                    'VideoSession reads pred_track_instances (VIS / VOS '
                    'tracks) or pred_panoptic_seg (VPS maps); this model '
                    'predicts '
                    f'{sorted(k for k in sample.keys() if "pred" in k)}')
            pred = sample.pred_track_instances
            ids = pred.instances_id.cpu().tolist()
            masks = pred.masks
            masks = masks.cpu().numpy() if torch.is_tensor(masks) else \
                np.asarray(masks)
            self.frames.append({
                i: (int(lab), float(sc), m.astype(bool))
                for i, lab, sc, m in zip(ids, pred.labels.cpu().tolist(),
                                         pred.scores.cpu().tolist(), masks)
            })
        self.local_ids = sorted({i for f in self.frames for i in f})
        self.global_ids = {}

    def labels(self) -> torch.Tensor:
        """``(n, )`` label of each local track (its first frame's), in
        ``local_ids`` order."""
        first = {}
        for frame in self.frames:
            for i, (lab, _, _) in frame.items():
                first.setdefault(i, lab)
        return torch.tensor([first[i] for i in self.local_ids],
                            dtype=torch.long)

    def _add_panoptic(self, pan) -> None:
        """A ``(1, H, W)`` ``label + id * divisor`` map: its thing
        segments (id > 0) become local tracks of score 1.0."""
        pan = (pan.cpu().numpy() if torch.is_tensor(pan) else
               np.asarray(pan)).reshape(pan.shape[-2:]).astype(np.int64)
        labels, inst = pan % self.label_divisor, pan // self.label_divisor
        frame = {}
        for i in np.unique(inst[inst > 0]).tolist():
            mask = inst == i
            frame[int(i)] = (int(np.bincount(labels[mask]).argmax()), 1.0,
                             mask)
        self.frames.append(frame)
        self.semantic.append(labels)

    def ends(self, shape, last: bool) -> torch.Tensor:
        """``(n, H, W)`` each local track's last (or first) mask."""
        order = self.frames[::-1] if last else self.frames
        out = np.zeros((len(self.local_ids), ) + tuple(shape), bool)
        for k, i in enumerate(self.local_ids):
            out[k] = next(f[i][2] for f in order if i in f)
        return torch.from_numpy(out)

    def carry(self, global_id: int, label: int, score: float,
              src: int) -> None:
        """Report track ``global_id`` (``label``, ``score``) wherever local
        track ``src`` is: a track carried through a window that reports its
        object under another class (:class:`WindowLinker`)."""
        local = max(self.local_ids) + 1
        for frame in self.frames:
            if src in frame:
                frame[local] = (label, score, frame[src][2])
        self.local_ids.append(local)
        self.global_ids[local] = global_id

    def last_score(self, local: int) -> float:
        return next(f[local][1] for f in self.frames[::-1] if local in f)

    def stack(self, offsets: List[int], shape) -> List[torch.Tensor]:
        """Per frame offset ``(n, H, W)`` masks in ``local_ids`` order."""
        out = []
        for off in offsets:
            frame = self.frames[off]
            out.append(torch.from_numpy(np.stack(
                [frame[i][2] if i in frame else np.zeros(shape, bool)
                 for i in self.local_ids]) if self.local_ids else
                np.zeros((0, ) + shape, bool)))
        return out

    def result(self, offset: int) -> FrameResult:
        frame = self.frames[offset]
        ids = [i for i in self.local_ids if i in frame]
        shape = next(iter(frame.values()))[2].shape if frame else \
            (self.semantic[offset].shape if self.semantic else (0, 0))
        panoptic = None
        if self.semantic:  # stuff of this frame, things with global ids
            panoptic = self.semantic[offset].copy()
            for i in ids:
                label, _, mask = frame[i]
                panoptic[mask] = label + \
                    self.global_ids[i] * self.label_divisor
        return FrameResult(
            frame_idx=self.start + offset,
            track_ids=np.array([self.global_ids[i] for i in ids], np.int64),
            labels=np.array([frame[i][0] for i in ids], np.int64),
            scores=np.array([frame[i][1] for i in ids], np.float32),
            masks=np.stack([frame[i][2] for i in ids]) if ids else
            np.zeros((0, ) + tuple(shape), bool),
            panoptic=panoptic)


class VideoSession:
    """A stream of frames in, tracks per frame out, with bounded memory.

    Args:
        model (nn.Module): From :func:`mmvidseg.apis.init_model` (its
            ``cfg.test_dataloader`` pipeline prepares the frames).
        window (int, optional): Frames per model call. Defaults to the
            config's ``stream_cfg.window`` or 8.
        overlap (int, optional): Frames shared by consecutive windows (>= 1
            to link ids). Defaults to ``stream_cfg.overlap`` or 2.
        iou_thr (float): Minimum mean mask IoU over the overlap to continue
            a track. Defaults to 0.5.
        class_aware (bool): Link only tracks of the same class across
            windows. Defaults to True: a clip model that reports one query
            under several classes (Mask2Former-VIS' top-k pairs) would
            otherwise chain different classes into one track (held-out toy
            AP at window 4 / overlap 2: see docs/en/streaming.md).
        memory_budget_mb (float, optional): Refuse settings whose decoded
            frames alone (``window`` frames of the first frame's size, as
            uint8) exceed this; checked at the first frame.
        max_missing (int): Windows a track survives without a match of its
            own (:class:`~mmvidseg.models.trackers.window_linking.
            WindowLinker`): carried on the mask of its object reported under
            another class, or held with its last mask and re-linked when it
            reappears. 0: a track ends at the first window without it.
            Defaults to 2.
        ttt (dict, optional): Video-TTT models (``Mask2FormerTTT``): the
            ``mode`` (``'online'`` / ``'standard'`` / ``'frozen'``) and
            :class:`~mmvidseg.engine.runner.OnlineTTT` settings, over the
            config's ``test_cfg``. Such a model adapts and predicts frame by
            frame (:mod:`mmvidseg.apis.ttt_stream`): ``window`` is its TTT
            window and ``overlap`` does not apply; every :meth:`reset`
            (a new stream) restores the checkpoint weights.
    """

    def __init__(self, model, window: Optional[int] = None,
                 overlap: Optional[int] = None, iou_thr: float = 0.5,
                 memory_budget_mb: Optional[float] = None,
                 class_aware: bool = True, max_missing: int = 2,
                 ttt: Optional[dict] = None) -> None:
        reason = getattr(model, 'stream_unsupported', None)
        if reason:
            raise NotImplementedError(
                f'{type(model).__name__} cannot stream: {reason}')
        self._ttt = None
        if is_ttt_model(model):
            ttt = dict(ttt or {})
            if window is not None:
                ttt['window_size'] = window
            self._ttt = TTTStream(model, iou_thr, max_missing, ttt)
            window, overlap = self._ttt.window_size, 0
        elif ttt is not None:
            raise ValueError(f'ttt={ttt} is for Video-TTT models; '
                             f'{type(model).__name__} is not one')
        stream_cfg = (getattr(model, 'cfg', None) or {}).get('stream_cfg',
                                                              {}) or {}
        self.window = int(window or stream_cfg.get('window', 8))
        self.overlap = int(overlap if overlap is not None else
                           stream_cfg.get('overlap', 2))
        if not 0 <= self.overlap < self.window:
            raise ValueError(f'overlap={self.overlap} must be in [0, '
                             f'window={self.window})')
        self.model, self.iou_thr = model, iou_thr
        self.class_aware = class_aware
        self.max_missing = int(max_missing)
        self.memory_budget_mb = memory_budget_mb
        # video panoptic models: thing ids from 1 (0 = stuff in the maps)
        linker = getattr(model, 'linker', None)
        self._panoptic = getattr(linker, 'output_field',
                                 None) == 'pred_panoptic_seg'
        self._label_divisor = int(getattr(linker, 'label_divisor', 1000))
        self._pipeline = _frame_pipeline(model.cfg)
        self.reset()

    def reset(self) -> None:
        """Forget the stream (ids restart at 0); prompts are kept
        (:meth:`clear_prompts`)."""
        self._ring = deque(maxlen=self.window)  # the last `window` frames
        self._count = 0  # frames received
        self._next_start = 0  # start of the next full window
        self._reported = 0  # frames reported
        self._prev: Optional[_Window] = None
        if getattr(self, '_ttt', None) is not None:
            self._ttt.reset()
        panoptic = getattr(self, '_panoptic', False)
        # panoptic maps: one segment per pixel, no carrying on another's mask
        self._linker = WindowLinker(self.iou_thr, self.max_missing,
                                    carry_other_class=not panoptic and
                                    self.class_aware,
                                    next_id=1 if panoptic else 0)
        if not hasattr(self, '_texts'):
            self._texts: Dict[int, str] = {}
            self._vos_prompts: Dict[int, dict] = {}
        self._vos_fresh = True  # the model's VOS state restarts

    def clear_prompts(self) -> None:
        self._texts = {}
        self._vos_prompts = {}

    def add_prompt(self, frame_idx: int = 0, masks=None, points=None,
                   text=None, obj_ids=None) -> None:
        """Steer a promptable model.

        Referring models (MTTR, ``prompt_types`` has ``'text'``): ``text`` is
        a sentence or a list of sentences; each is one object whose track id
        is its entry of ``obj_ids`` (default: 0, 1, ... in the order added).
        A sentence applies to every window run after the call (from the
        window holding ``frame_idx`` on); each window is predicted once per
        sentence, as the official model takes one expression per clip.
        Masks / points (TarViS VOS / point-exemplar tracking,
        ``prompt_types`` has ``'masks'`` / ``'points'``): ``masks`` ``(N, H,
        W)`` (or one ``(H, W)``) at the frame's original size, or ``points``
        ``(N, 2)`` (x, y) pixels, given at ``frame_idx`` (a frame the session
        has not passed yet); each is one object tracked from that frame on
        under its ``obj_ids`` entry (default: counting on from the largest id
        so far, 1 first).
        One session holds masks or points, not both (the official model
        takes one kind per video). The clip-based VIS models segment every
        object without prompts.
        """
        kinds = getattr(self.model, 'prompt_types', ())
        if (masks is not None and 'masks' in kinds) or (
                points is not None and 'points' in kinds):
            self._add_object_prompt(frame_idx, masks, points, obj_ids)
            return
        if text is not None and 'text' in kinds:
            texts = [text] if isinstance(text, str) else list(text)
            ids = list(obj_ids) if obj_ids is not None else list(
                range(len(self._texts), len(self._texts) + len(texts)))
            if len(ids) != len(texts):
                raise ValueError(f'{len(texts)} sentences but {len(ids)} '
                                 'obj_ids')
            for i, t in zip(ids, texts):
                if not isinstance(t, str) or not t.strip():
                    raise ValueError(f'object {i}: empty referring '
                                     'expression')
                self._texts[int(i)] = t
            return
        given = [k for k, v in (('masks', masks), ('points', points),
                                ('text', text)) if v is not None]
        raise NotImplementedError(
            f'{type(self.model).__name__} takes no {given or "such"} '
            f'prompts (it accepts: {list(kinds) or "none"}); VIS models '
            'segment every object of their classes without prompts.')

    def _add_object_prompt(self, frame_idx: int, masks, points,
                           obj_ids) -> None:
        if masks is not None and points is not None:
            raise ValueError('give masks or points, not both')
        kind = 'masks' if masks is not None else 'points'
        other = {p.get('kind') for p in self._vos_prompts.values()} - {kind}
        if other:
            raise ValueError(f'this session already holds {other.pop()} '
                             f'prompts; TarViS takes one kind per video '
                             '(clear_prompts() first)')
        if frame_idx < self._reported:
            raise ValueError(f'frame {frame_idx} was already reported; a '
                             'prompt must come before its frame')
        if kind == 'masks':
            arr = np.asarray(masks)
            arr = arr[None] if arr.ndim == 2 else arr
            if arr.ndim != 3:
                raise ValueError(f'masks must be (N, H, W) or (H, W), got '
                                 f'shape {arr.shape}')
            arr = (arr > 0).astype(np.uint8)
        else:
            arr = np.asarray(points, dtype=np.float32).reshape(-1, 2)
        known = {i for p in self._vos_prompts.values() for i in p['ids']}
        first = max(known, default=0) + 1
        ids = list(obj_ids) if obj_ids is not None else list(
            range(first, first + len(arr)))
        if len(ids) != len(arr):
            raise ValueError(f'{len(arr)} {kind} but {len(ids)} obj_ids')
        entry = self._vos_prompts.setdefault(
            int(frame_idx), dict(kind=kind, ids=[], data=[]))
        entry['ids'] += [int(i) for i in ids]
        entry['data'] += list(arr)

    def _predict_objects(self, start: int,
                         frames: List[np.ndarray]) -> _Window:
        """TarViS VOS / PET window: exemplars from the prompts, the
        model's clip state carried to the next window."""
        data = self.model.data_preprocessor(
            pseudo_collate([self._pipeline(_frame_results(frames))]), False)
        samples = data['data_samples']
        kinds = {p['kind'] for p in self._vos_prompts.values()}
        task = 'pet' if 'points' in kinds else 'vos'
        for k, frame in enumerate(samples[0].video_data_samples):
            prompt = self._vos_prompts.get(start + k)
            gt = InstanceData(instances_ids=torch.tensor(
                prompt['ids'] if prompt else [], dtype=torch.long))
            if prompt and task == 'vos':
                gt.masks = np.stack(prompt['data'])
            elif prompt:
                gt.points = torch.from_numpy(np.stack(prompt['data']))
            frame.gt_instances = gt
        with torch.no_grad():
            preds = self.model.predict_vos_window(
                data['inputs'], samples,
                list(range(start, start + len(frames))), task,
                reset=self._vos_fresh)
        self._vos_fresh = False
        frames_out = samples[0].video_data_samples
        for frame, pred in zip(frames_out, preds):
            frame.pred_track_instances = pred
        win = _Window(start, frames_out)
        win.prompted = True
        return win

    # ------------------------------------------------------------------
    def step(self, frame: np.ndarray) -> List[FrameResult]:
        """Add the next frame; return the results that became final."""
        if self.memory_budget_mb is not None and self._count == 0:
            need = self.window * frame.nbytes / 2**20
            if need > self.memory_budget_mb:
                raise ValueError(
                    f'window={self.window} frames of {frame.shape} need '
                    f'{need:.0f} MB > memory_budget_mb='
                    f'{self.memory_budget_mb}; lower the window')
        if self._ttt is not None:  # adapt and predict at once
            result = self._ttt.step(frame, self._count)
            result.image = frame
            self._count += 1
            self._reported = self._count
            return [result]
        self._ring.append(frame)
        self._count += 1
        if self._count == self._next_start + self.window:
            return self._run(self._next_start, final=False)
        return []

    def flush(self) -> List[FrameResult]:
        """End of stream: run the last window, return every frame left."""
        if self._reported >= self._count:
            out = []
        elif self._prev is not None and \
                self._prev.start + self.window == self._count:
            # the last full window ended exactly here: report its tail
            out = self._with_images([
                self._prev.result(f - self._prev.start)
                for f in range(self._reported, self._count)
            ])
        else:
            out = self._run(self._count - len(self._ring), final=True)
        self.reset()
        return out

    def propagate(self, source: Source,
                  max_frames: Optional[int] = None) -> Iterator[FrameResult]:
        """Results of every frame of ``source`` (see :func:`iter_frames`),
        in order, each as soon as it is final."""
        self.reset()
        for frame in iter_frames(source, max_frames):
            yield from self.step(frame)
        yield from self.flush()

    # ------------------------------------------------------------------
    def _call(self, frames: List[np.ndarray], **extra) -> list:
        packed = self._pipeline(_frame_results(frames, **extra))
        with torch.no_grad():
            return list(self.model.test_step(pseudo_collate([packed]))[0])

    def _predict(self, start: int, frames: List[np.ndarray]) -> _Window:
        if self._vos_prompts:
            return self._predict_objects(start, frames)
        if 'text' in getattr(self.model, 'prompt_types', ()):
            if not self._texts:
                raise ValueError(
                    f'{type(self.model).__name__} needs a sentence: call '
                    "session.add_prompt(text='...') before the frames")
            per_text = {
                obj: self._call(frames, text=t, exp_id=str(obj),
                                is_annotated=True)
                for obj, t in self._texts.items()
            }
            samples = []
            for k in range(len(frames)):
                parts = []
                for obj, out in per_text.items():
                    inst = out[k].pred_track_instances[:1]  # rvos: top query
                    inst.instances_id = torch.full((len(inst), ), obj,
                                                   dtype=torch.long)
                    parts.append(inst)
                sample = per_text[next(iter(per_text))][k]
                sample.pred_track_instances = InstanceData.cat(parts)
                samples.append(sample)
            win = _Window(start, samples)
            win.prompted = True
            return win
        return _Window(start, self._call(frames), self._label_divisor)

    def _with_images(self, out: List[FrameResult]) -> List[FrameResult]:
        """Attach each result's frame (every reported frame is still in
        the ring)."""
        first_held = self._count - len(self._ring)
        for r in out:
            r.image = self._ring[r.frame_idx - first_held]
        return out

    def _run(self, start: int, final: bool) -> List[FrameResult]:
        frames = list(self._ring)[start - (self._count - len(self._ring)):]
        win = _Window(start, []) if not frames else \
            self._predict(start, frames)
        prev = self._prev
        shape = frames[0].shape[:2]
        shared = [] if prev is None else \
            list(range(start, prev.start + self.window))
        if getattr(win, 'prompted', False):  # ids are the prompts' ids
            ids = torch.tensor(win.local_ids, dtype=torch.long)
            first = self._reported if not shared else max(
                self._reported,
                start + handover(prev.start, start, self.window))
        elif not shared:  # the first window, or windows without overlap
            ids = self._linker.new_ids(len(win.local_ids))
            first = self._reported
        else:
            prev_labels = prev.labels()
            link = self._linker.link(
                torch.tensor([prev.global_ids[i] for i in prev.local_ids],
                             dtype=torch.long),
                prev.stack([f - prev.start for f in shared], shape),
                win.stack([f - start for f in shared], shape),
                *((prev_labels, win.labels()) if self.class_aware else
                  (None, None)),
                prev_last=prev.ends(shape, last=True) if
                self.max_missing and prev.local_ids else None,
                cur_first=win.ends(shape, last=False) if
                self.max_missing and win.local_ids else None)
            ids = link.ids
            first = max(self._reported,
                        start + handover(prev.start, start, self.window))
        win.global_ids = dict(zip(win.local_ids, ids.tolist()))
        if shared and not getattr(win, 'prompted', False):
            for r, c in link.carried:  # tracks carried on another's mask
                local = prev.local_ids[r]
                win.carry(prev.global_ids[local], int(prev_labels[r]),
                          prev.last_score(local), win.local_ids[c])
        out = []
        if prev is not None and shared:  # frames the previous window owns
            out += [prev.result(f - prev.start)
                    for f in range(self._reported, first)]
        next_start = start + self.window - self.overlap
        stop = self._count if final else \
            next_start + handover(start, next_start, self.window)
        out = self._with_images(
            out + [win.result(f - start) for f in range(first, stop)])
        self._reported = stop
        self._prev = win
        self._next_start = next_start
        return out
