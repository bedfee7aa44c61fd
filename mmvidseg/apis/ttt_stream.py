# Copyright (c) mmvidseg contributors. All rights reserved.
"""Video-TTT in the streaming session: adapt, then predict, frame by frame.

Video-TTT (Wang et al., "Test-Time Training on Video Streams") is an image
model that adapts online: before frame t is predicted, one optimiser step
on the masked-reconstruction loss over the last ``window_size`` frames
updates the weights, which carry to frame t + 1
(:class:`mmvidseg.engine.runner.OnlineTTT`, the loop ``tools/test_ttt.py``
runs). :class:`TTTStream` drives that same object from
:class:`~mmvidseg.apis.VideoSession`: each frame goes through the config's
test pipeline, joins the window, gets its TTT step and is predicted at
once, so a result leaves the session with its frame (no window latency) and
memory is bounded by the TTT window (``window_size`` pipeline-sized
frames), the weights and one checkpoint copy, not by the stream.

The model's outputs are per-frame maps, not tracks: semantic maps
(``FrameResult.semantic``), panoptic maps and instance masks. The thing
segments / instances of consecutive frames are linked into tracks by the
session's :class:`~mmvidseg.models.trackers.window_linking.WindowLinker`
(mask IoU between frame t - 1 and frame t, class-aware, ids from 1), which
is the session's addition, not part of Video-TTT. What cannot stream:
the paper's "offline TTT-MAE, all frames" variant trains on the whole video
before predicting any frame (not implemented in mmvidseg either).
"""
import copy
from typing import Optional

import numpy as np
import torch
from mmengine.dataset import Compose, pseudo_collate

from mmvidseg.engine.runner.online_ttt import OnlineTTT
from mmvidseg.models.trackers.window_linking import WindowLinker

_ANNOTATION_LOADERS = ('LoadStreamSemSeg', 'LoadAnnotations',
                       'mmdet.LoadAnnotations', 'LoadPanopticAnnotations',
                       'mmdet.LoadPanopticAnnotations', 'LoadTrackAnnotations')


def is_ttt_model(model) -> bool:
    """Whether ``model`` is a Video-TTT Y-model (``Mask2FormerTTT``)."""
    return all(hasattr(model, k) for k in ('loss_recon', 'patch_mask',
                                            'has_recon_head'))


def image_pipeline(cfg) -> Compose:
    """The config's per-image test pipeline, reading frames from memory
    (annotation loaders dropped)."""
    from mmvidseg.registry import TRANSFORMS
    steps = []
    for t in copy.deepcopy(cfg.test_dataloader.dataset.pipeline):
        if t['type'] in _ANNOTATION_LOADERS:
            continue
        if t['type'] in ('LoadImageFromFile', 'mmdet.LoadImageFromFile'):
            t = dict(type='mmdet.LoadImageFromNDArray')
        steps.append(t)
    return Compose([TRANSFORMS.build(t) for t in steps])


