# Copyright (c) mmvidseg contributors. All rights reserved.
from .tevit import TeViT  # noqa: F401
from .stemseg import STEmSeg  # noqa: F401
from .tarvis import TarViS  # noqa: F401
from .mttr import MTTR  # noqa: F401
from .mask2former_ttt import Mask2FormerTTT  # noqa: F401
