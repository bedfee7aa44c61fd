# Copyright (c) mmvidseg contributors. All rights reserved.
from .ops_registration import *  # noqa: F401,F403,E402
