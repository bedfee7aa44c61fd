# Copyright (c) mmvidseg contributors. All rights reserved.
"""Export wrapper of STEm-Seg (:class:`mmvidseg.models.STEmSeg`)."""
from contextlib import contextmanager
from typing import Iterator, Tuple

from torch import Tensor

from .base import ExportWrapper, register_export_wrapper


@register_export_wrapper('STEmSeg')
class STEmSegExport(ExportWrapper):
    """Backbone + FPN + embedding / seediness / semseg decoders of one clip.

    STEm-Seg: Spatio-temporal Embeddings for Instance Segmentation in Videos
    (Athar et al., ECCV 2020); the Python model is ``run_clips`` in
    ``models/trackers/stemseg_inference.py``. The graph covers one clip of
    ``T`` frames; splitting the video into overlapping clips, the per-frame
    feature cache, the ``exp() * 10`` of the bandwidths, resizing,
    clustering and clip stitching stay in Python. ``H`` and ``W`` must be
    multiples of 32 and at least ``MIN_INPUT_SIZE``; ``T`` is fixed to the
    model's ``num_frames`` (the 3-D decoders are built for that clip
    length and refuse another), so the graph has no dynamic frame axis.
    ``H x W`` is fixed too: the coordinate grid added to the embeddings
    (``spatiotemporal_grid``) is computed from Python floats
    (``max(1, W / H)``) and ``linspace`` lengths, which tracing bakes into
    constants; export once per input size.

    Returns:
        tuple: ``embeddings (1, E + V + 1, T, H/4, W/4)`` (embedding,
        raw log-bandwidth and seediness channels, as ``forward_heads``) and,
        when the model has a semantic head, ``semseg_logits (1, C, T, H/4,
        W/4)``.
    """
    output_names = ('embeddings', 'semseg_logits')
    dynamic_axes = {
        'embeddings': {
            2: 'frames',
            3: 'out_h',
            4: 'out_w'
        },
        'semseg_logits': {
            2: 'frames',
            3: 'out_h',
            4: 'out_w'
        }
    }
    dynamic_frames = False
    dynamic_size = False  # see the class docstring
    min_size = 96  # MIN_INPUT_SIZE: 3x3 map at stride 32

    def __init__(self, model) -> None:
        super().__init__(model)
        self.num_frames = model.num_frames
        if model.semseg_head is None:
            self.output_names = ('embeddings', )

    @contextmanager
    def torch_export_patch(self) -> Iterator[None]:
        """The embedding head's ``time_scale`` buffer (fixed 1.0) as a
        Python float: ``float(buffer)`` is data-dependent for torch.export.
        """
        head = self.model.embedding_head
        buffer = head._buffers.pop('time_scale')
        head.time_scale = float(buffer)
        try:
            yield
        finally:
            del head.time_scale
            head.register_buffer('time_scale', buffer)

    def forward(self, inputs: Tensor) -> Tuple[Tensor, ...]:
        img = self.clip(inputs)  # (T, 3, H, W)
        feats = self.model.extract_feat(img)
        # (T, C, h, w) maps -> (1, C, T, h, w), strides 32..4
        clip_feats = self.model.stack_clip(feats, 1, img.shape[0])
        emb, sem = self.model.forward_heads(clip_feats)
        return (emb, ) if sem is None else (emb, sem)
