# Copyright (c) mmvidseg contributors. All rights reserved.
"""Export of each model's per-clip network (ONNX / ``torch.export``)."""
from .base import (EXPORT_WRAPPERS, ExportWrapper, build_export_wrapper,
                   export_mode, register_export_wrapper)
from .exporters import export_onnx, export_torch, run_onnx
from .mask2former_vis import Mask2FormerVISExport
from .stemseg import STEmSegExport
from .tarvis import TarViSExport
from .tevit import TeViTExport

__all__ = [
    'EXPORT_WRAPPERS', 'ExportWrapper', 'build_export_wrapper', 'export_mode',
    'register_export_wrapper', 'export_onnx', 'export_torch', 'run_onnx',
    'Mask2FormerVISExport', 'STEmSegExport', 'TarViSExport', 'TeViTExport'
]
