# Copyright (c) mmvidseg contributors. All rights reserved.
"""A hook that kills its own process (SIGKILL) after a given iteration.

For crash / resume tests only: a config adds
``custom_imports=dict(imports=['mmvidseg.testing.kill_hook'])`` and
``custom_hooks=[dict(type='KillAtIterHook', iteration=5)]``. SIGKILL gives
the process no chance to clean up, as an out-of-memory kill or a pre-empted
node would not.
"""
import os
import signal

from mmengine.hooks import Hook

from mmvidseg.registry import HOOKS


@HOOKS.register_module()
class KillAtIterHook(Hook):
    """SIGKILL the process after training iteration ``iteration`` (1-based),
    once every other hook of that iteration (the checkpoint too) ran."""

    priority = 'LOWEST'

    def __init__(self, iteration: int) -> None:
        self.iteration = iteration

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if runner.iter + 1 >= self.iteration:
            os.kill(os.getpid(), signal.SIGKILL)
