# Copyright (c) mmvidseg contributors. All rights reserved.
from .msgshift import MsgShifT  # noqa: F401
from .stemseg_frozen_bn import StemSegFrozenBN  # noqa: F401
from .mttr_video_swin import MTTRVideoSwin  # noqa: F401
