# Copyright (c) mmvidseg contributors. All rights reserved.
"""Every fix of upstream behaviour mmvidseg needs on its pinned stack.

One place, applied explicitly by :func:`apply_compat_patches` (called by
:func:`mmvidseg.utils.register_all_modules`, by the ``tools/`` scripts and by
:func:`mmvidseg.utils.setup_env.prepare_upstream` when a registry location
of mmvidseg is imported, so a Runner built from a ``default_scope='mmvidseg'``
config gets them too). Importing :mod:`mmvidseg.registry` patches nothing.

=========================  ========================  ==========================
fix                        upstream (pinned)          it can go when
=========================  ========================  ==========================
checkpoint loading         torch >= 2.6 +            ``mmengine.runner.
(:func:`patch_checkpoint_  mmengine 0.10.7: Runner   load_checkpoint`` loads a
loading`)                  checkpoints fail under    Runner checkpoint under
                           ``weights_only=True``     torch's default
                           (open-mmlab/mmengine      ``weights_only=True``
                           #1655)                    (``tests/test_utils/
                                                     test_checkpoint.py``)
``TrackDataSample``        mmdet 3.3.0: the setter   the setter's source has no
setter (:func:`patch_      formats a whole           bare f-string statement
track_data_sample`)        ``DetDataSample`` per     (:func:`track_data_sample_
                           packed clip (~4 % of a    setter_formats`)
                           CPU training iteration)
CPU torchrun               mmengine 0.10.7:          ``_init_dist_pytorch``
(:func:`patch_cpu_dist_    ``_init_dist_pytorch``    checks
init`)                     calls ``torch.cuda.       ``torch.cuda.is_available``
                           set_device`` on CPU       before ``set_device``
                           torch builds              (``tests/test_tools/
                                                     test_dist_train.py``)
=========================  ========================  ==========================

Version windows of the stack are checked by :func:`check_versions` (called
when :mod:`mmvidseg.registry` is first imported, before mmdet is).
"""
import inspect
from typing import List

_APPLIED: List[str] = []

# distribution: (min inclusive, max exclusive, install hint)
VERSION_WINDOWS = {
    'mmcv': ('2.0.0rc4', '2.2.0',
             'MMCV_WITH_OPS=1 pip install --no-build-isolation mmcv==2.1.0'),
    'mmengine': ('0.10.0', '1.0.0', 'pip install mmengine==0.10.7'),
    'mmdet': ('3.3.0', '3.4.0', 'pip install mmdet==3.3.0'),
    'mmsegmentation': ('1.2.0', '1.3.0', 'pip install mmsegmentation==1.2.2'),
}


def check_versions() -> None:
    """Fail early, with the install command, when the stack is incompatible.

    Raises:
        ImportError: naming the distribution, the window and the command.
    """
    from importlib.metadata import PackageNotFoundError, version

    from packaging.version import Version
    for dist, (low, high, hint) in VERSION_WINDOWS.items():
        try:
            found = Version(version(dist))
        except PackageNotFoundError:
            raise ImportError(
                f'mmvidseg needs {dist}>={low},<{high}, which is not '
                f'installed. Install it with `{hint}` or run '
                '`bash tools/install.sh`.') from None
        if not Version(low) <= found < Version(high):
            raise ImportError(
                f'{dist}=={found} is installed, but mmvidseg needs '
                f'{dist}>={low},<{high}. Install it with `{hint}` or run '
                '`bash tools/install.sh`.')


def patch_checkpoint_loading() -> None:
    """Route mmengine's local and ``http(s)://`` checkpoint loaders through
    :func:`mmvidseg.utils.checkpoint.load_checkpoint_file` (torch's
    ``weights_only=True`` plus an allow-list of data-only types). Idempotent.
    """
    if 'checkpoint' in _APPLIED:
        return
    from mmengine.runner.checkpoint import CheckpointLoader

    from .checkpoint import load_http, load_local, register_safe_globals
    register_safe_globals()
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_local, force=True)
    CheckpointLoader.register_scheme(
        prefixes=['http://', 'https://'], loader=load_http, force=True)
    _APPLIED.append('checkpoint')


def track_data_sample_setter_formats() -> bool:
    """Whether mmdet's ``TrackDataSample.video_data_samples`` setter still
    has the split assertion message whose f-string runs on every call."""
    from mmdet.structures import TrackDataSample
    setter = TrackDataSample.video_data_samples.fset
    if getattr(setter, '_mmvidseg_patched', False):
        return False
    try:
        source = inspect.getsource(setter)
    except (OSError, TypeError):
        return True
    return any(line.strip().startswith("f'") for line in source.splitlines())


def patch_track_data_sample() -> None:
    """Replace mmdet 3.3's ``TrackDataSample.video_data_samples`` setter.

    mmdet 3.3 (``mmdet/structures/track_data_sample.py``) ends its type
    assertion with a message split over two lines, so the f-string
    ``f'{value[0]}'`` is a statement of its own and runs on every call: each
    packed clip formats a whole ``DetDataSample`` (every tensor of it) and
    throws the text away. The replacement stores the same field with the
    same checks and formats nothing unless a check fails. Idempotent.
    """
    from mmdet.structures import DetDataSample, TrackDataSample
    prop = TrackDataSample.video_data_samples
    if getattr(prop.fset, '_mmvidseg_patched', False):
        return

    def set_video_data_samples(self: TrackDataSample, value) -> None:
        if isinstance(value, DetDataSample):
            value = [value]
        if not isinstance(value, list):
            raise TypeError('video_data_samples must be a list of '
                            f'DetDataSample, got {type(value).__name__}')
        if not value or not isinstance(value[0], DetDataSample):
            first = type(value[0]).__name__ if value else 'an empty list'
            raise TypeError('video_data_samples must be a non-empty list of '
                            f'DetDataSample, got {first}')
        self.set_field(value, '_video_data_samples', dtype=list)

    set_video_data_samples._mmvidseg_patched = True
    TrackDataSample.video_data_samples = property(
        prop.fget, set_video_data_samples, prop.fdel, prop.__doc__)


def patch_cpu_dist_init() -> None:
    """Let mmengine's torchrun launcher start on a CPU-only torch.

    mmengine 0.10.7's ``_init_dist_pytorch`` calls
    ``torch.cuda.set_device(local_rank)`` unconditionally, which raises
    ``AttributeError: module 'torch._C' has no attribute '_cuda_setDevice'``
    on CPU builds of torch 2.13. Without CUDA there is no device to set, so
    the process group is initialised directly; with CUDA mmengine's own
    function runs unchanged. Idempotent.
    """
    import torch
    import torch.distributed as torch_dist
    from mmengine.dist import utils as dist_utils
    original = dist_utils._init_dist_pytorch
    if getattr(original, '_mmvidseg_cpu', False):
        return

    def init_dist_pytorch(backend, init_backend='torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        torch_dist.init_process_group(backend=backend, **kwargs)

    init_dist_pytorch._mmvidseg_cpu = True
    dist_utils._init_dist_pytorch = init_dist_pytorch


def apply_compat_patches() -> None:
    """Apply every fix above (idempotent)."""
    patch_checkpoint_loading()
    patch_track_data_sample()
    patch_cpu_dist_init()
