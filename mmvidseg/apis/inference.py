# Copyright (c) mmvidseg contributors. All rights reserved.
"""Run a model on a user's video: an mp4 file or a folder of frames."""
import copy
import os
import os.path as osp
from typing import List, Optional, Union

import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)

from mmvidseg.registry import MODELS
from mmvidseg.utils import register_all_modules
from mmvidseg.utils.checkpoint_match import check_checkpoint_fits

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp')


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: str = 'cpu') -> torch.nn.Module:
    """Build a model from a config and load a checkpoint (file or URL).

    The config is kept on ``model.cfg`` (its ``test_pipeline`` prepares the
    frames) and the checkpoint's ``dataset_meta`` on ``model.dataset_meta``.
    """
    register_all_modules()
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    model = MODELS.build(cfg.model)
    model.cfg = cfg
    if checkpoint is not None:
        ckpt = _load_checkpoint(checkpoint, map_location='cpu')
        check_checkpoint_fits(model, ckpt, checkpoint)
        ckpt = _load_checkpoint_to_model(model, ckpt)
        model.dataset_meta = ckpt.get('meta', {}).get('dataset_meta', {})
    return model.to(device).eval()


def read_video(path: str, max_frames: Optional[int] = None) -> List[np.ndarray]:
    """BGR frames of a video file (anything OpenCV decodes) or a folder of
    images (sorted by name)."""
    if osp.isdir(path):
        names = sorted(n for n in os.listdir(path)
                       if n.lower().endswith(IMAGE_EXTS))
        if not names:
            raise FileNotFoundError(f'no {IMAGE_EXTS} images in {path}')
        frames = [cv2.imread(osp.join(path, n)) for n in names[:max_frames]]
    else:
        if not osp.isfile(path):
            raise FileNotFoundError(f'video {path!r} does not exist')
        cap = cv2.VideoCapture(path)
        frames = []
        while max_frames is None or len(frames) < max_frames:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(frame)
        cap.release()
        if not frames:
            raise ValueError(f'OpenCV decoded no frame from {path!r}')
    shapes = {f.shape for f in frames}
    if len(shapes) != 1:
        raise ValueError(f'{path}: frames have different sizes {shapes}')
    return frames


def _frame_pipeline(cfg: Config) -> Compose:
    """The config's test pipeline, reading frames from memory."""
    pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
    for step in pipeline:
        if step['type'] == 'TransformBroadcaster':
            transforms = []
            for t in step['transforms']:
                if t['type'] == 'LoadImageFromFile':
                    t = dict(type='mmdet.LoadImageFromNDArray')
                if t['type'] in ('LoadTrackAnnotations', 'LoadAnnotations',
                                 'LoadVideoPanopticAnnotations'):
                    continue
                transforms.append(t)
            step['transforms'] = transforms
    from mmvidseg.registry import TRANSFORMS
    return Compose([TRANSFORMS.build(t) for t in pipeline])


def inference_video(model: torch.nn.Module,
                    frames: List[np.ndarray],
                    video_id: int = 0,
                    text: Optional[str] = None) -> list:
    """Predict tracks for a whole video (one forward pass, as in testing).

    Args:
        model: From :func:`init_model`.
        frames: BGR frames (:func:`read_video`).
        video_id (int): Id put in the frames' metainfo.
        text (str, optional): Referring models (MTTR): the expression of the
            object to segment (one per call, as the official model).

    Returns:
        list[DetDataSample]: One per frame, each with
        ``pred_track_instances`` at the frames' original size.
    """
    num = len(frames)
    results = dict(
        img=list(frames),
        img_id=list(range(num)),
        img_path=[None] * num,
        frame_id=list(range(num)),
        video_id=[video_id] * num,
        video_length=[num] * num,
        ori_video_length=[num] * num)
    if text is not None:
        if not text.strip():
            raise ValueError('inference_video: empty referring expression')
        results.update(text=[text] * num, exp_id=['0'] * num,
                       is_annotated=[True] * num)
    packed = _frame_pipeline(model.cfg)(results)
    with torch.no_grad():
        out = model.test_step(pseudo_collate([packed]))
    return list(out[0])
