# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS VOS / point-exemplar tracking (PET): training and inference."""
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmdet.structures import TrackDataSample, TrackSampleList
from mmengine.structures import InstanceData
from torch import Tensor

from mmvidseg.models.heads.tarvis_embedding_container import QUERY_GROUPS_VOS
from mmvidseg.models.losses.tarvis_vos_loss import condense_object_logits
from mmvidseg.structures.mask_tensors import padded_mask_tensor
from ..trackers.tarvis_vis_linker import clip_frame_ids, resize_clip_logits

VOS_TASKS = ('vos', 'pet')


def _video_name(frame) -> str:
    meta = frame.metainfo
    return str(meta.get('video_name', meta.get('video_id', '?')))


def vos_clip_targets(data_samples: TrackSampleList, ref: int,
                     shape: Tuple[int, int],
                     device: torch.device) -> List[Tensor]:
    """Per clip, ``(N, T, H, W)`` bool masks of the objects visible in the
    reference frame ``ref`` (sorted by instance id), zero-padded to the
    input ``shape``; empty in frames where an object is absent."""
    out = []
    for clip_id, sample in enumerate(data_samples):
        frames = sample.video_data_samples
        ref_gt = frames[ref].gt_instances
        if 'masks' not in ref_gt or 'instances_ids' not in ref_gt:
            raise KeyError(f'clip {clip_id} (video {_video_name(frames[0])}'
                           '): TarViS VOS needs gt_instances.masks and '
                           '.instances_ids per frame')
        ref_masks = padded_mask_tensor(ref_gt.masks, *shape, device)
        keep = ref_masks.flatten(1).any(1)
        ids = ref_gt.instances_ids.to(device).long()[keep].unique()
        if ids.numel() == 0:
            raise ValueError(
                f'clip {clip_id} (video {_video_name(frames[0])}): no object '
                f'is visible in the reference frame {ref}; the VOS pipeline '
                'must pick a reference frame with objects')
        masks = torch.zeros((len(ids), len(frames), *shape),
                            dtype=torch.bool, device=device)
        for t, frame in enumerate(frames):
            gt = frame.gt_instances
            if len(gt) == 0:
                continue
            fid = gt.instances_ids.to(device).long()
            m = padded_mask_tensor(gt.masks, *shape, device)
            for row, iid in enumerate(ids.tolist()):
                hit = (fid == iid).nonzero()
                if len(hit):
                    masks[row, t] = m[hit[0, 0]]
        out.append(masks)
    return out


