# Copyright (c) mmvidseg contributors. All rights reserved.
"""Write an :class:`ExportWrapper` as ONNX or a ``torch.export`` program."""
import warnings
from typing import Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from torch import Tensor

from .base import ExportWrapper, export_mode

#: ONNX opset of the exported graphs (``RoiAlign`` with
#: ``coordinate_transformation_mode`` needs 16; ``GridSample`` 16).
ONNX_OPSET = 17


def _onnx_dynamic_axes(wrapper: ExportWrapper,
                       dynamic: bool) -> Optional[Dict[str, Dict[int, str]]]:
    if not dynamic:
        return None
    axes = {}
    inp = {}
    if wrapper.dynamic_frames:
        inp[1] = 'frames'
    if wrapper.dynamic_size:
        inp.update({3: 'height', 4: 'width'})
    if inp:
        axes['inputs'] = inp
    for name in wrapper.input_names[1:] + wrapper.output_names:
        out = {
            k: v
            for k, v in wrapper.dynamic_axes.get(name, {}).items()
            if v in wrapper.free_axes or (
                v == 'frames' and wrapper.dynamic_frames) or (
                    v != 'frames' and wrapper.dynamic_size)
        }
        if out:
            axes[name] = out
    return axes


def export_onnx(wrapper: ExportWrapper,
                inputs: Tensor,
                path: str,
                dynamic: bool = True,
                opset: int = ONNX_OPSET) -> List[Tensor]:
    """Trace ``wrapper`` on ``inputs (1, T, 3, H, W)`` into an ONNX file.

    The graph's other inputs (if any) are ``wrapper.example_inputs(inputs)``.
    Uses the TorchScript-based exporter (``dynamo=False``: the dynamo one
    needs ``onnxscript``) with standard ops only (see :func:`export_mode`).

    Returns:
        list[Tensor]: The eager outputs on ``inputs`` (in export mode).
    """
    wrapper.eval()
    with torch.no_grad(), export_mode(), warnings.catch_warnings():
        warnings.simplefilter('ignore')  # tracer warnings on shape asserts
        args = wrapper.example_inputs(inputs)
        outputs = wrapper(*args)
        torch.onnx.export(wrapper, args,
                          path,
                          dynamo=False,
                          opset_version=opset,
                          input_names=list(wrapper.input_names),
                          output_names=list(wrapper.output_names),
                          dynamic_axes=_onnx_dynamic_axes(wrapper, dynamic),
                          do_constant_folding=True)
    return list(outputs)


def onnx_session(path: str, threads: Optional[int] = None):
    """An ONNX Runtime CPU session of ``path`` (``threads`` intra-op)."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, opts,
                                providers=['CPUExecutionProvider'])


def run_onnx(path_or_session,
             inputs: Union[Tensor, Sequence[Tensor]],
             threads: Optional[int] = None) -> List[np.ndarray]:
    """Run an exported graph with ONNX Runtime on CPU.

    Args:
        inputs (Tensor | Sequence[Tensor]): the clip, or every graph input
            in the graph's order (e.g. ``wrapper.example_inputs(clip)``).
    """
    sess = path_or_session
    if isinstance(sess, str):
        sess = onnx_session(sess, threads)
    if torch.is_tensor(inputs):
        inputs = (inputs, )
    names = [i.name for i in sess.get_inputs()]
    if len(names) != len(inputs):
        raise ValueError(f'the graph takes {names}, got {len(inputs)} '
                         'tensors')
    return sess.run(None, {
        n: t.detach().cpu().numpy()
        for n, t in zip(names, inputs)
    })


def export_torch(wrapper: ExportWrapper,
                 inputs: Tensor,
                 path: Optional[str] = None,
                 dynamic: bool = False,
                 strict: bool = False) -> 'torch.export.ExportedProgram':
    """``torch.export.export`` the wrapper (and ``torch.export.save`` it).

    Args:
        dynamic (bool): Mark the frame count (and size) dims as dynamic
            (``Dim.AUTO``); fixed otherwise.
    """
    from torch.export import Dim
    wrapper.eval()
    args = wrapper.example_inputs(inputs)
    shapes: Optional[Sequence] = None
    if dynamic:
        spec = {}
        if wrapper.dynamic_frames:
            spec[1] = Dim.AUTO
        if wrapper.dynamic_size:
            spec.update({3: Dim.AUTO, 4: Dim.AUTO})
        shapes = ({0: Dim.STATIC, **spec}, ) + (None, ) * (len(args) - 1)
    shape_as_tensor = torch._shape_as_tensor
    # mmdet's MSDeformAttnPixelDecoder calls torch._shape_as_tensor, which
    # torch.export cannot trace; the same values as a plain tensor
    torch._shape_as_tensor = lambda t: torch.tensor(t.shape)
    try:
        with torch.no_grad(), export_mode(), wrapper.torch_export_patch():
            program = torch.export.export(wrapper, args,
                                          dynamic_shapes=shapes,
                                          strict=strict)
    finally:
        torch._shape_as_tensor = shape_as_tensor
    if path is not None:
        torch.export.save(program, path)
    return program
