# Copyright (c) mmvidseg contributors. All rights reserved.
"""A built model whose per-clip network runs in ONNX Runtime."""
import time
from typing import List, Optional

import numpy as np
import torch
from torch import Tensor, nn

from .base import ExportWrapper, build_export_wrapper
from .exporters import onnx_session


class OnnxClipModel:
    """The model's ``test_step`` with its per-clip network in ONNX Runtime.

    Everything else is the PyTorch model's own code: the data preprocessor
    before the graph, and after it the post-processing of ``predict``
    (top-k, mask pasting, thresholds), through
    :meth:`ExportWrapper.delegate`. :class:`~mmvidseg.apis.VideoSession`
    takes it in place of the model, so window linking / trackers stay in
    Python::

        model = init_model(CONFIG, CHECKPOINT)
        session = VideoSession(OnnxClipModel(model, 'model.onnx'))

    The graph must be the export of the same model and weights
    (``tools/deployment/export.py CONFIG CHECKPOINT``); the input / output
    names are checked, and a clip whose shape a fixed axis of the graph
    does not take is refused with the shape the graph was exported at.
    Attributes the adapter does not have (``cfg``, ``prompt_types``,
    ``dataset_meta``...) are the model's.

    Args:
        model (nn.Module): The built model (from ``init_model``).
        onnx_file (str): Its exported per-clip graph.
        threads (int, optional): ONNX Runtime intra-op threads (default:
            ONNX Runtime's choice).

    Attributes:
        graph_seconds (float): Time spent in ONNX Runtime so far.
        graph_calls (int): Number of graph runs so far.
    """

    def __init__(self, model: nn.Module, onnx_file: str,
                 threads: Optional[int] = None) -> None:
        self.model = model.eval()
        self.wrapper: ExportWrapper = build_export_wrapper(model)
        self.onnx_file = onnx_file
        self.session = onnx_session(onnx_file, threads)
        inputs = self.session.get_inputs()
        names = [i.name for i in inputs]
        outs = [o.name for o in self.session.get_outputs()]
        if names != list(self.wrapper.input_names) or outs != list(
                self.wrapper.output_names):
            raise ValueError(
                f'{onnx_file}: inputs {names} / outputs {outs}, but '
                f'{type(model).__name__} exports '
                f'{list(self.wrapper.input_names)} / '
                f'{list(self.wrapper.output_names)}; export this model '
                'with tools/deployment/export.py')
        self._shapes = [list(i.shape) for i in inputs]
        self.graph_seconds, self.graph_calls = 0.0, 0

    def __getattr__(self, name: str):
        if name == 'model':  # not set yet (in __init__)
            raise AttributeError(name)
        return getattr(self.model, name)

    def _check(self, tensors) -> None:
        for name, shape, t in zip(self.wrapper.input_names, self._shapes,
                                  tensors):
            for axis, (want, got) in enumerate(zip(shape, t.shape)):
                if isinstance(want, int) and want != got:
                    raise ValueError(
                        f'{self.onnx_file}: input {name!r} axis {axis} is '
                        f'fixed at {want} (graph shape {shape}), this clip '
                        f'gives {tuple(t.shape)}; export the model at this '
                        'shape (tools/deployment/export.py --shape T H W) '
                        'or use a window / frame size the graph takes')

    def run(self, *tensors: Tensor) -> List[np.ndarray]:
        """The graph on the wrapper's inputs (``input_names`` order)."""
        self._check(tensors)
        feeds = {
            n: t.detach().cpu().numpy()
            for n, t in zip(self.wrapper.input_names, tensors)
        }
        start = time.perf_counter()
        out = self.session.run(None, feeds)
        self.graph_seconds += time.perf_counter() - start
        self.graph_calls += 1
        return out

    def test_step(self, data) -> list:
        with torch.no_grad(), self.wrapper.delegate(self.run):
            return self.model.test_step(data)

    def __repr__(self) -> str:
        return (f'OnnxClipModel({type(self.model).__name__}, '
                f'{self.onnx_file!r})')
