# Copyright (c) mmvidseg contributors. All rights reserved.
"""mmengine's training loops with an exact ``--resume``.

Shadow ``IterBasedTrainLoop`` and ``EpochBasedTrainLoop`` for configs with
``default_scope='mmvidseg'`` (:mod:`mmvidseg.overrides`). mmengine restores
weights, optimiser, schedulers and the message hub, and the iteration-based
loop advances the data loader past the batches already trained on; but the
random generators restart from the seed, so the first augmentation, dropout
mask or point sample after a resume differs from the uninterrupted run.
These loops put back the generators saved with the checkpoint
(:class:`mmvidseg.engine.hooks.CheckpointHook`, key ``'rng_state'``)
*after* the data loader has been advanced, i.e. exactly where the
uninterrupted run stood when it saved.

Exact on CPU for iteration checkpoints of ``IterBasedTrainLoop`` with an
``InfiniteSampler`` (mmdet's iteration default; its order depends only on the
seed) and for epoch-end checkpoints of ``EpochBasedTrainLoop``, with any
``num_workers`` (worker seeds are drawn when the loader iterator is built,
before training, and the advance replays the workers' draws). Not exact: an
``EpochBasedTrainLoop`` resumed from a checkpoint taken inside an epoch
(mmengine restarts that epoch) and non-deterministic kernels (most CUDA
backward passes unless ``randomness.deterministic=True``).
"""
import logging

from mmengine.logging import print_log
from mmengine.runner import EpochBasedTrainLoop as _EpochBasedTrainLoop
from mmengine.runner import IterBasedTrainLoop as _IterBasedTrainLoop

from mmvidseg.engine.hooks.checkpoint_hook import RESUME_RNG_ATTR
from mmvidseg.utils.rng import set_rng_state


def _restore_rng(runner) -> None:
    state = getattr(runner, RESUME_RNG_ATTR, None)
    if state is None:
        print_log(
            'resumed from a checkpoint without an RNG state (not written by '
            "mmvidseg's CheckpointHook): random draws after the resume "
            'differ from an uninterrupted run', logger='current',
            level=logging.WARNING)
        return
    set_rng_state(state)
    setattr(runner, RESUME_RNG_ATTR, None)


class IterBasedTrainLoop(_IterBasedTrainLoop):
    """mmengine's loop; on resume the RNG state of the checkpoint is put back
    after the data loader has been advanced."""

    def run(self):
        """Launch training (as mmengine's, plus the RNG restore)."""
        self.runner.call_hook('before_train')
        self.runner.call_hook('before_train_epoch')
        if self._iter > 0:
            print_log(
                f'Advance dataloader {self._iter} steps to skip data '
                'that has already been trained',
                logger='current',
                level=logging.WARNING)
            for _ in range(self._iter):
                next(self.dataloader_iterator)
            _restore_rng(self.runner)
        while self._iter < self._max_iters and not self.stop_training:
            self.runner.model.train()
            data_batch = next(self.dataloader_iterator)
            self.run_iter(data_batch)
            self._decide_current_val_interval()
            if (self.runner.val_loop is not None
                    and self._iter >= self.val_begin
                    and (self._iter % self.val_interval == 0
                         or self._iter == self._max_iters)):
                self.runner.val_loop.run()
        self.runner.call_hook('after_train_epoch')
        self.runner.call_hook('after_train')
        return self.runner.model


class EpochBasedTrainLoop(_EpochBasedTrainLoop):
    """mmengine's loop; on resume the RNG state of the checkpoint is put back
    before the first resumed epoch."""

    def run(self):
        """Launch training (as mmengine's, plus the RNG restore)."""
        if self._epoch > 0 or self._iter > 0:
            _restore_rng(self.runner)
        return super().run()
