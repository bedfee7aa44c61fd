# Copyright (c) mmvidseg contributors. All rights reserved.
"""Keep TarViS's global batch of 32 clips on any number of processes."""
from typing import List

from mmengine.hooks import Hook
from mmengine.optim import OptimWrapperDict

from mmvidseg.datasets.samplers import GLOBAL_BATCH, accumulation_steps
from mmvidseg.registry import HOOKS


def _loader_batch_size(loader) -> int:
    bs = loader.batch_size
    if bs is None:  # a batch sampler decides
        bs = loader.batch_sampler.batch_size
    return int(bs)


def _step_per_optimiser_step(scheduler, k: int) -> None:
    """Make ``scheduler.step()`` (called after every loader batch by
    mmengine's ``ParamSchedulerHook``) advance once per ``k`` calls, i.e.
    once per optimiser step.

    The class of this one object is swapped for a subclass (its state dict,
    ``__dict__`` minus the optimiser, gains the call counter, so a resume
    continues the count).
    """
    cls = type(scheduler)
    if getattr(cls, '_per_optimiser_step', False):
        return

    def step(self):
        self._loader_batches = getattr(self, '_loader_batches', 0) + 1
        if self._loader_batches % self._accumulation == 0:
            cls.step(self)

    scheduler.__class__ = type(f'Accumulated{cls.__name__}', (cls, ),
                               dict(step=step, _per_optimiser_step=True))
    scheduler._accumulation = k


@HOOKS.register_module()
class GlobalBatchHook(Hook):
    """Gradient accumulation so that one optimiser step sees ``global_batch``
    clips whatever the number of processes.

    The reference accumulates gradients over sub-iterations of one clip per
    GPU so that 32 clips make one step on any GPU count that divides 32
    (``Ali2500/TarViS: tarvis/training/model_trainer/api.py::
    calculate_optimizer_step_parameters``). Here, before training starts,
    ``k = global_batch / (world_size x train_dataloader batch size)``
    (:func:`~mmvidseg.datasets.samplers.accumulation_steps`, which refuses a
    world size that does not divide ``global_batch`` with the divisors it
    accepts) becomes mmengine's ``optim_wrapper.accumulative_counts`` (the
    loss of each loader batch is divided by ``k``, the optimiser steps every
    ``k`` batches, DDP syncs only then).

    mmengine counts loader batches as iterations, the reference counts
    optimiser steps. With ``scale_schedule=True`` (default) the configs keep
    the reference's numbers (``max_iters=90000``, warm-up 10k, steps at 50k
    / 84k, checkpoint and validation intervals): ``max_iters`` and the
    iteration intervals are multiplied by ``k`` here, and the iteration
    parameter schedulers advance once per optimiser step (every ``k`` loader
    batches), so the learning rate of every optimiser step is the
    reference's, exactly (tested: 4 x 2 clips accumulated and 8 clips give
    the same weights). A run can only be resumed with the same ``k``; the
    hook checks it.

    Args:
        global_batch (int): Clips per optimiser step. Defaults to 32.
        scale_schedule (bool): Scale iteration counts by ``k``.
    """

    priority = 'VERY_HIGH'

    def __init__(self, global_batch: int = GLOBAL_BATCH,
                 scale_schedule: bool = True) -> None:
        self.global_batch = global_batch
        self.scale_schedule = scale_schedule
        self.accumulation = 1

    def before_run(self, runner) -> None:
        loader = runner.train_loop.dataloader
        batch_size = _loader_batch_size(loader)
        k = accumulation_steps(self.global_batch, runner.world_size,
                               batch_size)
        sampler_k = getattr(loader.batch_sampler, 'accumulation', k)
        if sampler_k != k:
            raise ValueError(
                f'train_dataloader.batch_sampler accumulates {sampler_k} '
                f'loader batches per step but GlobalBatchHook computes {k} '
                f'(global_batch {self.global_batch}); give both the same '
                'global_batch')
        self.accumulation = k
        wrappers = runner.optim_wrapper.values() if isinstance(
            runner.optim_wrapper, OptimWrapperDict) else [runner.optim_wrapper]
        for wrapper in wrappers:
            wrapper._accumulative_counts = k
        runner.logger.info(
            f'GlobalBatchHook: {self.global_batch} clips per optimiser step '
            f'= {runner.world_size} process(es) x {batch_size} clip(s) x {k} '
            'accumulated loader batches')
        if self.scale_schedule and k > 1:
            self._scale(runner, k)

    def _scale(self, runner, k: int) -> None:
        loop = runner.train_loop
        loop._max_iters *= k
        if hasattr(loop, 'val_interval'):
            loop.val_interval *= k
            loop.dynamic_intervals = [i * k for i in getattr(
                loop, 'dynamic_intervals', [])]
            loop.dynamic_milestones = [m * k for m in getattr(
                loop, 'dynamic_milestones', [])]
        for scheduler in self._schedulers(runner):
            if not scheduler.by_epoch:
                _step_per_optimiser_step(scheduler, k)
        for hook in runner.hooks:
            if type(hook).__name__ == 'CheckpointHook' and \
                    not hook.by_epoch:
                hook.interval *= k

    @staticmethod
    def _schedulers(runner) -> List:
        schedulers = runner.param_schedulers or []
        if isinstance(schedulers, dict):
            return [s for group in schedulers.values() for s in group]
        return list(schedulers)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})['accumulative_counts'] = \
            self.accumulation

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        saved = checkpoint.get('meta', {}).get('accumulative_counts')
        if runner._resume and saved is not None and \
                saved != self.accumulation:
            raise ValueError(
                f'the checkpoint was trained with {saved} accumulated loader '
                f'batches per step, this run has {self.accumulation} '
                f'({runner.world_size} process(es)); resume with processes '
                f'x batch size = {self.global_batch // saved}, as the saved '
                'run')
