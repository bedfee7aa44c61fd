# Copyright (c) mmvidseg contributors. All rights reserved.
"""TeViT: QueryInst with a messenger-shift backbone and STQI heads."""
import copy
from typing import List, Tuple

from mmdet.models.mot import BaseMOTModel
from mmdet.structures import DetDataSample, TrackDataSample, TrackSampleList
from mmdet.utils import ConfigType, OptConfigType, OptMultiConfig
from mmengine.logging import print_log
from torch import Tensor

from mmvidseg.registry import MODELS
from .tevit_checkpoint import check_tevit_state_dict
from .tevit_chunked import predict_chunked


def flatten_clips(inputs: Tensor) -> Tuple[Tensor, int]:
    """Check a ``(N, T, C, H, W)`` batch and flatten it clip-major.

    Returns:
        tuple[Tensor, int]: ``(N*T, C, H, W)`` images and T.
    """
    if inputs.dim() != 5:
        raise ValueError('TeViT expects inputs of shape (N, T, C, H, W) from '
                         '`TrackDataPreprocessor`, got '
                         f'{tuple(inputs.shape)}.')
    return inputs.flatten(0, 1), inputs.shape[1]  # (N*T, C, H, W)


@MODELS.register_module()
class TeViT(BaseMOTModel):
    """Temporally Efficient Vision Transformer for video instance segmentation.

    Re-implements ``TeViT`` of "Temporally Efficient Vision Transformer for
    Video Instance Segmentation" (Yang et al., CVPR 2022, arXiv 2204.08412),
    official file ``hustvl/TeViT: mmdet/models/detectors/tevit.py``
    (``TeViT(QueryInst)`` in mmdet 2.23).

    The attribute names (``backbone``, ``neck``, ``rpn_head``, ``roi_head``)
    are those of mmdet's ``QueryInst``, so official TeViT checkpoints and COCO
    QueryInst checkpoints load by identity. Training takes clips of T frames
    (``(N, T, C, H, W)``); the backbone gets T when it has messenger tokens
    (:class:`MsgShifT`), the RoI head assigns once per clip. Inference runs
    the whole video as one clip (T = video length) unless ``test_cfg.chunk``
    is set, in which case :func:`predict_chunked` runs overlapping windows
    and links identities (mmvidseg extension, bounded memory).

    Loading checks (:func:`check_tevit_state_dict`): checkpoints of another
    model and class-count / query-count mismatches raise, except for the
    80-class COCO QueryInst initialisation, whose class-specific layers are
    skipped as in the official recipe (they stay at their initialisation).

    Args:
        backbone (dict): Backbone config (``MsgShifT``, ``ResNet``, ...).
        neck (dict): Neck config (``FPN``).
        rpn_head (dict): ``EmbeddingRPNHead`` config.
        roi_head (dict): ``TeViTRoIHead`` config.
        train_cfg (dict, optional): ``dict(rpn=None, rcnn=[...])``.
        test_cfg (dict): ``dict(rpn=None, rcnn=dict(max_per_img=10,
            mask_thr_binary=0.5), chunk=None)``; ``chunk=dict(
            num_frames=36, overlap=6)`` turns on chunked inference.
        reinit_mismatched_classes (bool): Skip (instead of raising on) class
            layers whose class count differs from the checkpoint's, e.g. to
            fine-tune a YouTube-VIS checkpoint on OVIS. Defaults to False.
        data_preprocessor (dict, optional): ``TrackDataPreprocessor`` config.
        init_cfg (dict, optional): Initialisation config.
    """

    def __init__(self,
                 backbone: ConfigType,
                 neck: ConfigType,
                 rpn_head: ConfigType,
                 roi_head: ConfigType,
                 test_cfg: ConfigType,
                 train_cfg: OptConfigType = None,
                 reinit_mismatched_classes: bool = False,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        rpn_head = copy.deepcopy(rpn_head)
        rpn_head.update(
            train_cfg=train_cfg.get('rpn') if train_cfg else None,
            test_cfg=test_cfg.get('rpn'))
        self.rpn_head = MODELS.build(rpn_head)
        roi_head = copy.deepcopy(roi_head)
        roi_head.update(
            train_cfg=train_cfg.get('rcnn') if train_cfg else None,
            test_cfg=test_cfg['rcnn'])
        self.roi_head = MODELS.build(roi_head)
        self.train_cfg = train_cfg
        self.test_cfg = test_cfg
        self.reinit_mismatched_classes = reinit_mismatched_classes

    @property
    def with_messengers(self) -> bool:
        """bool: whether the backbone exchanges information across frames."""
        return hasattr(self.backbone, 'msg_tokens')

    def extract_feat(self, img: Tensor, num_frames: int) -> Tuple[Tensor]:
        """Backbone + neck on ``(B*T, C, H, W)`` clip-major images."""
        if self.with_messengers:
            x = self.backbone(img, num_frames=num_frames)
        else:
            x = self.backbone(img)
        return self.neck(x)

    @staticmethod
    def _frames(data_samples: TrackSampleList,
                num_frames: int) -> List[DetDataSample]:
        """Flatten the frames of the clips, checking the clip lengths."""
        frames = []
        for clip_id, track_sample in enumerate(data_samples):
            if len(track_sample) != num_frames:
                video_id = track_sample[0].metainfo.get('video_id', '?') \
                    if len(track_sample) else '?'
                raise ValueError(
                    f'clip {clip_id} (video {video_id}) has '
                    f'{len(track_sample)} frame samples but the input tensor '
                    f'has T={num_frames} frames.')
            frames.extend(track_sample.video_data_samples)
        return frames

    def loss(self, inputs: Tensor, data_samples: TrackSampleList,
             **kwargs) -> dict:
        """Losses of a batch of clips.

        Args:
            inputs (Tensor): ``(N, T, C, H, W)``.
            data_samples (list[TrackDataSample]): N clips of T frames with
                ``gt_instances`` (``bboxes``, ``labels``, ``masks``,
                ``instances_ids``).

        Returns:
            dict: Per-stage losses of the RoI head.
        """
        img, num_frames = flatten_clips(inputs)
        if len(data_samples) != inputs.shape[0]:
            raise ValueError(f'{len(data_samples)} data samples for a batch '
                             f'of {inputs.shape[0]} clips.')
        frames = self._frames(data_samples, num_frames)
        for i, frame in enumerate(frames):
            if 'masks' not in frame.gt_instances:
                raise KeyError(
                    f'frame {i} of the batch has no gt masks; TeViT needs '
                    'instance masks: use `LoadTrackAnnotations(with_mask='
                    'True)`.')
        x = self.extract_feat(img, num_frames)
        rpn_results_list = self.rpn_head.predict(x, frames)
        return self.roi_head.loss(
            x, rpn_results_list, frames, num_frames=num_frames)

    def predict_clip(self, img: Tensor,
                     frames: List[DetDataSample],
                     rescale: bool = True) -> list:
        """Whole-clip inference on ``(T, C, H, W)`` frames of one video.

        Returns:
            list[InstanceData]: T frames of tracks (see
            :meth:`TeViTRoIHead.predict_video`).
        """
        x = self.extract_feat(img, img.shape[0])
        rpn_results_list = self.rpn_head.predict(x, frames)
        return self.roi_head.predict_video(
            x, rpn_results_list, [f.metainfo for f in frames],
            rescale=rescale)

    def predict(self,
                inputs: Tensor,
                data_samples: TrackSampleList,
                rescale: bool = True,
                **kwargs) -> TrackSampleList:
        """Predict tracks of one whole video.

        Args:
            inputs (Tensor): ``(1, T, C, H, W)``: all frames of one video.
            data_samples (list[TrackDataSample]): One video of T frames.
            rescale (bool): Masks and boxes at the original frame size.

        Returns:
            list[TrackDataSample]: Per frame ``pred_track_instances`` with
            ``masks`` (bool, ``ori_shape``), ``bboxes``, ``scores``,
            ``labels`` and ``instances_id``.
        """
        img, num_frames = flatten_clips(inputs)
        if inputs.shape[0] != 1 or len(data_samples) != 1:
            raise ValueError('TeViT predicts one whole video per call '
                             f'(batch size 1), got {inputs.shape[0]} videos.')
        frames = self._frames(data_samples, num_frames)
        chunk_cfg = self.test_cfg.get('chunk') if self.test_cfg else None
        if chunk_cfg and num_frames > chunk_cfg['num_frames']:
            results = predict_chunked(self, img, frames, rescale=rescale,
                                      **chunk_cfg)
        else:
            results = self.predict_clip(img, frames, rescale=rescale)
        for frame, pred in zip(frames, results):
            frame.pred_track_instances = pred
        return [TrackDataSample(video_data_samples=frames)]

    def _load_from_state_dict(self, state_dict: dict, prefix: str, *args,
                              **kwargs) -> None:
        """Check the checkpoint against this model before loading."""
        check_tevit_state_dict(
            self,
            state_dict,
            prefix,
            reinit_mismatched_classes=self.reinit_mismatched_classes,
            log=lambda msg: print_log(msg, logger='current'))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

