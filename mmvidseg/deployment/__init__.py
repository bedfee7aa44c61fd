# Copyright (c) mmvidseg contributors. All rights reserved.
"""Export of each model's per-clip network (ONNX / ``torch.export``)."""
from .base import (EXPORT_WRAPPERS, ExportWrapper, build_export_wrapper,
                   export_mode, register_export_wrapper)
from .exporters import export_onnx, export_torch, onnx_session, run_onnx
from .mask2former_vis import Mask2FormerVISExport
from .mttr import MTTRExport
from .onnx_model import OnnxClipModel
from .stemseg import STEmSegExport
from .tarvis import TarViSExport
from .tevit import TeViTExport
from .video_ttt import VideoTTTExport

__all__ = [
    'EXPORT_WRAPPERS', 'ExportWrapper', 'build_export_wrapper', 'export_mode',
    'register_export_wrapper', 'export_onnx', 'export_torch', 'onnx_session',
    'run_onnx', 'OnnxClipModel', 'Mask2FormerVISExport', 'MTTRExport',
    'STEmSegExport', 'TarViSExport', 'TeViTExport', 'VideoTTTExport'
]