class TTTStream:
    """One Video-TTT stream: :class:`OnlineTTT` plus frame-to-frame ids.

    Args:
        model (nn.Module): ``Mask2FormerTTT`` from
            :func:`mmvidseg.apis.init_model` (its weights now are the
            checkpoint weights every stream starts from).
        iou_thr (float): Mask IoU to link a segment to the previous frame's.
        max_missing (int): Frames a segment survives unseen
            (:class:`WindowLinker`).
        ttt (dict, optional): ``mode`` (``'online'`` / ``'standard'`` /
            ``'frozen'``) and :class:`OnlineTTT` keyword arguments; they
            override the config's ``test_cfg`` (``mode``, ``ttt``).
    """

    def __init__(self, model, iou_thr: float = 0.5, max_missing: int = 0,
                 ttt: Optional[dict] = None) -> None:
        loop = dict((getattr(model, 'cfg', None) or {}).get('test_cfg')
                    or {})
        kwargs = dict(loop.get('ttt') or {})
        kwargs.update(ttt or {})
        mode = kwargs.pop('mode', loop.get('mode', 'online'))
        if mode == 'offline':
            raise NotImplementedError(
                "ttt mode='offline' (the paper's offline TTT-MAE, all "
                'frames) trains on the whole video before it predicts any '
                "frame, so it cannot stream (nor is it implemented); use "
                "'online', 'standard' or 'frozen'")
        self.ttt = OnlineTTT(model, mode=mode, **kwargs)
        self.pipeline = image_pipeline(model.cfg)
        self.iou_thr, self.max_missing = iou_thr, max_missing
        self.label_divisor = 1000  # mmdet's panoptic encoding
        self.reset()

    @property
    def window_size(self) -> int:
        return self.ttt.window_size

    def reset(self) -> None:
        """Checkpoint weights, empty window, fresh optimiser and ids."""
        self.ttt.start_video('stream')
        self.linker = WindowLinker(self.iou_thr, self.max_missing,
                                   carry_other_class=False, next_id=1)
        self.prev = None  # (ids, labels, masks) of the last frame

    def step(self, frame: np.ndarray, frame_idx: int):
        """Push, adapt, predict one BGR frame; its :class:`FrameResult`."""
        from .session import FrameResult
        item = self.pipeline(dict(img=frame, img_id=frame_idx,
                                  img_path=None, frame_id=frame_idx,
                                  video_id=0))
        self.ttt.push(item['inputs'], frame_idx, f'stream frame {frame_idx}')
        self.ttt.step()
        pred = self.ttt.predict(pseudo_collate([item]))[0]
        semantic = panoptic = None
        if 'pred_sem_seg' in pred:
            semantic = _numpy_map(pred.pred_sem_seg.sem_seg)
        if 'pred_panoptic_seg' in pred:
            panoptic = _numpy_map(pred.pred_panoptic_seg.sem_seg)
        if 'pred_instances' in pred:
            inst = pred.pred_instances
            masks = inst.masks.cpu().numpy().astype(bool)
            labels = inst.labels.cpu().numpy().astype(np.int64)
            scores = inst.scores.cpu().numpy().astype(np.float32)
        elif panoptic is not None:  # the thing segments are the tracks
            labels_map = panoptic % self.label_divisor
            inst_map = panoptic // self.label_divisor
            segs = np.unique(inst_map[inst_map > 0])
            masks = np.stack([inst_map == s for s in segs]) if len(segs) \
                else np.zeros((0, ) + panoptic.shape, bool)
            labels = np.array([np.bincount(labels_map[m]).argmax()
                               for m in masks], np.int64)
            scores = np.ones(len(segs), np.float32)
        else:
            shape = semantic.shape if semantic is not None else \
                frame.shape[:2]
            masks = np.zeros((0, ) + tuple(shape), bool)
            labels = np.zeros(0, np.int64)
            scores = np.zeros(0, np.float32)
        ids = self._link(masks, labels)
        if panoptic is not None and 'pred_instances' not in pred:
            # the session's ids in the map (stuff and void keep track 0)
            out = panoptic % self.label_divisor
            for m, lab, i in zip(masks, labels, ids):
                out[m] = lab + i * self.label_divisor
            panoptic = out
        return FrameResult(frame_idx=frame_idx, track_ids=ids, labels=labels,
                           scores=scores, masks=masks, panoptic=panoptic,
                           semantic=semantic)

    def _link(self, masks: np.ndarray, labels: np.ndarray) -> np.ndarray:
        cur = torch.from_numpy(masks)
        lab = torch.from_numpy(labels)
        if self.prev is None:
            ids = self.linker.new_ids(len(masks))
        else:  # frame t - 1 against frame t
            ids = self.linker.link(self.prev[0], [self.prev[2]], [cur],
                                   self.prev[1], lab).ids
        self.prev = (ids, lab, cur)
        return ids.numpy().astype(np.int64)


def _numpy_map(seg) -> np.ndarray:
    """``(1, H, W)`` tensor -> ``(H, W)`` int64 array."""
    seg = seg.cpu().numpy() if torch.is_tensor(seg) else np.asarray(seg)
    return seg.reshape(seg.shape[-2:]).astype(np.int64)
