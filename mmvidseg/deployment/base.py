# Copyright (c) mmvidseg contributors. All rights reserved.
"""Export wrappers: registry, base class and the export-time op switches.

A wrapper holds a built model and exposes only its per-clip network as
``forward(inputs) -> tuple[Tensor, ...]``: ``inputs`` is one clip
``(1, T, 3, H, W)`` (or ``(T, 3, H, W)``), already normalised and padded by
the data preprocessor, and the outputs are the plain tensors that the
model's ``predict`` computes before its Python post-processing (top-k,
mask pasting, trackers, clip linking, clustering), which stays in Python.

A wrapper with more graph inputs than the clip (MTTR: token ids, attention
and padding masks) names them in ``input_names`` and builds example values
in :meth:`ExportWrapper.example_inputs`.

:meth:`ExportWrapper.delegate` is the way back: within it, the built
model's own ``predict`` (all its Python post-processing) runs with the
per-clip network replaced by a callable, e.g. an ONNX Runtime session
(:class:`~mmvidseg.deployment.OnnxClipModel`, which
:class:`~mmvidseg.apis.VideoSession` takes in place of the model).

Extension point: a family that lands later adds one module with a subclass
of :class:`ExportWrapper` decorated with
``@register_export_wrapper('SegmentorClassName')`` and imports it in
``mmvidseg/deployment/__init__.py``; ``tools/deployment/export.py`` then
finds it by the class name of the built model.
"""
import importlib
from contextlib import contextmanager, nullcontext
from typing import (Callable, ContextManager, Dict, Iterator, List, Optional,
                    Sequence, Tuple, Type)

import torch
from torch import Tensor, nn

from mmvidseg.ops.ms_deform_attn_func import ms_deform_attn_backend

# the module, not the function that ``mmvidseg.ops`` re-exports
roi_align_module = importlib.import_module('mmvidseg.ops.roi_align')

EXPORT_WRAPPERS: Dict[str, Type['ExportWrapper']] = {}


def register_export_wrapper(*names: str) -> Callable:
    """Register a wrapper class for segmentors of the given class names."""

    def _register(cls: Type['ExportWrapper']) -> Type['ExportWrapper']:
        for name in names:
            if name in EXPORT_WRAPPERS:
                raise KeyError(f'an export wrapper for {name} is already '
                               f'registered ({EXPORT_WRAPPERS[name]})')
            EXPORT_WRAPPERS[name] = cls
        return cls

    return _register


