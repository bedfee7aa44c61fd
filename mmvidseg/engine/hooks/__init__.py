# Copyright (c) mmvidseg contributors. All rights reserved.
from .global_batch_hook import GlobalBatchHook
from .render_hook import VideoRenderHook

__all__ = ['VideoRenderHook', 'GlobalBatchHook']
