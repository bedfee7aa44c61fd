# Copyright (c) mmvidseg contributors. All rights reserved.
"""The per-video state machine of Video-TTT's online test-time training."""
import copy
import random
import time
from collections import deque
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from torch import nn

from .ttt_utils import AUGMENTS, draw_window_indices, ttt_param_groups

MODES = ('online', 'standard', 'frozen')


class OnlineTTT:
    """One model adapted frame by frame with masked reconstruction.

    Re-implements the test-time stage of Video-TTT (Wang et al., "Test-Time
    Training on Video Streams", arXiv 2307.05014;
    ``renwang435/video-ttt-release``: ``mask2former/data/dataloaders/mae.py``
    ``MAEDataloader`` and ``train_ttt_mae.py`` ``Trainer.run_step`` /
    ``build_optimizer``). Per frame :meth:`step`:

    1. the frame joins the window of the last ``window_size`` frames
       ("explicit memory"; a stream shorter than the window simply trains
       on all frames seen so far);
    2. ``standard`` restores the checkpoint weights; ``online`` keeps the
       weights left by the previous frame ("implicit memory"); ``frozen``
       stops here (the baseline);
    3. ``restart_optimizer`` builds a fresh AdamW (moments and step count
       reset, weights untouched; the lr stays at base: the official
       scheduler keeps pointing at the first optimiser);
    4. one optimiser step over ``batch_size`` augmented copies drawn from
       the window (fresh permutations, see :func:`draw_window_indices`),
       each with a fresh patch mask, in ``accum_iter`` micro-batches whose
       ``loss_recon / accum_iter`` is back-propagated; full-model grad-norm
       clip at ``grad_clip`` after AMP un-scaling, then ``optimizer.step``.

    The frame is then predicted with :meth:`predict` (after its own step, as
    the official loop). :meth:`start_video` restores the checkpoint weights
    and empties the window. The model is in ``train()`` mode during the
    step (drop-path active, as detectron2's trainer) and ``eval()`` while
    predicting.

    Model interface (``Mask2FormerTTT``): ``data_preprocessor`` (normalise /
    pad a list of (3, H, W) images), ``patch_mask(B, H, W, generator)`` ->
    (B, 1, H, W) keep-masks, ``loss_recon(inputs, masks)`` -> dict with
    ``loss_recon``, ``test_step(data)`` (mmengine) and ``has_recon_head``.

    Deliberate deviations: the window holds frames after the test pipeline
    (resized), and the train-time augmentation runs on those tensors in
    torch (bilinear without antialiasing) instead of detectron2's PIL
    transforms on the raw frame; KITTI's SSD colour augmentation and
    category-area crop constraint are not applied; one process serves all
    videos (no per-video subprocess, dataset re-registration or
    ``sys.exit``).

    Args:
        model (nn.Module): The Y-shaped model; its current weights are the
            checkpoint weights restored per video (and per frame in
            ``standard``).
        mode (str): ``'online'`` / ``'standard'`` / ``'frozen'``.
        window_size (int): Frames in the sliding window. Defaults to 16.
        batch_size (int): Augmented copies per step. Defaults to 32.
        accum_iter (int): Micro-batches per step (divides ``batch_size``).
        restart_optimizer (bool): Fresh optimiser every frame (every
            official command sets it). Defaults to True.
        lr, weight_decay, backbone_lr_mult, betas, eps: AdamW settings
            (:func:`ttt_param_groups`).
        grad_clip (float | None): Full-model grad-norm clip. Defaults to
            0.01.
        augment (dict): ``type`` (``'lsj'`` / ``'shortest_edge'``) and the
            keyword arguments of that function in ``ttt_utils``.
        amp (bool | str): fp16 autocast + GradScaler; ``'auto'``: on CUDA
            only (the official code asserts CUDA and always uses it).
        seed (int): Seed of the loop's generator (window draws, flips,
            scales, crops, patch masks).
    """

    def __init__(self, model: nn.Module, mode: str = 'online',
                 window_size: int = 16, batch_size: int = 32,
                 accum_iter: int = 8, restart_optimizer: bool = True,
                 lr: float = 1e-4, weight_decay: float = 0.05,
                 backbone_lr_mult: float = 0.1, betas=(0.9, 0.999),
                 eps: float = 1e-8, grad_clip: Optional[float] = 0.01,
                 augment: Optional[dict] = None, amp: Any = 'auto',
                 seed: int = 0) -> None:
        if mode not in MODES:
            raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
        if batch_size % accum_iter:
            raise ValueError(f'batch_size {batch_size} is not a multiple of '
                             f'accum_iter {accum_iter}')
        if window_size < 1:
            raise ValueError(f'window_size must be >= 1, got {window_size}')
        if mode != 'frozen' and not getattr(model, 'has_recon_head', False):
            raise ValueError(
                f'mode={mode!r} needs a reconstruction head, but '
                f'{type(model).__name__}.has_recon_head is False (a '
                "checkpoint without 'recon_head.*' weights?); run the "
                "baseline with mode='frozen' or load a Y-model checkpoint")
        self.model = model
        self.mode = mode
        self.window_size = window_size
        self.batch_size = batch_size
        self.accum_iter = accum_iter
        self.restart_optimizer = restart_optimizer
        self.optim_cfg = dict(lr=lr, weight_decay=weight_decay,
                              backbone_lr_mult=backbone_lr_mult)
        self.betas, self.eps, self.grad_clip = tuple(betas), eps, grad_clip
        augment = dict(type='lsj') if augment is None else dict(augment)
        self.augment_fn = AUGMENTS[augment.pop('type')]
        self.augment_kwargs = augment
        self.device = next(model.parameters()).device
        self.amp = (self.device.type == 'cuda') if amp == 'auto' \
            else bool(amp)
        self.generator = torch.Generator().manual_seed(seed)
        self.checkpoint_state = {k: v.detach().clone()
                                 for k, v in model.state_dict().items()}
        self.window: deque = deque(maxlen=window_size)
        self.window_ids: deque = deque(maxlen=window_size)
        self.video: Optional[str] = None
        self.frame_shape: Optional[tuple] = None
        self.optimizer = self._build_optimizer()
        self.scaler = torch.amp.GradScaler(self.device.type,
                                           enabled=self.amp)

    # -- state -------------------------------------------------------------
    def _build_optimizer(self) -> torch.optim.Optimizer:
        groups = ttt_param_groups(self.model, **self.optim_cfg)
        for g in groups:
            g.pop('names')
        return torch.optim.AdamW(groups, lr=self.optim_cfg['lr'],
                                 betas=self.betas, eps=self.eps)

    def restore_checkpoint_weights(self) -> None:
        """Copy the checkpoint weights back into the model (in place)."""
        self.model.load_state_dict(self.checkpoint_state)

    def start_video(self, name: str) -> None:
        """Checkpoint weights, empty window, fresh optimiser and scaler."""
        self.restore_checkpoint_weights()
        self.window.clear()
        self.window_ids.clear()
        self.video, self.frame_shape = name, None
        self.optimizer = self._build_optimizer()
        self.scaler = torch.amp.GradScaler(self.device.type,
                                           enabled=self.amp)

    def state_dict(self) -> Dict[str, Any]:
        """Everything needed to continue mid-video identically."""
        state = dict(
            model=copy.deepcopy(self.model.state_dict()),
            optimizer=copy.deepcopy(self.optimizer.state_dict()),
            scaler=self.scaler.state_dict(),
            window=[t.clone() for t in self.window],
            window_ids=list(self.window_ids), video=self.video,
            frame_shape=self.frame_shape,
            generator=self.generator.get_state(),
            torch_rng=torch.get_rng_state(),
            numpy_rng=np.random.get_state(), python_rng=random.getstate())
        if torch.cuda.is_available():
            state['cuda_rng'] = torch.cuda.get_rng_state_all()
        return state

    def load_state_dict(self, state: Dict[str, Any]) -> None:
        self.model.load_state_dict(state['model'])
        self.optimizer = self._build_optimizer()
        self.optimizer.load_state_dict(state['optimizer'])
        self.scaler.load_state_dict(state['scaler'])
        self.window.clear()
        self.window.extend(t.to(self.device) for t in state['window'])
        self.window_ids.clear()
        self.window_ids.extend(state['window_ids'])
        self.video, self.frame_shape = state['video'], state['frame_shape']
        self.generator.set_state(state['generator'])
        torch.set_rng_state(state['torch_rng'])
        np.random.set_state(state['numpy_rng'])
        random.setstate(state['python_rng'])
        if 'cuda_rng' in state and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state['cuda_rng'])

    # -- per frame ---------------------------------------------------------
    def push(self, image: torch.Tensor, frame_id: Any = None,
             where: str = '') -> None:
        """Add a (C, H, W) frame to the window (the oldest drops out)."""
        shape = tuple(image.shape)
        if self.frame_shape is None:
            self.frame_shape = shape
        elif shape != self.frame_shape:
            raise ValueError(
                f'{where or f"frame {frame_id}"}: size {shape[1:]} differs '
                f'from the first frame of video {self.video!r} '
                f'{self.frame_shape[1:]}; one stream must have one frame '
                'size (resize the frames, or give the test pipeline a fixed '
                'Resize(scale=..., keep_ratio=False))')
        self.window.append(image.detach().to(self.device))
        self.window_ids.append(frame_id)

    def step(self) -> Dict[str, float]:
        """One TTT step on the current window (no-op in ``frozen``).

        Returns:
            dict: ``loss_recon`` (sum over micro-batches of loss /
            accum_iter; NaN when frozen) and ``ttt_time_s``.
        """
        t0 = time.perf_counter()
        if self.mode == 'frozen':
            return dict(loss_recon=float('nan'), ttt_time_s=0.0)
        if self.mode == 'standard':
            self.restore_checkpoint_weights()
        if self.restart_optimizer:
            self.optimizer = self._build_optimizer()
        model = self.model
        model.train()
        order = draw_window_indices(len(self.window), self.batch_size,
                                    self.generator)
        micro = self.batch_size // self.accum_iter
        self.optimizer.zero_grad(set_to_none=True)
        total = 0.0
        for start in range(0, self.batch_size, micro):
            images = [self.augment_fn(self.window[i], self.generator,
                                      **self.augment_kwargs)
                      for i in order[start:start + micro]]
            data = model.data_preprocessor(
                dict(inputs=images, data_samples=None), False)
            inputs = data['inputs']  # (b, 3, h, w) normalised
            b, _, h, w = inputs.shape
            masks = model.patch_mask(b, h, w, generator=self.generator)
            with torch.autocast(self.device.type, dtype=torch.float16,
                                enabled=self.amp):
                loss = model.loss_recon(inputs, masks.to(inputs.device))[
                    'loss_recon'] / self.accum_iter
            self.scaler.scale(loss).backward()
            total += float(loss.detach())
        self.scaler.unscale_(self.optimizer)
        if self.grad_clip is not None:
            params = [p for g in self.optimizer.param_groups
                      for p in g['params']]
            torch.nn.utils.clip_grad_norm_(params, self.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
        return dict(loss_recon=total,
                    ttt_time_s=time.perf_counter() - t0)

    @torch.no_grad()
    def predict(self, data_batch: dict) -> Sequence:
        """``model.test_step`` in eval mode (the frame's prediction)."""
        self.model.eval()
        return self.model.test_step(data_batch)

    def window_frame_ids(self) -> List[Any]:
        return list(self.window_ids)