class ExportWrapper(nn.Module):
    """Base class: the per-clip network of one segmentor.

    Class attributes, read by the export tool and the tests:

    * ``output_names``: names of the returned tensors, in order.
    * ``dynamic_axes``: ``{output_name: {axis: name}}`` besides the input's;
      an axis absent here is fixed at export.
    * ``dynamic_frames`` / ``dynamic_size``: whether the exported ONNX graph
      accepts another frame count / another ``H x W`` than it was traced
      with (the tests check every claim).
    * ``size_divisor``: ``H`` and ``W`` must be multiples of it.
    * ``min_size``: smallest ``H`` / ``W`` the network takes.
    * ``num_frames``: the clip length the network requires (None: any).
    * ``input_names``: names of the graph inputs, ``inputs`` (the clip)
      first; ``free_axes``: axis names dynamic whatever the frame / size
      claims (e.g. MTTR's ``tokens``).
    """
    input_names: Tuple[str, ...] = ('inputs', )
    output_names: Tuple[str, ...] = ()
    dynamic_axes: Dict[str, Dict[int, str]] = {}
    free_axes: Tuple[str, ...] = ()
    dynamic_frames = True
    dynamic_size = True
    size_divisor = 32
    min_size = 32
    num_frames: Optional[int] = None

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model.eval()

    def torch_export_patch(self) -> ContextManager:
        """Model changes needed by ``torch.export`` only (none here)."""
        return nullcontext()

    def example_inputs(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        """All graph inputs for a clip ``inputs`` (only the clip here)."""
        return (inputs, )

    def delegate(self, run: Callable[..., List[Tensor]]) -> ContextManager:
        """Within the block, the model's ``predict`` computes its per-clip
        network as ``run(*graph_inputs)`` (the tensors :meth:`forward`
        takes, returning its outputs in ``output_names`` order); everything
        after it (top-k, mask pasting, ...) is the model's own code.

        Raises:
            NotImplementedError: the family has no delegate yet.
        """
        raise NotImplementedError(
            f'{type(self).__name__} cannot run {type(self.model).__name__}\'s '
            'predict on an exported graph yet (no delegate); run the '
            'PyTorch model, or add ExportWrapper.delegate for it')

    @staticmethod
    def clip(inputs: Tensor) -> Tensor:
        """``(1, T, 3, H, W)`` or ``(T, 3, H, W)`` -> ``(T, 3, H, W)``."""
        if inputs.dim() == 5:
            if inputs.shape[0] != 1:
                raise ValueError('export wrappers take one clip (batch size '
                                 f'1), got {tuple(inputs.shape)}')
            return inputs[0]
        if inputs.dim() != 4:
            raise ValueError('export wrappers take (1, T, 3, H, W) or '
                             f'(T, 3, H, W), got {tuple(inputs.shape)}')
        return inputs


@contextmanager
def patched(*patches: Tuple[object, str, object]) -> Iterator[None]:
    """Set ``(obj, name, value)`` attributes within the block, restoring
    the previous instance attributes (or their absence) afterwards."""
    saved = []
    for obj, name, value in patches:
        saved.append((obj, name, obj.__dict__.get(name, _MISSING)))
        setattr(obj, name, value)
    try:
        yield
    finally:
        for obj, name, old in reversed(saved):
            if old is _MISSING:
                delattr(obj, name)
            else:
                setattr(obj, name, old)


_MISSING = object()


def as_tensors(outputs: Sequence, like: Tensor) -> List[Tensor]:
    """Graph outputs (arrays or tensors) as tensors on ``like``'s device."""
    return [torch.as_tensor(o).to(like.device) for o in outputs]


def build_export_wrapper(model: nn.Module) -> ExportWrapper:
    """The registered wrapper of ``model`` (by its class name)."""
    name = type(model).__name__
    if name not in EXPORT_WRAPPERS:
        raise KeyError(
            f'no export wrapper for {name}; known: {sorted(EXPORT_WRAPPERS)}.'
            ' Add one in mmvidseg/deployment/ (see deployment/base.py)')
    return EXPORT_WRAPPERS[name](model)


class _RoIAlignONNX(torch.autograd.Function):
    """mmcv's ``roi_align`` (avg pool) in eager mode, ONNX ``RoiAlign``
    (opset >= 16, ``coordinate_transformation_mode``) when exported.

    mmcv 2.1's own symbolic targets opset 11 (``output_half_pixel``) and
    subtracts the half pixel itself, which with opset 16's default
    ``half_pixel`` mode shifts every RoI twice.
    """

    @staticmethod
    def forward(ctx, input: Tensor, rois: Tensor, output_size: tuple,
                spatial_scale: float, sampling_ratio: int,
                aligned: bool) -> Tensor:
        from mmcv.ops import roi_align as mmcv_roi_align
        return mmcv_roi_align(input, rois, output_size, spatial_scale,
                              sampling_ratio, 'avg', aligned)

    @staticmethod
    def symbolic(g, input, rois, output_size, spatial_scale, sampling_ratio,
                 aligned):
        batch = g.op('Gather',
                     rois,
                     g.op('Constant', value_t=torch.tensor(0)),
                     axis_i=1)
        batch = g.op('Cast', batch, to_i=7)  # INT64
        boxes = g.op('Gather',
                     rois,
                     g.op('Constant', value_t=torch.tensor([1, 2, 3, 4])),
                     axis_i=1)
        return g.op('RoiAlign',
                    input,
                    boxes,
                    batch,
                    coordinate_transformation_mode_s='half_pixel'
                    if aligned else 'output_half_pixel',
                    output_height_i=output_size[0],
                    output_width_i=output_size[1],
                    spatial_scale_f=spatial_scale,
                    sampling_ratio_i=max(0, sampling_ratio),
                    mode_s='avg')


def _roi_align_export(input: Tensor,
                      rois: Tensor,
                      output_size,
                      spatial_scale: float = 1.0,
                      sampling_ratio: int = 0,
                      pool_mode: str = 'avg',
                      aligned: bool = True) -> Tensor:
    if pool_mode != 'avg':
        raise NotImplementedError('export supports RoIAlign pool_mode avg')
    if isinstance(output_size, int):
        output_size = (output_size, output_size)
    return _RoIAlignONNX.apply(input, rois.to(input.dtype), tuple(output_size),
                               float(spatial_scale), int(sampling_ratio),
                               bool(aligned))


@contextmanager
def export_mode() -> Iterator[None]:
    """Ops switched to exportable implementations within the block.

    * ``MultiScaleDeformableAttention``: mmcv's pure-PyTorch
      ``grid_sample`` path (``ms_deform_attn_backend('pytorch')``).
    * ``mmvidseg.ops.RoIAlign``: mmcv's kernel in eager mode, exported as
      the standard ONNX ``RoiAlign`` (opset 16+).

    Eager reference outputs must be computed inside the same block.
    """
    original = roi_align_module.roi_align
    roi_align_module.roi_align = _roi_align_export
    try:
        with ms_deform_attn_backend('pytorch'):
            yield
    finally:
        roi_align_module.roi_align = original
