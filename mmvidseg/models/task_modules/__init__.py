# Copyright (c) mmvidseg contributors. All rights reserved.
from .tevit_hungarian_assigner import TeViTHungarianAssigner  # noqa: F401
