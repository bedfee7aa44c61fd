# Copyright (c) mmvidseg contributors. All rights reserved.
from .ops_registration import *  # noqa: F401,F403,E402
from .position_encoding_3d import PositionEmbeddingSine3D  # noqa: F401,E402
