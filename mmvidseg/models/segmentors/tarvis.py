# Copyright (c) mmvidseg contributors. All rights reserved.
"""TarViS: target queries decoded against a space-time feature volume."""
from typing import Dict, List, Optional, Tuple

import torch
from mmdet.models.mot import BaseMOTModel
from mmdet.structures import TrackDataSample, TrackSampleList
from mmdet.structures.mask import mask2bbox
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from torch import Tensor

from mmvidseg.models.heads.tarvis_embedding_container import QUERY_GROUPS_VIS
from mmvidseg.models.losses.tarvis_losses import instance_masks_to_semantic
from mmvidseg.registry import MODELS
from ..trackers.tarvis_vis_linker import clip_frame_ids
from .tarvis_targets import clip_targets, semantic_targets
from .tarvis_vos import VOS_TASKS, TarViSVOSMixin


@MODELS.register_module()
class TarViS(TarViSVOSMixin, BaseMOTModel):
    """TarViS: VIS, VPS, VOS and point-exemplar tracking with one model.

    Re-implements the VIS / VPS paths of ``TarvisTrainModel`` and
    ``TarvisInferenceModel`` of "TarViS: A Unified Approach for
    Target-based Video Segmentation" (Athar et al., CVPR 2023), official
    files ``Ali2500/TarViS: tarvis/modelling/tarvis_model_base.py``,
    ``tarvis/training/tarvis_train_model.py`` and ``tarvis/inference/
    tarvis_inference_model.py``.

    Backbone (frames folded into the batch) -> :class:`TarViSTemporalNeck`
    -> :class:`TarViSDecoder` with the query set ``[instance (128),
    background (1), semantic (C of the dataset)]`` from
    :class:`TarViSEmbeddingContainer`. Class logits are dot products with
    the dataset's semantic queries (no linear classifier), so one model
    serves several datasets: ``dataset_name`` (or a data sample's
    ``dataset_name`` metainfo) picks the semantic block.

    Frames are padded bottom/right to a multiple of 64 with the value 128
    (0..255 RGB) **before** normalisation, as the official code; the data
    preprocessor pads after normalising, so the padded area is overwritten
    with the normalised 128 here (set ``pad_size_divisor=64``).

    Training (``loss``): ``instance_loss`` (:class:`TarViSInstanceLoss`) on
    the instance masks / class logits of all ``L+1`` prediction sets plus
    ``semantic_loss`` (:class:`TarViSSemanticLoss`) on ``[max over
    background masks, semantic masks]`` with GT rasterised from the
    instances (VIS).

    Inference (``predict``): the video is split into clips of
    ``test_cfg.clip_length`` frames overlapping by ``test_cfg.overlap``
    (official ``InferenceDataset``); each clip gives 128 mask-logit tracks
    and ``1+C`` class logits (:meth:`predict_clip`), which
    ``test_cfg.linker`` (default :class:`TarViSVISLinker`: official clip
    linking + YouTube-VIS / OVIS top-K over track x class) turns into tracks.

    VOS / PET (``task='vos'`` / ``'pet'``, or a batch's ``task``
    metainfo): :class:`TarViSObjectEncoder` turns the reference frame's
    masks (training; 30 % of the objects as their most interior point) or
    the exemplars (inference) into ``[16 background, object]`` queries for
    the same decoder; an object's mask is the max over its queries;
    ``vos_loss`` (:class:`TarViSVOSLoss`). Inference follows the official
    clip loop (``tarvis/inference/main.py``): clips start at the first
    exemplar frame, object queries are re-initialised every clip from the
    previous clip's masks in the overlap plus exemplars given in this clip,
    lost objects are dropped, all lost -> reset, logits before an object's
    exemplar frame are -1e3; :class:`TarViSVOSAccumulator` writes
    ``pred_track_instances`` (DAVISMetric / BURSTHOTAMetric). The data
    contract is in ``configs/tarvis/README.md``.

    Args:
        backbone (dict): Backbone config (``mmdet.ResNet``,
            ``mmdet.SwinTransformer``...).
        neck (dict): :class:`TarViSTemporalNeck` config.
        embedding_container (dict): :class:`TarViSEmbeddingContainer`.
        decoder (dict): :class:`TarViSDecoder` config.
        instance_loss (dict): :class:`TarViSInstanceLoss` config.
        semantic_loss (dict): :class:`TarViSSemanticLoss` config.
        dataset_name (str): Default semantic block, e.g. ``'YOUTUBE_VIS'``.
        task (str): ``'vis'`` (default), ``'vps'``, ``'vos'`` or ``'pet'``
            (a batch's ``task`` metainfo overrides it). VPS trains the
            semantic queries on ``gt_sem_seg`` (void 255 ignored; the
            ``semantic_loss`` then plays the official ``PanopticSegLoss``
            semantic part) and :meth:`predict_clip` returns the semantic
            logits without the background row.
        object_encoder (dict, optional): :class:`TarViSObjectEncoder`
            (needed for VOS / PET).
        vos_loss (dict, optional): :class:`TarViSVOSLoss`.
        test_cfg (dict, optional): ``clip_length`` (12), ``overlap`` (6),
            ``linker`` (``dict(type='TarViSVISLinker')``; OVIS:
            ``max_tracks_per_video=20``).
        train_cfg (dict, optional): Unused.
        pad_value (float): Padding on the 0..255 scale. Defaults to 128.
        data_preprocessor (dict, optional): ``VideoDataPreprocessor``.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 embedding_container: ConfigType,
                 decoder: ConfigType,
                 instance_loss: ConfigType,
                 semantic_loss: ConfigType,
                 dataset_name: str,
                 task: str = 'vis',
                 object_encoder: OptConfigType = None,
                 vos_loss: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 pad_value: float = 128.0,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.embedding_container = MODELS.build(embedding_container)
        self.decoder = MODELS.build(decoder)
        if object_encoder is not None:
            self.object_encoder = MODELS.build(object_encoder)
        self.instance_loss = MODELS.build(instance_loss)
        self.semantic_loss = MODELS.build(semantic_loss)
        self.embedding_container.check_dataset(dataset_name)
        self.dataset_name = dataset_name
        if task not in ('vis', 'vps') + VOS_TASKS:
            raise ValueError("TarViS task must be 'vis', 'vps', 'vos' or "
                             f"'pet', got {task!r}")
        if task in VOS_TASKS and object_encoder is None:
            raise ValueError(f"TarViS(task={task!r}) needs an object_encoder"
                             " (dict(type='TarViSObjectEncoder'))")
        self.vos_loss = MODELS.build(vos_loss or dict(type='TarViSVOSLoss'))
        self.vos_accumulator = MODELS.build(
            (test_cfg or {}).get('vos_accumulator',
                                 dict(type='TarViSVOSAccumulator')))
        self.reset_vos_state()
        self.task = task
        self._check_padding()
        self.pad_value = pad_value
        self.train_cfg = train_cfg
        self.test_cfg = dict(
            clip_length=12, overlap=6, linker=dict(type='TarViSVISLinker'))
        self.test_cfg.update(test_cfg or {})
        self.linker = MODELS.build(self.test_cfg['linker'])

    def _check_padding(self) -> None:
        """Frames must be padded to a multiple of the neck's temporal
        window (the reference pads to 64), else a frame whose 1/32 map has
        an odd side fails in the neck; say so when the model is built."""
        divisor = getattr(self.data_preprocessor, 'pad_size_divisor', None)
        window = getattr(self.neck, 'temporal_window_size', None)
        if divisor and window and divisor % window:
            raise ValueError(
                f'TarViS: data_preprocessor.pad_size_divisor={divisor} is not '
                f"a multiple of the neck's temporal_window_size={window}: a "
                f'frame whose padded side is not a multiple of {window} '
                '(e.g. a 1/32 feature map with an odd side) cannot be split '
                f'into temporal windows; set pad_size_divisor={window}')

    # ------------------------------------------------------------- features
    def fill_padding(self, inputs: Tensor,
                     data_samples: TrackSampleList) -> Tensor:
        """Overwrite the bottom/right padding with normalised ``pad_value``.

        Args:
            inputs (Tensor): ``(N, T, C, H, W)`` normalised, padded.
            data_samples (list[TrackDataSample]): ``img_shape`` per clip.
        """
        mean = getattr(self.data_preprocessor, 'mean', None)
        if mean is None:
            return inputs
        value = ((self.pad_value - mean) /
                 self.data_preprocessor.std).view(1, -1, 1, 1)  # (1, C, 1, 1)
        inputs = inputs.clone()
        for clip, sample in zip(inputs, data_samples):
            h, w = sample[0].metainfo['img_shape'][:2]
            clip[:, :, h:, :] = value
            clip[:, :, :h, w:] = value
        return inputs

    def extract_feat(self, inputs: Tensor) -> Tuple[List[Tensor], Tensor]:
        """``(N, T, C, H, W)`` -> ``([f32, f16, f8], mask_features)``, each
        ``(N, 256, T, h, w)``."""
        if inputs.dim() != 5:
            raise ValueError('TarViS expects inputs of shape (N, T, C, H, W) '
                             f'from VideoDataPreprocessor, got '
                             f'{tuple(inputs.shape)}')
        num_frames = inputs.shape[1]
        feats = self.backbone(inputs.flatten(0, 1))  # (N*T, C, H, W) in
        return self.neck(feats, num_frames)

    def clip_dataset(self, data_samples: TrackSampleList) -> str:
        """Dataset name of a batch (metainfo ``dataset_name`` or default)."""
        names = {
            s[0].metainfo.get('dataset_name', self.dataset_name)
            if len(s) else self.dataset_name
            for s in data_samples
        }
        if len(names) != 1:
            raise ValueError(f'one batch mixes datasets {sorted(names)}; '
                             'TarViS batches must come from one dataset')
        name = names.pop()
        self.embedding_container.check_dataset(name)
        return name

    def batch_task(self, data_samples: TrackSampleList) -> str:
        """Task of a batch: ``task`` metainfo of its clips or ``task``."""
        tasks = {
            s[0].metainfo.get('task', self.task) if len(s) else self.task
            for s in data_samples
        }
        if len(tasks) != 1:
            raise ValueError(f'one batch mixes tasks {sorted(tasks)}; '
                             'TarViS batches must hold one task')
        task = tasks.pop()
        if task not in ('vis', 'vps') + VOS_TASKS:
            raise ValueError(f'unknown TarViS task {task!r} in metainfo')
        if task in VOS_TASKS and not hasattr(self, 'object_encoder'):
            raise ValueError(f'task {task!r} needs an object_encoder')
        return task

    def decode(self,
               feats: List[Tensor],
               mask_features: Tensor,
               dataset_name: str,
               last_only: bool = False) -> Dict[str, Tensor]:
        """Run the decoder with the VIS / VPS query set.

        ``last_only`` keeps only the last prediction set (inference).

        Returns:
            dict: The decoder outputs plus ``groups``: mask logits
            ``(L+1, B, Q_g, T, h, w)`` per query group.
        """
        groups = list(QUERY_GROUPS_VIS)
        inits, embeds, sizes = self.embedding_container.query_set(
            groups, mask_features.shape[0], dataset_name)
        out = self.decoder(feats, mask_features, inits, embeds, groups,
                           sizes, last_only=last_only)
        masks = out['mask_logits'].split(sizes, 2)  # (L, B, Q_g, T, h, w)
        out['groups'] = dict(zip(groups, masks))
        return out

    # ----------------------------------------------------------------- loss
    def loss(self, inputs: Tensor, data_samples: TrackSampleList,
             **kwargs) -> dict:
        """Losses of a batch of clips.

        Args:
            inputs (Tensor): ``(N, T, C, H, W)``.
            data_samples (list[TrackDataSample]): N clips of T frames with
                ``gt_instances`` (``masks`` padded to the input, ``labels``
                0-based, ``instances_ids``).

        Returns:
            dict: Instance and semantic losses of all prediction sets.
        """
        if len(data_samples) != inputs.shape[0]:
            raise ValueError(f'{len(data_samples)} data samples for a batch '
                             f'of {inputs.shape[0]} clips')
        inputs = self.fill_padding(inputs, data_samples)
        task = self.batch_task(data_samples)
        if task in VOS_TASKS:  # no semantic block: dataset name not checked
            return self.loss_vos(inputs, data_samples)
        dataset_name = self.clip_dataset(data_samples)
        feats, mask_features = self.extract_feat(inputs)
        out = self.decode(feats, mask_features, dataset_name)
        gt_masks, gt_labels = clip_targets(data_samples, inputs.shape[1],
                                           inputs.shape[-2:],
                                           inputs.device)
        groups = out['groups']
        losses = self.instance_loss(groups['instance'], out['class_logits'],
                                    gt_masks, gt_labels)
        if task == 'vps':
            gt_semantic, ignore = (x.to(inputs.device) for x in
                                   semantic_targets(data_samples,
                                                    inputs.shape[-2:]))
            losses.update(
                self.semantic_loss(groups['semantic'], gt_semantic, ignore))
        else:
            semantic_logits = torch.cat(
                [groups['background'].max(2, keepdim=True)[0],
                 groups['semantic']], 2)  # (L, B, 1+C, T, h, w)
            gt_semantic = instance_masks_to_semantic(gt_masks, gt_labels)
            losses.update(self.semantic_loss(semantic_logits, gt_semantic))
        return losses

    # ------------------------------------------------------------ inference
    def predict_clip(self, clip: Tensor, dataset_name: str,
                     task: Optional[str] = None) -> Dict[str, Tensor]:
        """Raw outputs of one clip (official ``TarvisInferenceModel``).

        Args:
            clip (Tensor): ``(1, T, C, H, W)`` normalised, padded to 64.
            dataset_name (str): Semantic block.
            task (str, optional): ``'vis'`` / ``'vps'``; default ``task``.

        Returns:
            dict: ``mask_logits`` ``(Q, T, H/4, W/4)`` (instance queries),
            ``class_logits`` ``(Q, 1+C)`` (background first) and
            ``semantic_logits`` ``(1+C, T, H/4, W/4)`` ([max bg, semantic];
            VPS: ``(C, T, H/4, W/4)``).
        """
        feats, mask_features = self.extract_feat(clip)
        out = self.decode(feats, mask_features, dataset_name, last_only=True)
        groups = out['groups']
        semantic = groups['semantic'][-1, 0]  # (C, T, h, w)
        if (task or self.task) == 'vis':
            semantic = torch.cat([
                groups['background'][-1, 0].max(0, keepdim=True)[0],
                semantic
            ])  # (1+C, T, h, w)
        return dict(
            mask_logits=groups['instance'][-1, 0],
            class_logits=out['class_logits'][-1, 0],
            semantic_logits=semantic)

    def predict(self,
                inputs: Tensor,
                data_samples: TrackSampleList,
                rescale: bool = True,
                **kwargs) -> TrackSampleList:
        """Tracks of one whole video.

        Args:
            inputs (Tensor): ``(1, T, C, H, W)``: all frames of one video.
            data_samples (list[TrackDataSample]): One video of T frames.
            rescale (bool): Unused; masks are always at ``ori_shape``.

        Returns:
            list[TrackDataSample]: Per frame ``pred_track_instances``
            (``masks`` bool at ``ori_shape``, ``bboxes``, ``scores``,
            ``labels`` 0-based, ``instances_id``).
        """
        if inputs.shape[0] != 1 or len(data_samples) != 1:
            raise ValueError('TarViS predicts one whole video per call '
                             f'(batch size 1), got {inputs.shape[0]} videos')
        # the padding is filled per clip (``inputs[:, ids]`` is a copy): a
        # filled copy of the whole video would grow with its length
        task = self.batch_task(data_samples)
        if task in VOS_TASKS:
            return self.predict_vos(inputs, data_samples, task)
        dataset_name = self.clip_dataset(data_samples)
        frames = data_samples[0].video_data_samples
        meta = frames[0].metainfo
        h, w = meta['img_shape'][:2]
        pad = (inputs.shape[-1] - w, inputs.shape[-2] - h)
        ori_shape = meta['ori_shape'][:2]
        self.linker.reset(
            num_frames=inputs.shape[1], pad=pad, ori_shape=ori_shape)
        for ids in clip_frame_ids(inputs.shape[1],
                                  self.test_cfg['clip_length'],
                                  self.test_cfg['overlap']):
            clip = self.fill_padding(inputs[:, ids], data_samples)
            out = self.predict_clip(clip, dataset_name, task)
            self.linker.add_clip(out, ids)
        results = self.linker.finalize()
        field = getattr(self.linker, 'output_field', 'pred_track_instances')
        for frame, pred in zip(frames, results):
            if field == 'pred_track_instances' and 'bboxes' not in pred:
                pred.bboxes = mask2bbox(pred.masks)  # YouTubeVISMetric
            frame.set_field(pred, field)
        return [TrackDataSample(video_data_samples=frames)]
