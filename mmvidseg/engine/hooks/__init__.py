# Copyright (c) mmvidseg contributors. All rights reserved.
from .render_hook import VideoRenderHook

__all__ = ['VideoRenderHook']
