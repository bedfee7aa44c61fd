# Copyright (c) mmvidseg contributors. All rights reserved.
from .checkpoint import UnsafeCheckpointError, load_checkpoint_file
from .compat import apply_compat_patches, patch_checkpoint_loading
from .setup_env import register_all_modules

__all__ = [
    'register_all_modules', 'load_checkpoint_file', 'patch_checkpoint_loading',
    'apply_compat_patches', 'UnsafeCheckpointError'
]
