# Copyright (c) mmvidseg contributors. All rights reserved.
"""MTTR segmentor (referring video object segmentation).

Re-implements ``MTTR`` of ``mttr2021/MTTR: models/mttr.py`` with
``SetCriterion`` (``models/criterion.py``) and the post-processing of
``models/postprocessing.py`` (Botach et al., "End-to-End Referring Video
Object Segmentation with Multimodal Transformers", CVPR 2022).

Data convention (read from the first frame's metainfo of each
``TrackDataSample``): ``text`` (the referring expression, one per clip, as
mmdet's grounding models) and, in training, ``referred_instance_id`` (an
``instances_ids`` value of ``gt_instances``); every annotated instance of the
clip is a target sequence (absent frames are empty masks) and the referred
one is "visible" in the frames where its id appears.

Deliberate deviations and notes:

* batch-major ``(N, T, C, H, W)`` in, per-frame data samples out (the
  official model is time-major);
* the backbone sees every frame; the heads (and losses / predictions) see
  only the frames whose metainfo ``is_annotated`` is True (default True:
  all frames, Ref-YouTube-VOS). This is the official ``valid_indices``
  (A2D / JHMDB: the annotated centre frame of a window); as there, the
  selection must be the same for every clip of the batch. Frames left out
  get empty predictions (N = 0);
* ``test_cfg.mode='rvos'`` (Ref-YouTube-VOS post-processing): the query
  with the highest time-mean p(referred) is the prediction on every frame;
  ``mode='all'`` (A2D / JHMDB): all queries on every frame, scored by that
  frame's p(referred). Masks: bilinear to the padded input, sigmoid > 0.5,
  crop to ``img_shape``, nearest to ``ori_shape``.
"""
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmdet.models.mot import BaseMOTModel
from mmdet.structures import TrackDataSample, TrackSampleList
from mmengine.structures import InstanceData
from torch import Tensor

from mmvidseg.registry import MODELS
from mmvidseg.structures.mask_tensors import padded_mask_tensor


