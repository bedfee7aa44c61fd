# Copyright (c) mmvidseg contributors. All rights reserved.
"""mmengine's ``CheckpointHook`` with atomic saves and the RNG state.

Shadows ``mmengine.hooks.CheckpointHook`` for configs with
``default_scope='mmvidseg'`` (:mod:`mmvidseg.overrides`). Differences:

* **Atomic save** (local disks): the checkpoint is written to a hidden
  temporary file in the same folder and renamed onto its name
  (``os.replace``); ``last_checkpoint`` is replaced the same way. A run
  killed while saving leaves the previous checkpoint and a ``last_checkpoint``
  that names it, so ``--resume`` never picks up a half-written file.
  Non-local backends keep mmengine's behaviour.
* **Old checkpoints are removed after the new one is complete.** mmengine
  deletes the oldest of ``max_keep_ckpts`` *before* writing the new one, so a
  kill in between leaves ``last_checkpoint`` pointing at a deleted file.
* **A checkpoint of another architecture is refused** before it is loaded
  (:func:`mmvidseg.utils.checkpoint_match.check_checkpoint_fits`: the first
  unexpected / missing keys and, for an official release, the converter).
* **RNG state**: the checkpoint carries every generator's state
  (:func:`mmvidseg.utils.rng.get_rng_state`, key ``'rng_state'``); the
  training loops of :mod:`mmvidseg.engine.runner.loops` restore it after they
  have advanced the data loader on ``--resume``, so a resumed run draws the
  same numbers as an uninterrupted one.
"""
import os
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.fileio import LocalBackend
from mmengine.hooks import CheckpointHook as _MMEngineCheckpointHook
from mmengine.model import is_model_wrapper

from mmvidseg.utils.checkpoint_match import check_checkpoint_fits
from mmvidseg.utils.rng import get_rng_state

RESUME_RNG_ATTR = '_mmvidseg_resume_rng_state'


def atomic_write_text(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file + ``os.replace``."""
    tmp = osp.join(osp.dirname(path) or '.',
                   f'.{osp.basename(path)}.tmp-{os.getpid()}')
    with open(tmp, 'w') as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class CheckpointHook(_MMEngineCheckpointHook):
    """See the module docstring; arguments as mmengine's ``CheckpointHook``."""

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint['rng_state'] = get_rng_state()

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        # (called before the weights go into the model)
        model = runner.model.module if is_model_wrapper(runner.model) \
            else runner.model
        check_checkpoint_fits(
            model, checkpoint,
            str(runner._load_from if runner._load_from else 'checkpoint'))
        setattr(runner, RESUME_RNG_ATTR, checkpoint.get('rng_state'))

    def _save_checkpoint_with_step(self, runner, step, meta):
        if not isinstance(self.file_backend, LocalBackend):
            return super()._save_checkpoint_with_step(runner, step, meta)
        # the list of kept steps goes into this checkpoint's message hub (as
        # mmengine does); the file it drops is deleted only after the save
        expired = self._update_keep_ids(runner, step)
        ckpt_filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir,
                                                     ckpt_filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        tmp_name = f'.{ckpt_filename}.tmp-{os.getpid()}'
        tmp_path = osp.join(self.out_dir, tmp_name)
        try:
            runner.save_checkpoint(
                self.out_dir,
                tmp_name,
                self.file_client_args,
                save_optimizer=self.save_optimizer,
                save_param_scheduler=self.save_param_scheduler,
                meta=meta,
                by_epoch=self.by_epoch,
                backend_args=self.backend_args,
                **self.args)
        except BaseException:
            if osp.exists(tmp_path):  # a failed save leaves nothing behind
                os.remove(tmp_path)
            raise
        if not is_main_process():
            return
        os.replace(tmp_path, self.last_ckpt)
        atomic_write_text(osp.join(runner.work_dir, 'last_checkpoint'),
                          self.last_ckpt)
        if expired is not None:
            path = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(expired))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):
                self.file_backend.rmtree(path)

    def _update_keep_ids(self, runner, step):
        """Add ``step`` to the kept checkpoints; return the step whose file
        must go once the new checkpoint is complete (or None)."""
        if self.max_keep_ckpts <= 0 or (self.keep_ckpt_ids
                                        and self.keep_ckpt_ids[-1] == step):
            return None
        expired = None
        if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
            expired = self.keep_ckpt_ids.popleft()  # a deque of that maxlen
        self.keep_ckpt_ids.append(step)
        runner.message_hub.update_info('keep_ckpt_ids',
                                       list(self.keep_ckpt_ids))
        return expired
