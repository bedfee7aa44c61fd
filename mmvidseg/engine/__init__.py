# Copyright (c) mmvidseg contributors. All rights reserved.
from mmvidseg.utils.setup_env import prepare_upstream

prepare_upstream()  # mmdet classes registered, compat fixes applied
from .hooks import *  # noqa: F401,F403,E402
from .runner import *  # noqa: F401,F403,E402
