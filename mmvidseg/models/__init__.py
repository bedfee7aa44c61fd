# Copyright (c) mmvidseg contributors. All rights reserved.
from mmvidseg.utils.setup_env import prepare_upstream

prepare_upstream()  # mmdet classes registered, compat fixes applied

from .backbones import *  # noqa: F401,F403,E402
from .data_preprocessors import *  # noqa: F401,F403,E402
from .heads import *  # noqa: F401,F403,E402
from .layers import *  # noqa: F401,F403,E402
from .losses import *  # noqa: F401,F403,E402
from .necks import *  # noqa: F401,F403,E402
from .segmentors import *  # noqa: F401,F403,E402
from .task_modules import *  # noqa: F401,F403,E402
from .trackers import *  # noqa: F401,F403,E402
