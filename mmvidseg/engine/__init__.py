# Copyright (c) mmvidseg contributors. All rights reserved.
from mmvidseg.utils.setup_env import import_mmdet_packages

import_mmdet_packages()  # mmdet classes must be registered before ours resolve
from .hooks import *  # noqa: F401,F403,E402