@MODELS.register_module()
class MTTR(BaseMOTModel):
    """MTTR: Video Swin backbone + :class:`MTTRHead` + :class:`MTTRCriterion`.

    Args:
        backbone (dict): :class:`MTTRVideoSwin`.
        head (dict): :class:`MTTRHead`.
        criterion (dict): :class:`MTTRCriterion`.
        test_cfg (dict, optional): ``mode`` ('rvos' or 'all'), ``mask_thr``
            (0.5), ``window`` (None: whole clip in one pass; an int: windows
            of that many frames, see :meth:`predict`).
        data_preprocessor (dict, optional): video data preprocessor.
        init_cfg (dict, optional): Initialisation config.
    """

    #: what :meth:`mmvidseg.apis.VideoSession.add_prompt` accepts
    prompt_types = ('text', )

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 criterion: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.head = MODELS.build(head)
        self.criterion = MODELS.build(criterion or dict(type='MTTRCriterion'))
        self.test_cfg = dict(mode='rvos', mask_thr=0.5)
        self.test_cfg.update(test_cfg or {})
        if self.test_cfg['mode'] not in ('rvos', 'all'):
            raise ValueError(f"MTTR: test_cfg.mode must be 'rvos' or 'all', "
                             f"got {self.test_cfg['mode']!r}")

    @staticmethod
    def _text(sample: TrackDataSample, index: int) -> str:
        meta = sample[0].metainfo
        if 'text' not in meta:
            raise KeyError(f'MTTR: clip {index} (video '
                           f"{meta.get('video_id', '?')}) has no metainfo "
                           "'text'; the dataset must put the referring "
                           'expression in every frame\'s metainfo')
        text = meta['text']
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f'MTTR: clip {index} (video '
                             f"{meta.get('video_id', '?')}) has an empty "
                             f'referring expression {text!r}; give a '
                             'sentence that names the object')
        return text

    @staticmethod
    def _pad_mask(samples: TrackSampleList, shape: Tuple[int, ...],
                  device: torch.device) -> Tensor:
        """(N, T, H, W) bool, True outside each frame's ``img_shape``."""
        n, t, _, h, w = shape
        mask = torch.ones((n, t, h, w), dtype=torch.bool, device=device)
        for i, sample in enumerate(samples):
            for j, frame in enumerate(sample):
                fh, fw = frame.metainfo.get('img_shape', (h, w))[:2]
                mask[i, j, :fh, :fw] = False
        return mask

    @staticmethod
    def annotated_frames(data_samples: TrackSampleList) -> List[int]:
        """Indices of the frames with metainfo ``is_annotated`` (default
        True), identical for every clip (official ``valid_indices``)."""
        frames = None
        for i, sample in enumerate(data_samples):
            idx = [j for j, f in enumerate(sample)
                   if f.metainfo.get('is_annotated', True)]
            if frames is not None and idx != frames:
                raise ValueError(
                    f'MTTR: clip {i} has annotated frames {idx}, clip 0 has '
                    f'{frames}; the heads need one selection per batch '
                    '(official valid_indices): batch clips alike')
            frames = idx
        if not frames:
            raise ValueError('MTTR: no frame has is_annotated=True')
        return frames

    def _forward(self, inputs: Tensor, data_samples: TrackSampleList,
                 frames: Optional[List[int]] = None
                 ) -> List[Dict[str, Tensor]]:
        """Head outputs on ``frames`` (default: the annotated ones)."""
        if frames is None:
            frames = self.annotated_frames(data_samples)
        feats = self.backbone(inputs)
        pad = self._pad_mask(data_samples, inputs.shape, inputs.device)
        if len(frames) != inputs.shape[1]:
            keep = torch.as_tensor(frames, device=inputs.device)
            feats = [f.index_select(1, keep) for f in feats]
            pad = pad.index_select(1, keep)
        texts = [self._text(s, i) for i, s in enumerate(data_samples)]
        return self.head(feats, pad, texts)

    def _clip_targets(self, sample: TrackDataSample, index: int, height: int,
                      width: int, device: torch.device,
                      keep: Optional[List[int]] = None
                      ) -> Tuple[Tensor, int, Tensor]:
        """(T', K, H, W) masks, referred index, (T',) visibility over the
        frames ``keep`` (default all)."""
        frames = list(sample)
        if keep is not None:
            frames = [frames[j] for j in keep]
        ref_id = frames[0].metainfo.get('referred_instance_id')
        if ref_id is None:
            raise KeyError(f'MTTR: clip {index} has no metainfo '
                           "'referred_instance_id' (an instances_ids value "
                           'of gt_instances)')
        ids: List[int] = []
        for f in frames:
            for i in f.gt_instances.instances_ids.tolist():
                if i not in ids:
                    ids.append(i)
        if ref_id not in ids:
            raise ValueError(f'MTTR: clip {index}: referred instance '
                             f'{ref_id} appears in no frame (ids {ids})')
        masks = torch.zeros((len(frames), len(ids), height, width),
                            device=device)
        visible = torch.zeros(len(frames), dtype=torch.bool, device=device)
        for t, f in enumerate(frames):
            m = padded_mask_tensor(f.gt_instances.masks, height, width, device)
            for k, i in enumerate(f.gt_instances.instances_ids.tolist()):
                masks[t, ids.index(i)] = m[k].float()
                visible[t] |= i == ref_id
        return masks, ids.index(ref_id), visible

    def loss(self, inputs: Tensor, data_samples: TrackSampleList,
             **kwargs) -> Dict[str, Tensor]:
        """Losses of a batch of (N, T, C, H, W) clips on the annotated
        frames."""
        keep = self.annotated_frames(data_samples)
        outs = self._forward(inputs, data_samples, keep)
        h, w = inputs.shape[-2:]
        targets = [
            self._clip_targets(s, i, h, w, inputs.device, keep)
            for i, s in enumerate(data_samples)
        ]
        masks, referred, visible = zip(*targets)
        return self.criterion(outs, list(masks), list(referred),
                              list(visible))

    def predict(self, inputs: Tensor, data_samples: TrackSampleList,
                rescale: bool = True, **kwargs) -> TrackSampleList:
        """Per frame ``pred_track_instances`` (``masks`` (K, H, W) bool at
        ``ori_shape`` (``img_shape`` if not ``rescale``), ``scores``,
        ``labels`` (0), ``instances_id`` (query index)); K = 1 in 'rvos'
        mode, all queries in 'all' mode; frames not annotated get K = 0.

        With ``test_cfg.window = W`` the clip is processed in consecutive
        windows of W frames (long videos: the activations no longer grow with
        the video length); in 'rvos' mode each window picks its own query
        (the highest mean p(referred) over the window's frames), as
        clip-wise R-VOS inference does. Official inference: ``window=None``
        (the whole video in one pass).
        """
        keep = self.annotated_frames(data_samples)
        t = inputs.shape[1]
        window = self.test_cfg.get('window') or t
        for start in range(0, t, window):
            end = min(start + window, t)
            sub_keep = [j - start for j in keep if start <= j < end]
            if not sub_keep:
                continue
            subs = []
            for sample in data_samples:
                sub = TrackDataSample(metainfo=sample.metainfo)
                sub.video_data_samples = list(sample)[start:end]
                subs.append(sub)
            out = self._forward(inputs[:, start:end], subs, sub_keep)[-1]
            self._predict_window(out, subs, sub_keep, inputs.shape[-2:],
                                 rescale)
        results = []
        for sample in data_samples:
            frames = list(sample)
            for j, frame in enumerate(frames):
                if j not in keep:
                    frame.pred_track_instances = self._empty(
                        frame, inputs, rescale)
            result = TrackDataSample()
            result.video_data_samples = frames
            results.append(result)
        return results

    @staticmethod
    def _size(frame, h: int, w: int, rescale: bool) -> Tuple[int, int]:
        fh, fw = frame.metainfo.get('img_shape', (h, w))[:2]
        return tuple(frame.metainfo.get('ori_shape', (fh, fw))[:2]
                     if rescale else (fh, fw))

    def _empty(self, frame, inputs: Tensor, rescale: bool) -> InstanceData:
        size = self._size(frame, *inputs.shape[-2:], rescale)
        inst = InstanceData()
        inst.masks = torch.zeros((0, *size), dtype=torch.bool,
                                 device=inputs.device)
        inst.scores = inputs.new_zeros(0)
        inst.labels = inputs.new_zeros(0, dtype=torch.long)
        inst.instances_id = inputs.new_zeros(0, dtype=torch.long)
        return inst

    def _predict_window(self, out: Dict[str, Tensor],
                        samples: TrackSampleList, keep: List[int],
                        pad_hw: Tuple[int, int], rescale: bool) -> None:
        """Set ``pred_track_instances`` on the frames ``keep`` of one window
        from the last decoder layer's outputs."""
        prob = out['pred_is_referred'].softmax(-1)[..., 0]  # (N, T', Q)
        h, w = pad_hw
        for i, sample in enumerate(samples):
            frames = list(sample)
            if self.test_cfg['mode'] == 'rvos':
                traj = prob[i].mean(0)  # (Q,)
                queries = traj.argmax().view(1)
                scores = traj[queries].expand(len(keep), 1)  # (T', 1)
            else:
                queries = torch.arange(prob.shape[-1], device=prob.device)
                scores = prob[i]  # (T', Q)
            logits = out['pred_masks'][i][:, queries]  # (T', K, h/4, w/4)
            for t, j in enumerate(keep):
                frame = frames[j]
                fh, fw = frame.metainfo.get('img_shape', (h, w))[:2]
                up = F.interpolate(logits[t:t + 1], size=(h, w),
                                   mode='bilinear', align_corners=False)
                binary = up[0, :, :fh, :fw].sigmoid() > \
                    self.test_cfg['mask_thr']  # (K, fh, fw)
                m = F.interpolate(binary.float().unsqueeze(1),
                                  size=self._size(frame, h, w, rescale),
                                  mode='nearest')
                inst = InstanceData()
                inst.masks = m[:, 0].bool()
                inst.scores = scores[t]
                inst.labels = torch.zeros_like(queries)
                inst.instances_id = queries.clone()
                frame.pred_track_instances = inst