class TarViSVOSMixin:
    """VOS / PET paths of :class:`TarViS` (official ``tarvis_train_model``
    ``prepare_vos_inputs`` / ``compute_vos_outputs`` and
    ``tarvis_inference_model`` ``initialize_vos_queries`` + the
    ``inference/main.py`` clip loop)."""

    @property
    def prompt_types(self) -> tuple:
        """Prompts :class:`mmvidseg.apis.VideoSession` may pass (VOS masks /
        PET points need the object encoder)."""
        return ('masks', 'points') if hasattr(self, 'object_encoder') else ()

    # ------------------------------------------------------------- decode
    def decode_vos(self, feats: List[Tensor], mask_features: Tensor,
                   enc: Dict) -> Tuple[Tensor, Tensor]:
        """Decoder on ``[background_vos, vos]`` queries.

        Returns:
            tuple[Tensor, Tensor]: condensed object logits ``(L+1, B, N,
            T, h, w)`` and background logits ``(L+1, B, G, T, h, w)``.
        """
        obj, bg = enc['object_queries'], enc['bg_queries']
        if obj.dim() == 2:
            obj, bg = obj[None], bg[None]
        groups = list(QUERY_GROUPS_VOS)
        inits, embeds, sizes = self.embedding_container.query_set(
            groups, obj.shape[0], vos_inits=obj, vos_bg_inits=bg)
        out = self.decoder(feats, mask_features, inits, embeds, groups,
                           sizes)
        bg_logits, obj_logits = out['mask_logits'].split(sizes, 2)
        obj_logits = condense_object_logits(obj_logits,
                                            enc['object_query_counts'], 2)
        return obj_logits, bg_logits

    # --------------------------------------------------------------- loss
    def loss_vos(self, inputs: Tensor,
                 data_samples: TrackSampleList) -> Dict[str, Tensor]:
        """VOS / PET training losses (PET drawn inside the encoder)."""
        refs = {s[0].metainfo.get('ref_frame_index', 0) for s in data_samples}
        if len(refs) != 1:
            raise ValueError(f'a VOS batch needs one reference frame index, '
                             f'got {sorted(refs)}: put the reference frame '
                             'at the same position in every clip')
        ref = refs.pop()
        feats, mask_features = self.extract_feat(inputs)
        masks = vos_clip_targets(data_samples, ref, inputs.shape[-2:],
                                 inputs.device)
        counts = [m.shape[0] for m in masks]
        if len(set(counts)) > 1:  # official prepare_vos_inputs
            masks = [m[torch.randperm(n)[:min(counts)]]
                     for m, n in zip(masks, counts)]
        k = self.object_encoder._num_queries_per_object
        if masks[0].shape[0] * k > 32:  # official make_usable_as_vos_sample
            masks = [m[torch.randperm(m.shape[0])[:32 // k]] for m in masks]
        fmaps = [f[:, :, ref:ref + 1] for f in feats] + \
            [mask_features[:, :, ref:ref + 1]]
        enc = self.object_encoder(
            mode='train', fmaps=fmaps, ref_masks=[m[:, ref:ref + 1]
                                                  for m in masks])
        obj, bg = self.decode_vos(feats, mask_features, enc)
        logits = torch.cat([bg.max(2, keepdim=True)[0], obj], 2)
        return self.vos_loss(logits, masks)

    # ---------------------------------------------------------- exemplars
    def vos_exemplars(self, sample: TrackDataSample, task: str,
                      padded: Tuple[int, int]) -> List[dict]:
        """Exemplar of every object: its first frame in ``gt_instances``.

        Returns:
            list[dict]: ``frame``, ``id``, and ``mask`` ``(Hp, Wp)`` bool at
            the padded input (VOS) or ``point`` ``(y, x)`` normalised to the
            unpadded image (PET), in frame then row order.
        """
        seen, out = set(), []
        for t, frame in enumerate(sample.video_data_samples):
            gt = frame.get('gt_instances')
            if gt is None or len(gt) == 0:
                continue
            meta = frame.metainfo
            where = f'video {_video_name(frame)} frame {t}'
            h, w = meta['img_shape'][:2]
            oh, ow = meta['ori_shape'][:2]
            ids = gt.instances_ids.long().tolist()
            masks = points = None
            if task == 'pet':
                if 'points' not in gt:
                    raise KeyError(f'{where}: TarViS PET needs '
                                   'gt_instances.points (x, y) pixels')
                points = torch.as_tensor(gt.points, dtype=torch.float32)
            else:
                masks = gt.masks.masks if hasattr(gt.masks, 'masks') else \
                    np.asarray(gt.masks)
                if hasattr(masks, 'cpu'):
                    masks = masks.cpu().numpy()
            for row, iid in enumerate(ids):
                if iid in seen:
                    continue
                seen.add(iid)
                ex = dict(frame=t, id=iid)
                if points is not None:
                    x, y = points[row].tolist()
                    if not (0 <= x < ow and 0 <= y < oh):
                        raise ValueError(
                            f'{where}: the point ({x}, {y}) of object {iid} '
                            f'lies outside the {ow}x{oh} frame (points are '
                            '(x, y) pixels of the original frame)')
                    ex['point'] = ((y + 0.5) / oh, (x + 0.5) / ow)
                else:
                    m = masks[row].astype(np.float32)
                    if m.shape != (h, w):  # official ImagesResizer
                        m = cv2.resize(m, (w, h),
                                       interpolation=cv2.INTER_LINEAR)
                    m = torch.from_numpy(m > 0.5)
                    if not m.any():
                        raise ValueError(
                            f'{where}: the exemplar mask of object {iid} '
                            f'is empty at the network input size {h}x{w}; '
                            'drop the object or give a larger mask')
                    full = torch.zeros(padded, dtype=torch.bool)
                    full[:h, :w] = m
                    ex['mask'] = full
                out.append(ex)
        return out

    # ---------------------------------------------------------- inference
    def reset_vos_state(self) -> None:
        self._vos_prev = dict(logits=torch.empty(0), ids=[], frames=[])

    def init_clip_queries(self, feats: List[Tensor], mask_features: Tensor,
                          frame_ids: List[int], exemplars: List[dict],
                          pad: Tuple[int, int]) -> Optional[Dict]:
        """Official ``initialize_vos_queries`` for one clip; None when every
        object is lost and no exemplar starts in this clip."""
        prev = self._vos_prev
        fmap4 = mask_features[0].transpose(0, 1)  # (T, C, h, w)
        hp, wp = fmap4.shape[-2] * 4, fmap4.shape[-1] * 4
        f0 = frame_ids[0]
        active = [e['frame'] for e in exemplars]
        gt_ids = {e['id'] for e in exemplars}
        first_frame = {e['id']: e['frame'] - f0 for e in exemplars}
        overlap = sorted(set(prev['frames']) & set(frame_ids))
        active += overlap
        if not active:
            return None
        t_min, t_max = min(active), max(active)
        num_init = t_max - t_min + 1
        ref: Dict[int, Tensor] = {}

        def slot(iid):
            if iid not in ref:
                ref[iid] = torch.zeros((num_init, hp, wp), dtype=torch.bool,
                                       device=fmap4.device)
            return ref[iid]

        lost = []
        if overlap:
            n = len(overlap)
            masks = F.interpolate(prev['logits'][:, -n:], scale_factor=4.0,
                                  mode='bilinear', align_corners=False) > 0
            local = torch.tensor(overlap) - t_min
            for iid, m in zip(prev['ids'], masks):
                if not m.any():
                    if iid not in gt_ids:
                        lost.append(iid)
                    continue
                slot(iid)[local] = m
        point_ex = [e for e in exemplars if 'point' in e]
        for e in exemplars:
            if 'mask' in e:
                slot(e['id'])[e['frame'] - t_min] = e['mask'].to(fmap4.device)
        mask_ids = list(ref.keys())
        keep = sorted(set(active))
        keep_local = [t - t_min for t in keep]
        ref_masks = torch.stack([ref[i] for i in mask_ids])[:, keep_local] \
            if mask_ids else torch.zeros((0, len(keep), hp, wp),
                                         dtype=torch.bool)
        fmap = fmap4[[t - f0 for t in keep]].transpose(0, 1)  # (C, T', h, w)
        all_ids = mask_ids + [e['id'] for e in point_ex]
        if not all_ids:
            return None
        point_fmaps = point_coords = None
        if point_ex:
            local = [e['frame'] - f0 for e in point_ex]
            point_fmaps = [f[0][:, local].transpose(0, 1) for f in feats] + \
                [fmap4[local]]  # 4 x (N_p, C, h_i, w_i)
            point_coords = torch.tensor([e['point'] for e in point_ex],
                                        dtype=torch.float32)
        enc = self.object_encoder(
            mode='infer', fmap=fmap, ref_masks=ref_masks,
            point_fmaps=point_fmaps, point_coords=point_coords,
            image_padding=pad, names=[f'object {i}' for i in all_ids])
        enc.update(instance_ids=all_ids, lost_instance_ids=lost,
                   first_frame=first_frame)
        return enc

    def predict_clip_vos(self, clip: Tensor, frame_ids: List[int],
                         exemplars: List[dict],
                         pad: Tuple[int, int]) -> Optional[Dict]:
        """One VOS / PET clip: condensed object logits ``(N, T, h, w)``
        (frames before an object's exemplar set to -1e3), background
        logits ``(G, T, h, w)``, ``instance_ids``; None if all are lost."""
        feats, mask_features = self.extract_feat(clip)
        enc = self.init_clip_queries(feats, mask_features, frame_ids,
                                     exemplars, pad)
        if enc is None:
            return None
        obj, bg = self.decode_vos(feats, mask_features, enc)
        obj, bg = obj[-1, 0], bg[-1, 0]
        for i, iid in enumerate(enc['instance_ids']):
            t = enc['first_frame'].get(iid, 0)
            if t > 0:
                obj[i, :t] = -1e3
        self._vos_prev = dict(logits=obj, ids=enc['instance_ids'],
                              frames=list(frame_ids))
        return dict(object_logits=obj, background_logits=bg,
                    instance_ids=enc['instance_ids'],
                    lost_instance_ids=enc['lost_instance_ids'])

    def predict_vos(self, inputs: Tensor, data_samples: TrackSampleList,
                    task: str) -> TrackSampleList:
        """Whole-video VOS / PET inference (official ``process_sequence``)."""
        frames = data_samples[0].video_data_samples
        meta = frames[0].metainfo
        h, w = meta['img_shape'][:2]
        pad = (inputs.shape[-1] - w, inputs.shape[-2] - h)
        exemplars = self.vos_exemplars(data_samples[0], task,
                                       tuple(inputs.shape[-2:]))
        if not exemplars:
            raise ValueError(f'video {_video_name(frames[0])}: no exemplar '
                             '(gt_instances with masks / points) in any '
                             'frame; VOS / PET needs at least one')
        acc = self.vos_accumulator
        acc.reset(inputs.shape[1], pad=pad, ori_shape=meta['ori_shape'][:2])
        self.reset_vos_state()
        start = min(e['frame'] for e in exemplars)
        for ids in clip_frame_ids(inputs.shape[1],
                                  self.test_cfg['clip_length'],
                                  self.test_cfg['overlap'], start):
            ex = [e for e in exemplars if e['frame'] in ids]
            out = None
            if self._vos_prev['ids'] or ex:
                clip = self.fill_padding(inputs[:, ids], data_samples)
                out = self.predict_clip_vos(clip, ids, ex, pad)
            if out is None:  # official AllObjectsLostException
                acc.flush()
                acc.reset_buffers()
                self.reset_vos_state()
                continue
            acc.add_clip(out['object_logits'], out['instance_ids'], ids)
        for frame, pred in zip(frames, acc.finalize()):
            frame.pred_track_instances = pred
        self.reset_vos_state()
        return [TrackDataSample(video_data_samples=frames)]

    def predict_vos_window(self, inputs: Tensor,
                           data_samples: TrackSampleList,
                           frame_ids: List[int], task: str,
                           reset: bool = False) -> List[InstanceData]:
        """One streaming window = one clip, the state kept across calls.

        Used by :class:`mmvidseg.apis.VideoSession`: exemplars are the
        frames' ``gt_instances`` of this window; the object queries of the
        next window come from this window's masks in the overlap (as
        :meth:`predict_vos`). Unlike the offline accumulator, every frame of
        the window gets this clip's labels (argmax over objects where the
        max logit > 0); the session decides which window reports a frame.

        Args:
            inputs (Tensor): ``(1, T, C, Hp, Wp)`` from the preprocessor.
            data_samples (list[TrackDataSample]): The window's T frames.
            frame_ids (list[int]): Stream indices of the T frames.
            task (str): ``'vos'`` or ``'pet'``.
            reset (bool): Start a new stream.

        Returns:
            list[InstanceData]: Per frame ``masks`` ``(N, H, W)`` bool at
            ``ori_shape``, ``instances_id``, ``scores`` (1), ``labels`` (0).
        """
        if reset or not hasattr(self, '_vos_prev'):
            self.reset_vos_state()
        inputs = self.fill_padding(inputs, data_samples)
        frames = data_samples[0].video_data_samples
        meta = frames[0].metainfo
        h, w = meta['img_shape'][:2]
        oh, ow = meta['ori_shape'][:2]
        pad = (inputs.shape[-1] - w, inputs.shape[-2] - h)
        exemplars = self.vos_exemplars(data_samples[0], task,
                                       tuple(inputs.shape[-2:]))
        for e in exemplars:
            e['frame'] = frame_ids[e['frame']]
        out = None
        if self._vos_prev['ids'] or exemplars:
            out = self.predict_clip_vos(inputs, list(frame_ids), exemplars,
                                        pad)
        empty = InstanceData(
            masks=torch.zeros((0, oh, ow), dtype=torch.bool),
            instances_id=torch.zeros(0, dtype=torch.long),
            scores=torch.zeros(0), labels=torch.zeros(0, dtype=torch.long))
        if out is None:  # nothing to track (yet / any more)
            self.reset_vos_state()
            return [empty.clone() for _ in frames]
        logits = resize_clip_logits(out['object_logits'].float(), pad,
                                    (oh, ow))  # (N, T, H, W)
        best, idx = logits.max(0)
        label = torch.where(best > 0, idx + 1, torch.zeros_like(idx))
        ids = torch.tensor(out['instance_ids'], dtype=torch.long)
        results = []
        for t in range(len(frames)):
            masks = torch.stack([label[t] == k + 1 for k in range(len(ids))])
            keep = masks.flatten(1).any(1)
            results.append(InstanceData(
                masks=masks[keep], instances_id=ids[keep],
                scores=torch.ones(int(keep.sum())),
                labels=torch.zeros(int(keep.sum()), dtype=torch.long)))
        return results
